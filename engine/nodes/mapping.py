"""Reading torch modules, traced calls and ONNX attributes into node params (no torch needed).

The registry entries use these in their import mappings; each raises Unmapped with a reason
a user can act on when a value has no Netwright equivalent.
"""

from __future__ import annotations

from typing import Any

from engine.registry import Unmapped


def after_batch(dim: int) -> int:
    """A torch / ONNX axis as Netwright counts it (after the batch axis)."""
    if dim == 0:
        raise Unmapped("works along the batch axis (dim 0)")
    return dim - 1 if dim > 0 else dim


def square(value: Any, what: str) -> int:
    """One size for every side: `3` or `(3, 3)` -> 3."""
    values = tuple(value) if isinstance(value, (tuple, list)) else (value,)
    if len(set(values)) != 1 or not isinstance(values[0], int):
        raise Unmapped(f"has {what} {value!r}; Netwright's layers use one size for every side")
    return values[0]


def one(values: Any, what: str) -> int:
    """The single size of an ONNX list attribute (`pads` [1, 1, 1, 1] -> 1)."""
    values = [int(v) for v in values]
    if len(set(values)) != 1:
        raise Unmapped(f"has {what} {values}; Netwright's layers use one size for every side")
    return values[0]


def attributes(module: Any, names: tuple[str, ...]) -> dict[str, Any]:
    """A module's attributes named like a function's arguments, to map both the same way."""
    return {name: getattr(module, name, None) for name in names if name != "input"}
