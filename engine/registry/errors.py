"""Errors raised while describing, checking or inferring nodes."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # fixes describe themselves with the catalog, which imports these errors
    from engine.registry.fixes import ShapeFix


class RegistryError(Exception):
    """A node type is registered twice, or an id is unknown."""


class ParamError(ValueError):
    """A parameter value is out of range or of the wrong type."""

    def __init__(self, param: str, message: str):
        super().__init__(f"{param}: {message}")
        self.param = param
        self.message = message


class ShapeError(Exception):
    """An input shape does not fit a node.

    `message` reads after the node's name: "gets [B, 8, 4, 4] but needs a flat [B, features]
    input". `hint` says how to fix it; `fix` is the quick fix to offer (located by the analysis).
    """

    def __init__(self, message: str, hint: str = "", fix: ShapeFix | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.fix = fix
