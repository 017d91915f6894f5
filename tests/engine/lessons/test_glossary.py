"""The glossary (every course term the issue names, every node type, links that lead somewhere) and
docs/examples.md, generated from the same texts."""

from __future__ import annotations

from pathlib import Path

from engine.lessons import LESSONS, lesson_by_slug
from engine.lessons.docs import examples_markdown
from engine.lessons.glossary import GLOSSARY, glossary_entries, lessons_using
from engine.registry import catalog

ROOT = Path(__file__).resolve().parents[3]

COURSE_TERMS = (
    "backpropagation",
    "batch",
    "epoch",
    "feature extraction",
    "hyperparameter",
    "overfitting",
    "underfitting",
    "pooling",
    "receptive field",
    "logits",
    "supervised learning",
    "unsupervised learning",
    "transfer learning",
    "vanishing gradients",
    "exploding gradients",
)


def test_every_course_term_and_every_node_type_has_an_entry():
    terms = {e.term.lower() for e in glossary_entries()}
    assert set(COURSE_TERMS) <= terms
    for node_type in catalog():
        entry = next(e for e in glossary_entries() if e.term.lower() == node_type.title.lower())
        assert (f"node/{node_type.type_id}") in [target for _, target in entry.links], node_type.type_id
        assert entry.text


def test_every_node_and_lesson_link_resolves():
    registry = catalog()
    for entry in glossary_entries():
        assert entry.links, entry.term
        for _label, target in entry.links:
            kind, name = target.split("/", 1)
            assert kind in ("node", "lesson", "view"), target
            if kind == "node":
                assert name in registry, target
            if kind == "lesson":
                assert lesson_by_slug(name) is not None, target


def test_each_lessons_concepts_are_in_the_glossary_and_its_node_types_link_back():
    terms = {e.term.lower() for e in GLOSSARY}
    for lesson in LESSONS:
        assert set(lesson.concepts) <= terms, lesson.slug
    assert "vanishing-gradients" in lessons_using()["activations.Sigmoid"]
    dropout = next(e for e in glossary_entries() if e.term == "dropout")
    assert ("Dropout node", "node/layers.Dropout") in dropout.links


def test_docs_examples_md_is_generated_from_the_app_texts():
    """docs/examples.md is generated; regenerate with `python -m engine.lessons.docs`."""
    text = examples_markdown()
    assert (ROOT / "docs" / "examples.md").read_text(encoding="utf-8") == text
    for lesson in LESSONS:
        assert lesson.measured in text and lesson.look in text
    assert text.count("\n### ") >= 13 + len(LESSONS)
