"""Models people actually write (torchvision and pytorch/examples style) import, reproduce, export and train.

Each model of tests/engine/importers/models/zoo.py is imported with random weights and random
batch-norm statistics; the saved graph, read back from its files, must give the original's
outputs on a fresh input (max abs diff <= 1e-5, eval mode), export to Python and ONNX with
verification, and take a training step in which every weight gets a gradient.
"""

from __future__ import annotations

import functools
import re

import pytest
import torch
from safetensors.torch import load_file

from engine.analysis import analyze
from engine.compiler import compile_graph
from engine.export import export_model
from engine.graph import load_graph
from engine.graph.grouping import nodes_in
from engine.importers import ImportResult, import_module, import_pytorch
from tests.engine.importers.models import zoo

ZOO_FILE = zoo.__file__
LM_ARGS = {"rnn_type": "LSTM", "ntoken": 50, "ninp": 8, "nhid": 12, "nlayers": 2, "dropout": 0.2}

MODELS = {  # name -> (build, one sample's shape)
    "residual": (lambda: zoo.ResNet(), (3, 16, 16)),
    "inverted_residual": (lambda: zoo.MobileNetV2(), (3, 16, 16)),
    "dense": (lambda: zoo.DenseNet(), (3, 16, 16)),
    "grouped": (lambda: zoo.ShuffleNetV2(), (3, 16, 16)),
    "inception": (lambda: zoo.Inception(), (3, 29, 29)),
    "vae": (lambda: zoo.VAE(), (16,)),
    "dcgan": (lambda: zoo.Generator(ngpu=2), (8, 1, 1)),
    "word_lm": (lambda: zoo.RNNModel(**LM_ARGS), (7,)),
    "super_resolution": (lambda: zoo.SuperResolutionNet(upscale_factor=3), (1, 8, 8)),
}


def _randomized(model: torch.nn.Module) -> torch.nn.Module:
    """Weights from a seed, and batch-norm statistics that are not the identity, so every tensor matters."""
    torch.manual_seed(0)
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, torch.nn.modules.batchnorm._BatchNorm):
                module.running_mean.uniform_(-0.5, 0.5)
                module.running_var.uniform_(0.5, 2.0)
                module.weight.uniform_(0.5, 1.5)
                module.bias.uniform_(-0.5, 0.5)
    return model.eval()


@functools.cache
def _original(name: str) -> torch.nn.Module:
    torch.manual_seed(0)
    return _randomized(MODELS[name][0]())


@functools.cache
def _imported(name: str) -> ImportResult:
    return import_module(_original(name), MODELS[name][1])


def _sample(name: str, batch: int = 3) -> torch.Tensor:
    shape = MODELS[name][1]
    generator = torch.Generator().manual_seed(7)
    if name == "word_lm":
        return torch.randint(0, LM_ARGS["ntoken"], (batch, *shape), generator=generator)
    return torch.randn(batch, *shape, generator=generator)


def _saved(name: str, tmp_path) -> tuple[object, object]:
    """The graph and weights as a user opens them: written by the import, read back from the files."""
    weights = _imported(name).save(tmp_path / f"{name}.json")
    return load_graph(tmp_path / f"{name}.json"), weights


@pytest.mark.parametrize("name", MODELS)
def test_imports_validates_and_reproduces_the_original(name, tmp_path):
    result = _imported(name)
    assert result.max_abs_diff <= 1e-5
    graph, weights = _saved(name, tmp_path)
    assert not analyze(graph).errors
    module = compile_graph(graph, result.output)
    module.load_state_dict(load_file(str(weights)))
    x = _sample(name)
    with torch.no_grad():
        expected, got = _original(name)(x), module.eval()(x)
    assert expected.shape == got.shape
    assert float((expected - got).abs().max()) <= 1e-5


@pytest.mark.parametrize("name", MODELS)
def test_exports_to_python_with_verification(name, tmp_path):
    graph, weights = _saved(name, tmp_path)
    exported = export_model(graph, tmp_path / f"{name}.py", "python", weights=weights)
    assert exported.ok, exported.message


@pytest.mark.slow  # torch's ONNX exporter and onnxruntime: about a second per model
@pytest.mark.parametrize("name", MODELS)
def test_exports_to_onnx_with_verification(name, tmp_path):
    pytest.importorskip("onnxscript")
    graph, weights = _saved(name, tmp_path)
    exported = export_model(graph, tmp_path / f"{name}.onnx", "onnx", weights=weights)
    assert exported.ok, exported.message


@pytest.mark.parametrize("name", MODELS)
def test_trains_one_step(name, tmp_path):
    graph, weights = _saved(name, tmp_path)
    module = compile_graph(graph, _imported(name).output)
    module.load_state_dict(load_file(str(weights)))
    module.train()
    before = {k: v.detach().clone() for k, v in module.named_parameters()}
    optimizer = torch.optim.SGD(module.parameters(), lr=0.1)
    loss = module(_sample(name, batch=4)).float().pow(2).mean()
    loss.backward()
    missing = [k for k, p in module.named_parameters() if p.grad is None or not bool(p.grad.isfinite().all())]
    assert not missing, f"no finite gradient reaches {missing}"
    optimizer.step()
    changed = [k for k, p in module.named_parameters() if not torch.equal(before[k], p)]
    assert len(changed) >= len(before) // 2, f"only {changed} moved"


def test_residual_blocks_become_blocks_and_equal_blocks_one_class(tmp_path):
    graph, weights = _saved("residual", tmp_path)
    blocks = graph.blocks
    assert blocks["layer1_0"].title == "BasicBlock" and blocks["layer1"].blocks == ["layer1_0", "layer1_1"]
    assert "layer2_0_downsample" in blocks["layer2_0"].blocks  # the Sequential inside the block, nested
    # self.relu, one module called twice per block, is two nodes: it has no weights to share
    assert {"layer1_0_relu", "layer1_0_relu_1"} <= set(blocks["layer1_0"].nodes)
    # laid out as the editor draws it: the collapsed blocks in a row between the stem and the head
    corner = {b: min(graph.nodes[n].ui["x"] for n in nodes_in(graph, b)) for b in ("layer1", "layer2")}
    x = {n: graph.nodes[n].ui["x"] for n in ("maxpool", "avgpool")}
    assert x["maxpool"] < corner["layer1"] < corner["layer2"] < x["avgpool"]
    assert {n.ui["y"] for n in graph.nodes.values() if n.id in ("x", "conv1", "fc")} == {0.0}
    export_model(graph, tmp_path / "resnet.py", "python", weights=weights)
    source = (tmp_path / "resnet.py").read_text()
    same = re.findall(r"self\.layer1_[01] = (\w+)\(\)", source)
    assert len(same) == 2 and same[0] == same[1] and source.count(f"class {same[0]}(") == 1


def test_dcgan_branch_on_the_device_is_traced_by_torch_export():
    notes = _imported("dcgan").notes
    assert notes[0].startswith("traced with torch.export (torch.fx could not:")
    assert _imported("residual").notes == ["traced with torch.fx"]


def test_the_language_model_imports_from_its_file_with_constructor_arguments():
    result = import_pytorch(ZOO_FILE, "RNNModel", (7,), init_args=LM_ARGS)
    (source,) = [n for n in result.graph.nodes.values() if n.type_id == "data.Input"]
    assert source.params["dtype"] == "long"  # inferred from the Embedding
    assert source.params["num_classes"] == LM_ARGS["ntoken"]
    assert result.max_abs_diff <= 1e-5


def test_tied_weights_are_one_line_not_a_silent_copy():
    model = zoo.RNNModel("GRU", 20, 12, 12, 1, 0.0)
    model.decoder.weight = model.encoder.weight
    with pytest.raises(Exception, match=r"tied weights \(decoder.weight is encoder.weight\)") as caught:
        import_module(model, (5,))
    assert "\n" not in str(caught.value)


def test_a_module_with_weights_called_twice_is_one_refusal_line():
    class Twice(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = torch.nn.Linear(4, 4)

        def forward(self, x):
            return self.fc(torch.relu(self.fc(x)))

    with pytest.raises(Exception) as caught:
        import_module(Twice(), (4,))
    lines = str(caught.value).splitlines()
    assert len(lines) == 2 and lines[1].strip().startswith("nn.Linear x 1: is called more than once and has weights")


def test_shufflenets_view_transpose_view_is_one_channel_shuffle_node():
    unit = _randomized(zoo.ShuffleUnit(8, 16, stride=2))  # the downsampling unit: no split
    result = import_module(unit, (8, 8, 8))
    types = [n.type_id for n in result.graph.nodes.values()]
    assert types.count("layers.ChannelShuffle") == 1 and "layers.Reshape" not in types
    assert result.graph.nodes["channel_shuffle"].params["groups"] == 2
    assert result.max_abs_diff <= 1e-5


def test_a_head_unused_in_eval_mode_is_left_out_and_said():
    notes = _imported("vae").notes
    assert notes[1] == "left out, computed in eval mode but never used by the output: fc22"


def test_layers_without_a_node_are_kept_whole_and_the_rest_stays_editable(tmp_path, capsys):
    from engine.cli import main

    out = tmp_path / "sr.json"
    args = ["import", "pytorch", ZOO_FILE, "--class", "SuperResolutionNet", "--init-args", '{"upscale_factor": 3}']
    assert main([*args, "--input-shape", "1,8,8", "-o", str(out)]) == 0
    assert "note: kept whole as PyTorch module nodes" in capsys.readouterr().out
    graph = load_graph(out)
    kept = {n.id: n.params for n in graph.nodes.values() if n.type_id == "layers.TorchModule"}
    assert kept["pixel_shuffle"]["module"] == "PixelShuffle" and kept["pixel_shuffle"]["out_shape"] == [1, 24, 24]
    assert kept["norm"]["arguments"] == '{"num_groups": 2, "num_channels": 8}'
    assert "norm.weight" in load_file(str(out.with_suffix(".safetensors")))  # its weights are the model's
    assert [n.type_id for n in graph.nodes.values()].count("layers.Conv2d") == 4  # editable nodes around them


def test_a_chunk_into_halves_is_two_slices():
    unit = _randomized(zoo.ShuffleUnit(16, 16, stride=1))  # x1, x2 = x.chunk(2, dim=1)
    result = import_module(unit, (16, 4, 4))
    slices = [n.params for n in result.graph.nodes.values() if n.type_id == "layers.Slice"]
    assert [(p["dim"], p["start"], p["end"]) for p in slices] == [(0, 0, 8), (0, 8, 16)]
    assert result.max_abs_diff <= 1e-5
