"""Every model of the zoo (tests/engine/importers/models/zoo.py), exported by torch.onnx.export with both exporters
(dynamo and legacy TorchScript), with a fixed batch and with a dynamic one, imports back with Netwright's ONNX
importer and reproduces the original PyTorch model within the importer's tolerance (ATOL + RTOL x |original|, as
numpy.allclose), on a fresh input: a batch of 3 where the file's batch is dynamic, of 1 where it fixes one.

A combination the importer cannot take is named in NOT_REIMPORTED with its reason and the refusal it gives: it
is tested to be refused with that one readable message, so a fix shows up here as a failure to update the table.
"""

from __future__ import annotations

import logging
import re
import warnings

import numpy as np
import pytest
import torch

from engine.importers import ModelImportError, import_onnx
from engine.importers.common import ATOL, RTOL, compiled_with_weights, outputs_match
from tests.engine.importers.test_model_zoo import MODELS, _original, _sample

EXPORTERS = ("dynamo", "legacy")
BATCHES = ("dynamic", "fixed")

# (model, exporter, batch) -> (the refusal it gives today, why): each is asserted to be refused exactly so.
# Empty: every combination imports back (GroupNorm and PixelShuffle become kept PyTorch module nodes).
NOT_REIMPORTED: dict[tuple[str, str, str], tuple[str, str]] = {}

CASES = [(name, exporter, batch) for name in MODELS for exporter in EXPORTERS for batch in BATCHES]


@pytest.fixture(scope="module")
def onnx_file(tmp_path_factory):
    """Each model exported once per combination (shared by the tests of this module)."""
    folder = tmp_path_factory.mktemp("zoo_onnx")
    files: dict[tuple[str, str, str], object] = {}

    def export(name: str, exporter: str, batch: str):
        key = (name, exporter, batch)
        if key not in files:
            files[key] = _export(name, exporter == "dynamo", batch == "dynamic", folder / f"{'_'.join(key)}.onnx")
        return files[key]

    return export


def _export(name: str, dynamo: bool, dynamic: bool, path):
    logging.getLogger("torch.onnx").setLevel(logging.ERROR)
    x = _sample(name, batch=2 if dynamic else 1)  # fixed: the exporter's usual batch of 1
    if not dynamic:
        options = {}
    elif dynamo:
        options = {"dynamic_shapes": ({0: torch.export.Dim("batch")},)}
    else:
        options = {"dynamic_axes": {"x": {0: "batch"}}}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            _original(name), (x,), str(path), input_names=["x"], dynamo=dynamo, external_data=False, **options
        )
    return path


@pytest.mark.slow  # torch's two ONNX exporters and onnxruntime: 36 exports, about 2 minutes on 2 busy cores
@pytest.mark.parametrize(("name", "exporter", "batch"), CASES, ids=["-".join(case) for case in CASES])
def test_torch_onnx_export_of_the_zoo_imports_back_within_tolerance(name, exporter, batch, onnx_file, record_property):
    path = onnx_file(name, exporter, batch)
    if (name, exporter, batch) in NOT_REIMPORTED:
        refusal, _why = NOT_REIMPORTED[(name, exporter, batch)]
        with pytest.raises(ModelImportError, match=re.escape(refusal)) as caught:
            import_onnx(path)
        assert "Traceback" not in str(caught.value)
        return
    result = import_onnx(path)
    # the importer compared itself with onnxruntime on the file's own batch
    assert result.max_abs_diff is not None and result.max_rel_diff is not None, result.notes
    module = compiled_with_weights(result.graph, result.output, result.weights).eval()
    x = _sample(name, batch=3 if batch == "dynamic" else 1)
    with torch.no_grad():
        expected, got = _original(name)(x), module(x)
    ok, max_abs, max_rel = outputs_match(got, expected, rtol=RTOL, atol=ATOL)
    record_property("max_abs_diff", max_abs)
    record_property("max_rel_diff", max_rel)
    assert ok, f"{name} ({exporter}, {batch} batch): max abs diff {max_abs:.3g}, max rel diff {max_rel:.3g}"


def test_the_exclusions_name_real_cases_and_give_reasons():
    assert set(NOT_REIMPORTED) <= set(CASES)
    assert all(refusal and len(why) > 40 for refusal, why in NOT_REIMPORTED.values())


class NormShuffle(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(2, 8, 3, padding=1)
        self.norm = torch.nn.GroupNorm(4, 8, eps=1e-3)
        self.shuffle = torch.nn.PixelShuffle(2)

    def forward(self, x):
        return self.shuffle(self.norm(self.conv(x)))


@pytest.mark.parametrize("batch", BATCHES)
def test_group_norm_and_depth_to_space_import_as_kept_pytorch_modules(batch, tmp_path):
    """GroupNorm (Reshape, InstanceNormalization, Reshape, Mul, Add) and PixelShuffle (DepthToSpace, CRD)."""
    logging.getLogger("torch.onnx").setLevel(logging.ERROR)
    torch.manual_seed(0)
    model, path = NormShuffle().eval(), tmp_path / "norm_shuffle.onnx"
    with torch.no_grad():  # weights that are not the identity, so a swapped or lost tensor shows
        model.norm.weight.uniform_(0.5, 1.5)
        model.norm.bias.uniform_(-0.5, 0.5)
    options = {"dynamic_axes": {"x": {0: "batch"}}} if batch == "dynamic" else {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, (torch.randn(2, 2, 5, 5),), str(path), input_names=["x"], dynamo=False, **options)
    result = import_onnx(path)
    kept = {n.params["module"]: n for n in result.graph.nodes.values() if n.type_id == "layers.TorchModule"}
    assert set(kept) == {"GroupNorm", "PixelShuffle"}
    assert kept["GroupNorm"].params["arguments"] == '{"num_groups": 4, "num_channels": 8, "eps": 0.001}'
    assert kept["PixelShuffle"].params["out_shape"] == [2, 10, 10]
    assert torch.equal(result.weights[f"{kept['GroupNorm'].id}.weight"], model.norm.weight.detach())
    assert result.max_abs_diff is not None and result.max_abs_diff <= 1e-5
    module = compiled_with_weights(result.graph, result.output, result.weights).eval()
    x = torch.randn(3 if batch == "dynamic" else 2, 2, 5, 5)
    with torch.no_grad():
        assert outputs_match(module(x), model(x))[0]


def test_a_target_shape_of_the_batch_and_numbers_is_a_reshape(tmp_path):
    """The legacy exporter's channel shuffle with a dynamic batch: view(x.size(0), 2, c // 2, h, w) becomes a
    Reshape target Concat(Unsqueeze(Gather(Shape(x), 0)), stored numbers), with no recorded result shape."""
    from onnx import TensorProto, helper, numpy_helper, save

    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["B", 4, 2, 3])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["B", 2, 2, 2, 3])
    stored = {"zero": np.array(0), "axes": np.array([0]), "rest": np.array([2, 2, 2, 3])}
    nodes = [
        helper.make_node("Shape", ["x"], ["shape"]),
        helper.make_node("Gather", ["shape", "zero"], ["batch"], axis=0),
        helper.make_node("Unsqueeze", ["batch", "axes"], ["batch1"]),
        helper.make_node("Concat", ["batch1", "rest"], ["target"], axis=0),
        helper.make_node("Reshape", ["x", "target"], ["y"]),
    ]
    initializers = [numpy_helper.from_array(v.astype(np.int64), k) for k, v in stored.items()]
    graph = helper.make_graph(nodes, "shuffle_view", [x], [y], initializers)
    save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)]), str(tmp_path / "view.onnx"))
    result = import_onnx(tmp_path / "view.onnx")
    (reshape,) = [n for n in result.graph.nodes.values() if n.type_id == "layers.Reshape"]
    assert reshape.params["shape"] == [2, 2, 2, 3]
    assert result.max_abs_diff == 0.0


class StackedLSTM(torch.nn.Module):
    """Two stacked layers whose every step is used: ONNX writes two LSTM operators, the lower one's Y feeding the
    upper one time-major, and the exporter's zero initial states (ConstantOfShape or Expand of the batch)."""

    def __init__(self):
        super().__init__()
        self.rnn = torch.nn.LSTM(3, 5, num_layers=2, batch_first=True)
        self.fc = torch.nn.Linear(5, 2)

    def forward(self, x):
        return self.fc(self.rnn(x)[0])


@pytest.mark.parametrize("batch", BATCHES)
def test_stacked_recurrent_layers_with_every_step_import_as_all_steps_nodes(batch, tmp_path):
    logging.getLogger("torch.onnx").setLevel(logging.ERROR)
    torch.manual_seed(0)
    model, path = StackedLSTM().eval(), tmp_path / "stacked.onnx"
    options = {"dynamic_axes": {"x": {0: "batch"}}} if batch == "dynamic" else {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, (torch.randn(2, 4, 3),), str(path), input_names=["x"], dynamo=False, **options)
    result = import_onnx(path)
    layers = [n.params for n in result.graph.nodes.values() if n.type_id == "layers.LSTM"]
    assert [(p["hidden_size"], p["num_layers"], p["output"]) for p in layers] == [(5, 1, "all_steps")] * 2
    assert result.max_abs_diff is not None and result.max_abs_diff <= 1e-5
    module = compiled_with_weights(result.graph, result.output, result.weights).eval()
    x = torch.randn(3 if batch == "dynamic" else 2, 4, 3)
    with torch.no_grad():
        assert outputs_match(module(x), model(x))[0]
