"""Finding node types by what a user types: titles, type ids, each type's synonyms (its
registry `aliases`: "dense", "fully connected") and, when none of those match, its help text.

Shared by the palette's filter and the canvas's Tab search, so both find the same nodes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from engine.registry import NodeType

# How well a type matches, best first; None means no match.
NAME_PREFIX, NAME, HELP = 0, 1, 2
NO_MATCH_HINT = "Try a word such as conv, dense, pool, norm, loss or optimizer."


def _normal(text: str) -> str:
    """Lower case, with - _ . and / read as spaces: `Cross-Entropy` matches `cross entropy`."""
    return " ".join(re.sub(r"[-_./]", " ", text.lower()).split())


def _contains_all(words: list[str], text: str) -> bool:
    squeezed = text.replace(" ", "")
    return all(word in text or word in squeezed for word in words)


def match_rank(node_type: NodeType, query: str) -> int | None:
    """How `node_type` matches `query` (NAME_PREFIX, NAME or HELP), or None."""
    words = _normal(query).split()
    if not words:
        return NAME
    names = [_normal(node_type.title), _normal(node_type.class_name), *(_normal(a) for a in node_type.aliases)]
    joined = " ".join(names)
    if any(name.startswith(" ".join(words)) or name.replace(" ", "").startswith("".join(words)) for name in names):
        return NAME_PREFIX
    if _contains_all(words, joined):
        return NAME
    if _contains_all(words, _normal(f"{node_type.summary} {node_type.help}")):
        return HELP
    return None


def search(node_types: Iterable[NodeType], query: str) -> list[tuple[NodeType, int]]:
    """The types that match `query` with their rank, best first (then by title).

    The help text is searched only when no name or synonym matches: "linear" should list the
    Linear layer, not every type whose help mentions the word."""
    ranked = [(t, r) for t in node_types if (r := match_rank(t, query)) is not None]
    if any(r != HELP for _t, r in ranked):
        ranked = [(t, r) for t, r in ranked if r != HELP]
    return sorted(ranked, key=lambda pair: (pair[1], pair[0].title.lower()))


def no_match_text(query: str) -> str:
    return f"No node matches “{query.strip()}”. {NO_MATCH_HINT}"
