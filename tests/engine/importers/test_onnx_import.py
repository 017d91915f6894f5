"""ONNX files written by torch.onnx.export from hand-written models, imported back."""

from __future__ import annotations

import logging
import warnings

import pytest
import torch

from engine.analysis import analyze
from engine.cli import main
from engine.importers import import_onnx
from tests.engine.importers.models import handwritten as hw


def _export(model: torch.nn.Module, shape: tuple[int, ...], path) -> None:
    logging.getLogger("torch.onnx").setLevel(logging.ERROR)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            model,
            (torch.randn(2, *shape),),
            str(path),
            dynamo=True,
            opset_version=18,
            dynamic_shapes=({0: torch.export.Dim("batch")},),
            external_data=False,
            verbose=False,
        )


@pytest.fixture(scope="module")
def mixed(tmp_path_factory):
    """An ONNX file with Conv, BatchNormalization, pools, Flatten, Gemm, Add, Concat and activations."""
    torch.manual_seed(0)
    model = hw.OnnxFriendly().eval()
    with torch.no_grad():
        model.bn.running_mean.uniform_(-1, 1)
        model.bn.running_var.uniform_(0.5, 2)
    path = tmp_path_factory.mktemp("onnx") / "mixed.onnx"
    _export(model, (1, 8, 8), path)
    return model, path


def test_onnx_round_trip_gives_the_same_outputs(mixed):
    model, path = mixed
    result = import_onnx(path)
    assert not analyze(result.graph).errors
    assert result.max_abs_diff is not None and result.max_abs_diff < 1e-5
    types = {n.type_id for n in result.graph.nodes.values()}
    assert {
        "layers.Conv2d",
        "layers.BatchNorm2d",
        "layers.AvgPool2d",
        "layers.AdaptiveAvgPool2d",
        "layers.Linear",
        "merge.Add",
        "merge.Concat",
        "activations.Softmax",
    } <= types
    from engine.importers.common import compiled_with_weights

    compiled = compiled_with_weights(result.graph, result.output, result.weights)
    x = torch.randn(3, 1, 8, 8, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        torch.testing.assert_close(compiled(x), model(x), atol=1e-5, rtol=0)
    assert "conv1" in result.graph.nodes and "fc_out" in result.graph.nodes  # ids from the weights' names


def test_matmul_plus_add_becomes_one_linear(tmp_path):
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    weight = numpy_helper.from_array(torch.randn(4, 3).numpy(), "fc.weight")
    bias = numpy_helper.from_array(torch.randn(3).numpy(), "fc.bias")
    nodes = [
        helper.make_node("MatMul", ["x", "fc.weight"], ["mm"]),
        helper.make_node("Add", ["mm", "fc.bias"], ["y"]),
        helper.make_node("Relu", ["y"], ["out"]),
    ]
    graph = helper.make_graph(
        nodes,
        "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["B", 4])],
        [helper.make_tensor_value_info("out", TensorProto.FLOAT, ["B", 3])],
        [weight, bias],
    )
    path = tmp_path / "mm.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)], ir_version=9), str(path))
    result = import_onnx(path)
    assert [n.type_id for n in result.graph.nodes.values()] == ["data.Input", "layers.Linear", "activations.ReLU"]
    assert result.graph.nodes["fc"].params["bias"] is True
    assert result.max_abs_diff < 1e-6


def test_the_exact_gelu_an_exporter_decomposes_imports_as_one_gelu(tmp_path):
    torch.manual_seed(0)
    path = tmp_path / "gelu.onnx"
    _export(hw.ResidualBlock().eval(), (20,), path)  # exact GELU at opset 18 is Div, Erf, Add, Mul, Mul
    result = import_onnx(path)
    types = [n.type_id for n in result.graph.nodes.values()]
    assert types.count("activations.GELU") == 1 and "layers.Scale" not in types and "layers.Shift" not in types
    assert result.max_abs_diff is not None and result.max_abs_diff <= 1e-5
    # every unsupported operator listed by kind: tests/engine/importers/test_onnx_roundtrips.py


@pytest.mark.parametrize("heads, feedforward", [(2, 32), (4, 48)])  # 48 = 3 x 16: an FFN shaped like in_proj
def test_the_transformer_encoder_layer_an_exporter_decomposes_imports_as_one_layer(heads, feedforward, tmp_path):
    torch.manual_seed(0)
    layer = torch.nn.TransformerEncoderLayer(16, heads, dim_feedforward=feedforward, dropout=0.0, batch_first=True)
    with torch.no_grad():  # no zero biases or unit norms: every tensor must land in its place
        for tensor in layer.parameters():
            tensor.add_(0.3 * torch.randn_like(tensor))
    path = tmp_path / "encoder.onnx"
    _export(torch.nn.Sequential(layer, torch.nn.ReLU()).eval(), (5, 16), path)
    result = import_onnx(path)
    encoders = [n for n in result.graph.nodes.values() if n.type_id == "layers.TransformerEncoderLayer"]
    assert len(encoders) == 1 and encoders[0].params["num_heads"] == heads
    assert encoders[0].params["feedforward"] == feedforward
    assert result.max_abs_diff is not None and result.max_abs_diff <= 1e-5


def test_cli_imports_onnx_and_refuses_bad_files(mixed, tmp_path, capsys):
    _, path = mixed
    assert main(["import", "onnx", str(path), "-o", str(tmp_path / "g.json")]) == 0
    assert (tmp_path / "g.safetensors").is_file()
    junk = tmp_path / "junk.onnx"
    junk.write_bytes(b"not a protobuf at all")
    capsys.readouterr()
    assert main(["import", "onnx", str(junk), "-o", str(tmp_path / "h.json")]) == 2
    assert "not a readable ONNX file" in capsys.readouterr().err
    assert main(["import", "onnx", str(tmp_path / "missing.onnx"), "-o", str(tmp_path / "h.json")]) == 2
