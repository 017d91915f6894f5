"""The Examples menu as a learning path: families in the order a newcomer should meet them,
each example after the ones it builds on (transfer learning's step 1 before step 2)."""

from __future__ import annotations

import json
from pathlib import Path

LEARNING_PATH: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("First steps", ("mlp_digits", "regression_diabetes", "iris_hinge")),
    ("Images: convolutions", ("cnn_digits", "cnn_residual_digits", "mnist_cnn")),
    ("Sequences: recurrent networks", ("rnn_digits", "lstm_digits", "sine_forecast")),
    ("Attention: transformers", ("transformer_text",)),
    ("Transfer learning", ("transfer_digits_base", "transfer_digits")),
    ("Unsupervised and generative", ("autoencoder_digits", "gan_ring", "gan_digits")),
    ("Experiments: hyperparameters", ("lr_batch_digits",)),
)
MORE = "More examples"


def grouped_examples(paths: list[Path]) -> list[tuple[str, list[Path]]]:
    """(family, examples in path order) for the files given; files the path does not name go last."""
    by_stem = {p.stem: p for p in paths}
    groups = [(family, [by_stem[s] for s in stems if s in by_stem]) for family, stems in LEARNING_PATH]
    placed = {s for _family, stems in LEARNING_PATH for s in stems}
    rest = sorted((p for p in paths if p.stem not in placed), key=lambda p: p.stem)
    groups.append((MORE, rest))
    return [(family, files) for family, files in groups if files]


def example_summary(path: Path) -> str:
    """The first sentence of an example's description, for the menu's status line."""
    try:
        text = json.loads(path.read_text(encoding="utf-8")).get("description") or ""
    except (OSError, ValueError, AttributeError):
        return ""
    text = str(text)
    return text.split(". ")[0].rstrip(".") + "." if text else ""
