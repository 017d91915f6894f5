"""Problems found in a graph: what is wrong, where, and how to fix it."""

from __future__ import annotations

from dataclasses import dataclass

from engine.registry.fixes import QuickFix

SEVERITIES = ("error", "warning", "info")


@dataclass(frozen=True)
class Problem:
    """One finding. `message` is the whole sentence a user reads (with the hint);
    `hint` alone is the fix in words; `fix` is the quick fix the editor offers, when one exists."""

    node_id: str | None
    node_title: str
    severity: str
    message: str
    hint: str = ""
    fix: QuickFix | None = None
    path: str = ""  # `block3/conv2` for a node inside blocks; empty at the top level

    def __str__(self) -> str:
        return f"{self.path or self.node_id or 'graph'}: {self.message}"

    @property
    def is_error(self) -> bool:
        return self.severity == "error"


def sentence(subject: str, text: str, hint: str = "") -> str:
    """`Linear `fc1` gets ... : insert Flatten (...)`"""
    return f"{subject} {text}" + (f": {hint}" if hint else "")
