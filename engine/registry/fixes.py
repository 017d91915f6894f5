"""Quick fixes: typed edits that resolve a problem, each with the text of its button.

Shape rules know ports and shapes but not node ids, so the fixes they raise are relative to the
node being checked: an `InsertNode` without a `node`, or a `SetUpstreamParam` that names one of
its inputs. The analysis locates them, so every fix a Problem offers names the nodes it changes;
`engine.analysis.fixes.apply_fix` applies it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from engine.registry.registry import catalog


def _title(type_id: str) -> str:
    registry = catalog()
    return registry.get(type_id).title if type_id in registry else type_id


def _value(value: Any) -> str:
    return "[" + ", ".join(map(str, value)) + "]" if isinstance(value, (list, tuple)) else str(value)


@dataclass(frozen=True)
class InsertNode:
    """Insert a node of `type_id` (with `params`) on the edge into input `port` of `node`.

    `node` is empty in a shape rule: the node whose rule raised the fix.
    """

    type_id: str
    port: str = "in"
    params: dict[str, Any] = field(default_factory=dict, hash=False)
    node: str = ""

    def describe(self) -> str:
        settings = ", ".join(f"{name} {_value(value)}" for name, value in self.params.items())
        # button text is plain text: no code spans
        where = f" on {self.port}" if self.port != "in" else ""
        return f"Insert {_title(self.type_id)}" + (f" ({settings})" if settings else "") + where


@dataclass(frozen=True)
class AddNode:
    """Add a node of `type_id` after output `src_port` of `src`, connected into its input `port`.

    For a missing tail, e.g. the optimizer a loss has none of.
    """

    type_id: str
    src: str
    src_port: str
    port: str

    def describe(self) -> str:
        return f"Add {_title(self.type_id)} after {self.src}"


@dataclass(frozen=True)
class Connect:
    """Connect output `src_port` of `src` to input `dst_port` of `dst`."""

    src: str
    src_port: str
    dst: str
    dst_port: str

    def describe(self) -> str:
        return f"Connect {self.src}.{self.src_port} to {self.dst}.{self.dst_port}"


@dataclass(frozen=True)
class SetParam:
    """Set parameter `param` of `node` to `value`."""

    node: str
    param: str
    value: Any = field(hash=False)

    def describe(self) -> str:
        return f"Set {self.node}.{self.param} to {_value(self.value)}"


@dataclass(frozen=True)
class SetUpstreamParam:
    """Set `param` to `value` on the nearest node upstream of input `port` that has it.

    Only shape rules raise this; the analysis turns it into a `SetParam` naming that node.
    """

    port: str
    param: str
    value: Any = field(hash=False)

    def describe(self) -> str:
        return f"Set {self.param} to {_value(self.value)} before {self.port}"


@dataclass(frozen=True)
class RemoveNode:
    """Remove `node` and connect what feeds its input straight to everything it fed (a Softmax before a loss)."""

    node: str

    def describe(self) -> str:
        return f"Remove {self.node} (its input goes straight on)"


QuickFix = InsertNode | AddNode | Connect | SetParam | RemoveNode
"""A fix a Problem offers: it names every node it changes."""

QUICK_FIXES: tuple[type, ...] = (InsertNode, AddNode, Connect, SetParam, RemoveNode)

ShapeFix = InsertNode | SetUpstreamParam
"""A fix a shape rule raises with its ShapeError, relative to the node being checked."""
