"""Classes with too few samples to learn or to judge: one rule for the data preview and the `train` output."""

from __future__ import annotations

RARE_CLASS_SAMPLES = 10  # fewer samples than this in a class: too few to learn it or to judge it
RARE_CLASS_SHARE = 0.1  # or under this share of an even split


def rare_classes(counts: dict[str, int]) -> list[str]:
    """The classes (of {name: samples}) with too few samples: under 10, or under a tenth of an even share."""
    even = sum(counts.values()) / max(1, len(counts))
    return [name for name, count in counts.items() if count < RARE_CLASS_SAMPLES or count < RARE_CLASS_SHARE * even]


def rare_class_warning(name: str, count: int, total: int) -> str:
    """One line naming the class and its count."""
    if count == 0:
        return f"class '{name}' has no samples"
    return f"class '{name}' has only {count} samples ({count / total:.1%})"
