"""ONNX files of real-model layers import back within tolerance: torch.onnx.export's two exporters, with a fixed
batch (of 1: compared at 1) and a dynamic one, and Netwright's own exports of its examples and a DCGAN generator.
Every unsupported operator is listed, grouped by kind with a count."""

from __future__ import annotations

import logging
import warnings
from pathlib import Path

import pytest
import torch
from torch import nn

from engine.export.exporter import export_model
from engine.graph import Graph, load_graph
from engine.importers import ModelImportError, import_onnx

EXAMPLES = Path(__file__).resolve().parents[3] / "resources" / "examples"


class MobileStyle(nn.Module):
    """The layers the issue's ONNX files stopped on: grouped and depthwise Conv, ceil_mode, ReLU6, Hardsigmoid,
    reflection padding, ConvTranspose, a Concat, a constant scale, and one Linear used twice (shared weights: the
    legacy exporter writes an Identity for the second use)."""

    def __init__(self):
        super().__init__()
        self.pad = nn.ReflectionPad2d(1)
        self.conv = nn.Conv2d(4, 8, 3, groups=2)
        self.depthwise = nn.Conv2d(8, 8, 3, padding=1, groups=8, bias=False)
        self.bn = nn.BatchNorm2d(8)
        self.pool = nn.MaxPool2d(2, ceil_mode=True)
        self.up = nn.ConvTranspose2d(8, 4, 4, stride=2, padding=1)
        self.gate = nn.Hardsigmoid()
        self.fc = nn.Linear(8 * 10 * 10, 10)  # 9x9 -> pool (ceil) 5x5 -> up 10x10
        self.shared = nn.Linear(10, 10)

    def forward(self, x):
        h = nn.functional.relu6(self.bn(self.depthwise(self.conv(self.pad(x)))))
        up = self.up(self.pool(h))
        h = torch.cat([self.gate(up) * 0.5, up], dim=1)
        h = self.fc(h.flatten(1))
        return self.shared(torch.relu(self.shared(h)))


def export(model: nn.Module, path: Path, batch: int, dynamo: bool, dynamic: bool) -> None:
    logging.getLogger("torch.onnx").setLevel(logging.ERROR)
    x = torch.randn(batch, 4, 9, 9)
    options = {"dynamic_shapes": ({0: torch.export.Dim("batch")},)} if dynamo else {"dynamic_axes": {"x": {0: "B"}}}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            model.eval(),
            (x,),
            str(path),
            input_names=["x"],
            dynamo=dynamo,
            external_data=False,
            verbose=False,
            **(options if dynamic else {}),
        )


@pytest.mark.slow  # four exports through torch's two ONNX exporters, ~2 s each
@pytest.mark.parametrize("dynamo", [True, False], ids=["dynamo", "legacy"])
def test_torch_exports_import_back_with_and_without_a_dynamic_batch(dynamo, tmp_path):
    torch.manual_seed(0)
    model = MobileStyle().eval()
    with torch.no_grad():
        model.bn.running_var.uniform_(0.5, 2.0)
    for dynamic, batch in ((True, 2), (False, 1)):
        path = tmp_path / f"mobile_{dynamic}.onnx"
        export(model, path, batch, dynamo, dynamic)
        result = import_onnx(path)
        # a file with a fixed batch of 1 is compared at batch 1, not skipped as "not compared"
        assert result.max_abs_diff is not None and result.max_abs_diff <= 1e-5, result.notes
        assert result.max_rel_diff is not None
        types = {n.type_id for n in result.graph.nodes.values()}
        assert {"layers.Pad", "layers.ConvTranspose2d", "activations.ReLU6", "activations.Hardsigmoid"} <= types
        assert {"layers.Scale", "merge.Concat"} <= types
        convs = {n.params["groups"] for n in result.graph.nodes.values() if n.type_id == "layers.Conv2d"}
        assert convs == {2, 8}
        pools = [n for n in result.graph.nodes.values() if n.type_id == "layers.MaxPool2d"]
        assert [p.params["ceil_mode"] for p in pools] == [True]
        with torch.no_grad():  # the imported graph, at another batch size, is the model
            from engine.importers.common import compiled_with_weights

            imported = compiled_with_weights(result.graph, result.output, result.weights)
            x = torch.randn(3, 4, 9, 9)
            torch.testing.assert_close(imported(x), model(x), atol=1e-5, rtol=1e-5)


def dcgan_generator() -> Graph:
    """A DCGAN-style generator: a code -> Linear -> Reshape -> ConvTranspose2d x 2 -> Tanh image."""
    graph = Graph(name="dcgan_generator")
    steps = [
        ("z", "data.Input", {"shape": [16]}),
        ("project", "layers.Linear", {"out_features": 32 * 4 * 4}),
        ("grid", "layers.Reshape", {"shape": [32, 4, 4]}),
        ("up1", "layers.ConvTranspose2d", {"out_channels": 16, "kernel_size": 4, "stride": 2, "padding": 1}),
        ("bn1", "layers.BatchNorm2d", {}),
        ("relu1", "activations.ReLU", {}),
        ("up2", "layers.ConvTranspose2d", {"out_channels": 1, "kernel_size": 4, "stride": 2, "padding": 1}),
        ("image", "activations.Tanh", {}),
    ]
    for i, (node_id, type_id, params) in enumerate(steps):
        graph.add_node(type_id, params, node_id=node_id)
        if i:
            graph.connect(steps[i - 1][0], "out", node_id, "in")
    return graph


# The single-output examples' ONNX exports are imported back in tests/engine/export/test_export_formats.py
# (autoencoder, CNNs, LSTM, GRU, ...); here the parts of graphs that are not a whole example's model.
OWN = {
    "gan_digits generator": lambda: (load_graph(EXAMPLES / "gan_digits.json"), "fake"),
    "gan_ring generator": lambda: (load_graph(EXAMPLES / "gan_ring.json"), "g_out"),
    "dcgan generator": lambda: (dcgan_generator(), "image"),
}


@pytest.mark.slow  # each export verifies itself through torch's exporter and onnxruntime, ~4 s
@pytest.mark.parametrize("name", list(OWN))
def test_netwrights_own_onnx_export_imports_back(name, tmp_path):
    graph, output = OWN[name]()
    path = tmp_path / "own.onnx"
    assert export_model(graph, path, "onnx", output=output).ok
    result = import_onnx(path)
    assert result.max_abs_diff is not None and result.max_abs_diff <= 1e-5
    if name == "dcgan generator":
        assert [n.type_id for n in result.graph.nodes.values()].count("layers.ConvTranspose2d") == 2
    recurrent = {n.type_id: n.params for n in graph.nodes.values() if n.type_id in ("layers.LSTM", "layers.GRU")}
    for node in result.graph.nodes.values():
        if node.type_id in recurrent:
            assert node.params == recurrent.pop(node.type_id)
    assert not recurrent


def test_every_unsupported_operator_is_listed_by_kind_with_a_count(tmp_path):
    from onnx import TensorProto, helper, save

    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["B", 4])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["B", 4])
    nodes = [
        helper.make_node("Erf", ["x"], ["a"], name="erf1"),
        helper.make_node("Relu", ["a"], ["b"], name="relu"),  # downstream of a failure: not reported again
        helper.make_node("Sin", ["x"], ["c"], name="sin"),
        helper.make_node("Erf", ["x"], ["d"], name="erf2"),
        helper.make_node("Sum", ["b", "c", "d"], ["y"], name="sum"),
    ]
    model = helper.make_model(helper.make_graph(nodes, "gaps", [x], [y]), opset_imports=[helper.make_opsetid("", 18)])
    save(model, str(tmp_path / "gaps.onnx"))
    with pytest.raises(ModelImportError) as caught:
        import_onnx(tmp_path / "gaps.onnx")
    message = str(caught.value)
    assert message.startswith("cannot import gaps: 3 parts in 2 kinds cannot be imported:")
    assert "\n  ONNX Erf x 2: has no Netwright node (erf1, erf2)" in message
    assert "\n  ONNX Sin x 1: has no Netwright node (sin)" in message
    assert "Traceback" not in message and "Relu" not in message


def test_an_identity_of_a_stored_weight_is_that_weight(tmp_path):
    """The legacy exporter writes Identity nodes for initializers that several layers share."""
    import numpy as np
    from onnx import TensorProto, helper, numpy_helper, save

    weight = np.random.default_rng(0).standard_normal((3, 4)).astype(np.float32)
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 4])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 3])
    nodes = [
        helper.make_node("Identity", ["fc.weight"], ["shared.weight"]),
        helper.make_node("Gemm", ["x", "shared.weight"], ["y"], transB=1),
    ]
    graph = helper.make_graph(nodes, "shared", [x], [y], [numpy_helper.from_array(weight, "fc.weight")])
    save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)]), str(tmp_path / "shared.onnx"))
    result = import_onnx(tmp_path / "shared.onnx")
    assert [n.type_id for n in result.graph.nodes.values()] == ["data.Input", "layers.Linear"]
    assert result.max_abs_diff is not None and result.max_abs_diff <= 1e-6  # compared at the file's batch of 2


class TokenBag(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(20, 8)
        self.fc = nn.Linear(8, 3)

    def forward(self, ids):
        return self.fc(self.embed(ids).mean(dim=1))


@pytest.mark.slow  # torch's ONNX exporter
def test_token_ids_import_as_an_input_of_ids_and_an_embedding(tmp_path):
    path = tmp_path / "tokens.onnx"
    logging.getLogger("torch.onnx").setLevel(logging.ERROR)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            TokenBag().eval(), (torch.randint(0, 20, (2, 7)),), str(path), dynamo=True, external_data=False
        )
    result = import_onnx(path)
    source = result.graph.nodes[next(iter(result.graph.nodes))]
    assert source.params["dtype"] == "long" and source.params["num_classes"] == 20
    assert [n.type_id for n in result.graph.nodes.values()][1:] == ["layers.Embedding", "layers.Mean", "layers.Linear"]
    assert result.max_abs_diff is not None and result.max_abs_diff <= 1e-6


class Thirds(nn.Module):
    """torch.chunk: dynamo writes ONNX Split; legacy writes Slices whose bounds it computes from the shape."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(6, 2, 1)

    def forward(self, x):
        a, b, c = x.chunk(3, dim=1)
        return torch.cat([self.conv(x), a * 2, b, c], 1)


@pytest.mark.slow  # torch's ONNX exporter
@pytest.mark.parametrize("dynamo", [True, False], ids=["dynamo", "legacy"])
def test_a_chunk_imports_as_slices(dynamo, tmp_path):
    path = tmp_path / "thirds.onnx"
    logging.getLogger("torch.onnx").setLevel(logging.ERROR)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            Thirds().eval(),
            (torch.randn(2, 6, 3, 3),),
            str(path),
            input_names=["x"],
            dynamo=dynamo,
            external_data=False,
            verbose=False,
            **({} if dynamo else {"dynamic_axes": {"x": {0: "B"}}}),
        )
    result = import_onnx(path)
    slices = [
        (n.params["start"], n.params["end"] or 6) for n in result.graph.nodes.values() if n.type_id == "layers.Slice"
    ]
    assert slices == [(0, 2), (2, 4), (4, 6)]
    assert result.max_abs_diff is not None and result.max_abs_diff <= 1e-6
