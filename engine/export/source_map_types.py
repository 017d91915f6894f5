"""The live code view's result type, apart from the torch that making it needs: the editor imports this
at start, before torch loads (the window must show first); `engine.export.source_map` makes one."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class SourceMap:
    """Generated text and, for each node id, the 0-based numbers of the lines it wrote."""

    text: str
    lines: dict[str, tuple[int, ...]] = field(default_factory=dict)

    def nodes_at(self, line: int) -> list[str]:
        """The nodes that wrote line `line` (0-based), in graph order; empty for shared code."""
        return [node_id for node_id, numbers in self.lines.items() if line in numbers]
