"""What a collapsed block shows, as any node does: the shapes on its ports, its problems, its parameters."""

from __future__ import annotations

from dataclasses import dataclass

from engine.analysis.analyze import Analysis
from engine.analysis.parameters import ParameterCount
from engine.analysis.problems import Problem
from engine.graph.grouping import block_ports, nodes_in
from engine.graph.model import Graph
from engine.registry import TensorSpec


@dataclass(frozen=True)
class BlockStatus:
    problems: tuple[Problem, ...]  # of the nodes inside, nested blocks included; messages name paths
    inputs: dict[str, TensorSpec | None]  # port name (`conv1.in`) -> what flows in (None: not inferred)
    outputs: dict[str, TensorSpec | None]

    @property
    def has_errors(self) -> bool:
        return any(p.is_error for p in self.problems)


def block_status(graph: Graph, analysis: Analysis, block_id: str) -> BlockStatus:
    inside = set(nodes_in(graph, block_id))
    ports = block_ports(graph, block_id)
    inputs = {p.name: analysis.specs.get((p.edges[0].src, p.edges[0].src_port)) for p in ports.inputs}
    outputs = {p.name: analysis.specs.get((p.node_id, p.port)) for p in ports.outputs}
    problems = tuple(p for p in analysis.problems if p.node_id in inside)
    return BlockStatus(problems, inputs, outputs)


def block_parameters(graph: Graph, counts: dict[str, ParameterCount], block_id: str) -> ParameterCount:
    """The parameters of every layer inside the block (from `count_parameters`)."""
    inside = [counts[n] for n in nodes_in(graph, block_id) if n in counts]
    return ParameterCount(sum(c.total for c in inside), sum(c.trainable for c in inside))
