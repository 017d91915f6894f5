"""Parameter counts per node, as torch counts them: the command line's summary and the editor's.

Each layer with weights is built alone from the input specs the analysis recorded for it
(what the compiler builds it from too) and its tensors are counted, so the count is torch's.
Importing this module needs no torch; counting loads it through the node builders.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from engine.analysis.analyze import Analysis, analyze
from engine.graph.model import Graph
from engine.registry import NodeType, catalog


class ParameterCountError(Exception):
    """A layer torch refuses to build with the parameters the analysis accepted; the message names it."""

    def __init__(self, message: str, node_id: str):
        super().__init__(message)
        self.node_id = node_id


@dataclass(frozen=True)
class ParameterCount:
    """A node's parameters, and how many of them training updates (none while `trainable` is off)."""

    total: int
    trainable: int

    @property
    def frozen(self) -> int:
        return self.total - self.trainable


@dataclass(frozen=True)
class LayerToCount:
    """One layer with weights whose inputs have known shapes: enough to build it and count."""

    node_id: str
    node_type: NodeType
    params: dict[str, Any]
    inputs: dict[str, Any]  # port -> TensorSpec (a list for a multiple port), from Analysis.inputs

    @property
    def key(self) -> str:
        """Equal for layers of the same type, parameters and input shapes, whose counts are equal (a cache key)."""
        inputs = {port: str(spec) for port, spec in self.inputs.items()}
        return json.dumps([self.node_type.type_id, self.params, inputs], sort_keys=True, default=str)

    @property
    def trainable(self) -> bool:
        return self.params.get("trainable", True) is not False

    def count(self) -> int:
        """Build the layer's module (this loads torch) and count its parameters."""
        module = self.node_type.build(self.params, self.inputs)
        return sum(p.numel() for p in module.parameters())


def layers_to_count(graph: Graph, analysis: Analysis) -> list[LayerToCount]:
    """The layers with weights that can be counted: known type, no error, every input's shape inferred."""
    registry = catalog()
    broken = {p.node_id for p in analysis.errors}
    layers = []
    for node_id in analysis.order:
        node = graph.nodes[node_id]
        if node_id in broken or node.type_id not in registry:
            continue
        node_type = registry.get(node.type_id)
        inputs = analysis.inputs.get(node_id)
        if not node_type.has_weights or node_type.build is None or inputs is None:
            continue
        layers.append(LayerToCount(node_id, node_type, node.params, inputs))
    return layers


def count_parameters(graph: Graph, analysis: Analysis | None = None) -> dict[str, ParameterCount]:
    """node id -> ParameterCount for every layer with weights that can be counted (all of them in a valid graph)."""
    analysis = analysis or analyze(graph)
    counts = {}
    for layer in layers_to_count(graph, analysis):
        try:
            total = layer.count()
        except Exception as exc:  # a builder bug or a value torch refuses: name the node, as the compiler does
            raise ParameterCountError(
                f"{layer.node_type.title} `{layer.node_id}` could not be built: {exc}", layer.node_id
            ) from exc
        counts[layer.node_id] = ParameterCount(total, total if layer.trainable else 0)
    return counts
