"""Graphs with blocks compile and train as the flat graph, and export with one class per kind of block."""

from __future__ import annotations

import importlib.util
import uuid
from pathlib import Path

import pytest
import torch

from engine.compiler import class_name
from engine.data import load_dataset
from engine.export.exporter import export_model
from engine.export.model_part import model_part
from engine.export.python_source import python_source
from engine.graph import Graph, load_graph
from engine.graph.blocks import builtin_block, insert_block, repeat_block
from engine.graph.grouping import make_block
from engine.training.trainer import Trainer

DATA = Path(__file__).resolve().parents[2] / "data"


@pytest.fixture(autouse=True)
def one_thread(one_torch_thread):
    """Tiny models: see tests/conftest.py."""


def residual_cnn(epochs: int = 1) -> Graph:
    """Conv-BN-ReLU stem, two residual blocks (one repeated), an MLP head: every block kind but branches."""
    graph = Graph(name="Blocks CNN")
    graph.training.update(epochs=epochs, batch_size=64)
    graph.add_node("data.Dataset", {"dataset": "digits_images"}, node_id="data")
    stem = insert_block(graph, builtin_block("conv_bn_relu", channels=4), [("data", "x")])
    first = insert_block(graph, builtin_block("residual", channels=4), [stem.output])
    graph.add_node("layers.Flatten", node_id="flat")
    graph.connect(*first.output, "flat", "in")
    repeat_block(graph, first.block.id, 2)
    head = insert_block(graph, builtin_block("mlp", hidden=[16]), [("flat", "out")])
    graph.add_node("layers.Linear", {"out_features": 10}, node_id="out")
    graph.add_node("losses.CrossEntropy", node_id="loss")
    graph.add_node("optimizers.Adam", node_id="adam")
    graph.connect(*head.output, "out", "in")
    graph.connect("out", "out", "loss", "prediction")
    graph.connect("data", "y", "loss", "target")
    graph.connect("loss", "loss", "adam", "losses")
    return graph


def _load(source: str, folder: Path):
    path = folder / f"exported_{uuid.uuid4().hex}.py"
    path.write_text(source, encoding="utf-8")
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # our own generated code
    return module


def test_python_export_reuses_one_class_for_identical_blocks(tmp_path):
    source = python_source(model_part(residual_cnn()), "m.safetensors")
    assert source.count("class ResidualBlock(nn.Module):") == 1
    assert "self.res1 = ResidualBlock()" in source and "self.res2 = ResidualBlock()" in source
    assert "class ConvBNReLU(nn.Module):" in source and "class MLPBlock(nn.Module):" in source
    assert "res1 = self.res1(cbr1)" in source and "res2 = self.res2(res1)" in source
    assert "        add = bn2 + x" in source  # the skip connection, written with the block's local names
    module = _load(source, tmp_path)
    model = getattr(module, class_name("Blocks CNN"))()
    assert "res2.conv1.weight" in model.state_dict() and "cbr1.bn.running_mean" in model.state_dict()
    assert module.NODE_PATHS["res2_conv1"] == "res2.conv1"


@pytest.mark.parametrize("fmt", ["python", "safetensors", "pt", "torchscript"])
def test_a_graph_with_blocks_trains_exports_and_verifies(tmp_path, fmt):
    graph = residual_cnn()
    trainer = Trainer(graph, data=load_dataset(graph.nodes["data"].params, 0))
    history = trainer.fit().history
    assert len(history) == 1 and history[0]["train_loss"] > 0
    weights = tmp_path / "trained.safetensors"
    from safetensors.torch import save_file

    save_file({k: v.contiguous() for k, v in trainer.modules.state_dict().items()}, str(weights))
    suffix = {"python": ".py", "safetensors": ".safetensors", "pt": ".pt", "torchscript": ".ts"}[fmt]
    result = export_model(graph, tmp_path / f"model{suffix}", fmt, weights=weights)
    assert result.ok, result.message
    assert result.max_abs_diff <= 1e-5


def test_python_export_loads_netwright_weights_keyed_by_node_id(tmp_path):
    graph = residual_cnn()
    export_model(graph, tmp_path / "flat.safetensors", "safetensors")
    result = export_model(graph, tmp_path / "model.py", "python")
    assert result.ok, result.message
    spec = importlib.util.spec_from_file_location("blocks_export", tmp_path / "model.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    from_flat = module.load_model(tmp_path / "flat.safetensors")  # node-id keys, placed by NODE_PATHS
    beside = module.load_model()
    x = torch.randn(2, 1, 8, 8)
    with torch.no_grad():
        assert torch.equal(from_flat(x), beside(x))


def test_exported_train_trains_a_model_with_blocks_like_the_trainer(tmp_path):
    graph = residual_cnn(epochs=2)
    data = load_dataset(graph.nodes["data"].params, 0)
    trainer = Trainer(graph, data=data)
    initial = {k: v.detach().clone() for k, v in trainer.modules.state_dict().items()}
    module = _load(python_source(model_part(graph), "m.safetensors"), tmp_path)
    model = getattr(module, class_name(graph.name))()
    model.load_state_dict(module.place_weights(initial))
    trained = trainer.fit().history
    exported = module.train(model, data.train_x, data.train_y, data.val_x, data.val_y)
    # Training losses only: validation loss of this BatchNorm model differs by ~3e-4 between the trainer and
    # the exported train() with or without blocks (a flat copy of the graph shows the same gap).
    assert [h["train_loss"] for h in exported] == pytest.approx([h["train_loss"] for h in trained], rel=1e-5)
    final = module.place_weights(trainer.modules.state_dict())
    # Weights, not biases: a conv bias before BatchNorm gets a zero gradient up to rounding, which Adam scales up.
    for key, value in model.state_dict().items():
        if key.endswith(".weight"):
            assert torch.allclose(value, final[key], atol=1e-4), key


def test_nested_blocks_export_as_nested_classes(tmp_path):
    graph = load_graph(DATA / "graph_v3_mlp.json")  # hidden (fc1, relu1) inside body (hidden, fc2)
    source = python_source(model_part(graph), "m.safetensors")
    assert source.index("class HiddenLayer(nn.Module)") < source.index("class Body(nn.Module)")
    assert "self.hidden = HiddenLayer()" in source and "self.body = Body()" in source
    result = export_model(graph, tmp_path / "m.py", "python")
    assert result.ok, result.message
    model = _load(source, tmp_path)
    assert model.NODE_PATHS == {"fc1": "body.hidden.fc1", "relu1": "body.hidden.relu1", "fc2": "body.fc2"}


def test_blocks_the_model_cannot_hold_are_written_inline(tmp_path):
    graph = load_graph(DATA / "graph_v2_mlp.json")
    make_block(graph, ["fc2", "loss"], "Head and loss", "head")  # the loss is not part of the model
    source = python_source(model_part(graph), "m.safetensors")
    assert "class HeadAndLoss" not in source and "NODE_PATHS" not in source
    graph = load_graph(DATA / "graph_v2_mlp.json")
    make_block(graph, ["fc1", "fc2"], "Split", "split")  # fc1 -> relu1 (outside) -> fc2: not one call
    source = python_source(model_part(graph), "m.safetensors")
    assert "class Split" not in source
    assert export_model(graph, tmp_path / "m.py", "python").ok
