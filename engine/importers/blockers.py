"""Every part of a model that stops its import, grouped by kind with a count, one line per kind.

A user importing a model wants the size of the gap at once: "nn.ReLU6 x 17" says more than the
first of seventeen refusals. Parts whose input already failed are not reported again.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from engine.importers.common import ModelImportError

SHOWN = 4  # call sites named per kind; the rest are counted


@dataclass
class Blockers:
    """What could not be imported: (kind, reason) -> the places it occurs, in model order."""

    found: dict[tuple[str, str], list[str]] = field(default_factory=dict)

    def add(self, kind: str, where: str, reason: str) -> None:
        self.found.setdefault((kind, reason), []).append(where)

    def __len__(self) -> int:
        return sum(len(places) for places in self.found.values())

    def lines(self) -> list[str]:
        out = []
        for (kind, reason), places in self.found.items():
            named = ", ".join(places[:SHOWN]) + (f" and {len(places) - SHOWN} more" if len(places) > SHOWN else "")
            out.append(f"{kind} x {len(places)}: {reason} ({named})")
        return out

    def refuse(self, what: str) -> None:
        """Raise one ModelImportError listing every blocker, when there are any."""
        if not self.found:
            return
        count, kinds = len(self), len(self.found)
        raise ModelImportError(
            f"cannot import {what}: {count} part{'s' * (count != 1)} in {kinds} kind{'s' * (kinds != 1)} "
            "cannot be imported:\n  " + "\n  ".join(self.lines())
        )
