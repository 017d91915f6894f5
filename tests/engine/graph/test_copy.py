"""Graph.copy is what every undo step holds: equal to the original and sharing nothing mutable."""

from __future__ import annotations

from engine.graph import Graph
from engine.graph.model import Block


def _graph() -> Graph:
    graph = Graph(name="copy me", description="d")
    graph.add_node("data.Dataset", {"dataset": "digits_flat"}, node_id="data")
    graph.add_node(
        "layers.Linear", {"out_features": 8}, node_id="fc", ui={"x": 1.0, "y": 2.0, "routes": {"a": [[1, 2]]}}
    )
    graph.add_node("layers.Conv2d", {"kernel_size": [3, 3], "odd": {1, 2}}, node_id="conv")
    graph.connect("data", "x", "fc", "in")
    graph.blocks["b1"] = Block("b1", "Block", nodes=["fc"], ui={"color": [1, 2, 3]})
    return graph


def test_a_copy_is_equal_and_shares_nothing_mutable():
    original = _graph()
    copied = original.copy()
    assert copied == original
    copied.nodes["fc"].params["out_features"] = 16
    copied.nodes["fc"].ui["routes"]["a"][0][0] = 99
    copied.nodes["conv"].params["kernel_size"].append(5)
    copied.nodes["conv"].params["odd"].add(3)  # not JSON: still copied
    copied.training["epochs"] = 1234
    copied.blocks["b1"].nodes.append("conv")
    copied.blocks["b1"].ui["color"][0] = 0
    copied.name = "other"
    assert original == _graph()


def test_a_copys_edge_index_is_its_own():
    original = _graph()
    assert original.edges_into("fc")  # the original's index is built
    copied = original.copy()
    copied.connect("data", "x", "conv", "in")
    assert [e.src for e in copied.edges_into("conv")] == ["data"]
    assert original.edges_into("conv") == [] and len(original.edges) == 1
