"""A small vision transformer can be built from the catalog: patches from a strided Conv2d, tokens by Reshape and
Transpose, learned positions, an encoder layer, a mean over tokens and a Linear head; it compiles and learns."""

from __future__ import annotations

import pytest
import torch

from engine.analysis import analyze
from engine.compiler import compile_graph
from engine.graph import Graph
from engine.registry import floats


def vit() -> Graph:
    graph = Graph(name="vit")
    steps = [
        ("image", "data.Input", {"shape": [1, 8, 8]}),
        ("patches", "layers.Conv2d", {"out_channels": 16, "kernel_size": 2, "stride": 2}),  # [16, 4, 4]
        ("grid", "layers.Reshape", {"shape": [16, 16]}),  # [features, patches]
        ("tokens", "layers.Transpose", {"dim0": 0, "dim1": 1}),  # [patches, features]
        ("positions", "layers.PositionalEmbedding", {}),
        ("encoder", "layers.TransformerEncoderLayer", {"num_heads": 4, "feedforward": 32, "dropout": 0.0}),
        ("pool", "layers.Mean", {"dims": [0]}),
        ("head", "layers.Linear", {"out_features": 10}),
    ]
    for i, (node_id, type_id, params) in enumerate(steps):
        graph.add_node(type_id, params, node_id=node_id)
        if i:
            graph.connect(steps[i - 1][0], "out", node_id, "in")
    return graph


@pytest.mark.slow  # 30 optimizer steps of a transformer: a few seconds on a busy machine
def test_a_small_vision_transformer_validates_compiles_and_fits_a_batch(one_torch_thread):
    graph = vit()
    analysis = analyze(graph)
    assert not analysis.errors
    assert analysis.specs[("tokens", "out")] == floats(16, 16)
    torch.manual_seed(0)
    model = compile_graph(graph, "head")
    x, y = torch.randn(8, 1, 8, 8), torch.arange(8)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
    losses = []
    for _ in range(30):
        loss = torch.nn.functional.cross_entropy(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < 0.1 * losses[0]  # it can memorise a batch: gradients reach every part
