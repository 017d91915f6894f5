"""The exported train() against the trainer: same plan, same parameters updated, same losses for a seed.

Each test trains a graph with engine.training.Trainer, then runs the generated file's train() from
the same initial weights on the same data split, and compares both.
"""

from __future__ import annotations

import importlib.util
import uuid
from pathlib import Path

import pytest
import torch

from engine.compiler import class_name
from engine.data import load_dataset
from engine.export.model_part import model_part
from engine.export.python_source import python_source
from engine.graph import Graph, load_graph
from engine.training.trainer import Trainer
from tests.engine.training.test_optimizers import gan_like

GAN_RING = Path(__file__).resolve().parents[3] / "resources" / "examples" / "gan_ring.json"
LOSS_KEYS = ("train_loss", "val_loss")


@pytest.fixture(autouse=True)
def one_thread(one_torch_thread):
    """Tiny models: see tests/conftest.py."""


def detach_chain() -> Graph:
    """iris -> fc1 -> relu -> Detach -> fc2 -> Cross-Entropy -> Adam: the Detach keeps fc1 out of Adam's scope."""
    g = Graph(name="detach chain")
    g.add_node("data.Dataset", {"dataset": "iris", "val_split": 0.2}, node_id="data")
    g.add_node("layers.Linear", {"out_features": 8}, node_id="fc1")
    g.add_node("activations.ReLU", node_id="relu")
    g.add_node("merge.Detach", node_id="det")
    g.add_node("layers.Linear", {"out_features": 3}, node_id="fc2")
    g.add_node("losses.CrossEntropy", {"weight": 0.5}, node_id="loss")
    g.add_node("optimizers.Adam", {"lr": 0.05, "l1": 0.001}, node_id="adam")
    for edge in (
        ("data", "x", "fc1", "in"),
        ("fc1", "out", "relu", "in"),
        ("relu", "out", "det", "in"),
        ("det", "out", "fc2", "in"),
        ("fc2", "out", "loss", "prediction"),
        ("data", "y", "loss", "target"),
        ("loss", "loss", "adam", "losses"),
    ):
        g.connect(*edge)
    g.training.update(epochs=3, batch_size=16, device="cpu", grad_clip=0.5, schedule="step", schedule_step_size=1)
    return g


def probed_mlp() -> Graph:
    """An MLP plus a linear probe on its hidden layer, behind a Detach, trained by its own optimizer; early stopping."""
    g = detach_chain()
    g.name = "probed mlp"
    g.remove_node("det")
    g.connect("relu", "out", "fc2", "in")
    g.nodes["fc1"].params["trainable"] = False  # frozen: neither optimizer may move it
    g.add_node("layers.Linear", {"out_features": 4}, node_id="mid")
    g.add_node("merge.Detach", node_id="det")
    g.add_node("layers.Linear", {"out_features": 3}, node_id="probe")
    g.add_node("losses.CrossEntropy", node_id="probe_loss")
    g.add_node("optimizers.SGD", {"lr": 0.1, "order": 0}, node_id="probe_sgd")
    g.nodes["adam"].params["order"] = 1
    g.training.update(
        epochs=6, early_stopping=True, patience=1, min_delta=0.05, schedule="plateau", schedule_patience=0
    )
    for edge in (
        ("relu", "out", "mid", "in"),
        ("mid", "out", "det", "in"),
        ("det", "out", "probe", "in"),
        ("probe", "out", "probe_loss", "prediction"),
        ("data", "y", "probe_loss", "target"),
        ("probe_loss", "loss", "probe_sgd", "losses"),
    ):
        g.connect(*edge)
    return g


def small_gan_ring() -> Graph:
    """The gan_ring example, smaller: 256 points (a quarter kept for validation), 16 hidden units, 2 epochs."""
    graph = load_graph(GAN_RING)
    graph.nodes["data"].params.update(num_samples=256, val_split=0.25)
    for node_id in ("g_fc1", "g_fc2", "d_fc1", "d_fc2"):
        graph.nodes[node_id].params["out_features"] = 16
    graph.training.update(epochs=2, batch_size=32, device="cpu")
    return graph


def _exported_module(graph: Graph, output: str | None, folder: Path):
    path = folder / f"exported_{uuid.uuid4().hex}.py"
    path.write_text(python_source(model_part(graph, output), "model.safetensors"), encoding="utf-8")
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # our own generated code
    return module


def _both_runs(graph: Graph, output: str | None, tmp_path: Path):
    """(trainer history, exported history, initial weights, trainer's final weights, exported final weights)."""
    data = load_dataset(graph.nodes["data"].params, int(graph.training.get("seed", 0)))
    trainer = Trainer(graph, data=data)
    initial = {k: v.detach().clone() for k, v in trainer.modules.state_dict().items()}
    module = _exported_module(graph, output, tmp_path)
    model = getattr(module, class_name(graph.name))()
    model.load_state_dict({k: initial[k] for k in model.state_dict()})
    networks = module.TrainingNetworks(model) if hasattr(module, "TrainingNetworks") else model
    networks.load_state_dict({k: initial[k] for k in networks.state_dict()})
    trained = trainer.fit().history
    y = data.train_y if "y=None" not in _signature(module) else None
    extra = {"networks": networks} if networks is not model else {}
    val = (data.val_x, data.val_y) if len(data.val_x) else (None, None)
    exported = module.train(model, data.train_x, y, *val, **extra)
    mine = {k: v.detach().clone() for k, v in networks.state_dict().items()}
    return trained, exported, initial, trainer.modules.state_dict(), mine


def _signature(module) -> str:
    import inspect

    return str(inspect.signature(module.train))


def _changed(before: dict[str, torch.Tensor], after: dict[str, torch.Tensor]) -> set[str]:
    return {k for k in after if not torch.equal(before[k], after[k])}


def _assert_same_losses(trained: list[dict], exported: list[dict]) -> None:
    assert len(exported) == len(trained)
    for mine, theirs in zip(exported, trained, strict=True):
        keys = {k for k in theirs if k.startswith(LOSS_KEYS)}
        assert keys and keys == {k for k in mine if k.startswith(LOSS_KEYS)}
        for key in keys:
            assert mine[key] == pytest.approx(theirs[key], rel=1e-5, abs=1e-6), key


def test_detach_keeps_the_layer_before_it_fixed_as_in_the_trainer(tmp_path):
    trained, exported, initial, theirs, mine = _both_runs(detach_chain(), None, tmp_path)
    assert _changed(initial, theirs) == {"fc2.weight", "fc2.bias"}
    assert _changed(initial, mine) == {"fc2.weight", "fc2.bias"}
    _assert_same_losses(trained, exported)
    for key in mine:
        assert torch.allclose(mine[key], theirs[key], atol=1e-5), key


def test_a_second_optimizer_behind_a_detach_and_a_frozen_layer(tmp_path):
    trained, exported, initial, theirs, mine = _both_runs(probed_mlp(), "fc2", tmp_path)
    moved = {"fc2.weight", "fc2.bias", "probe.weight", "probe.bias"}
    assert _changed(initial, theirs) == moved  # fc1 is frozen; mid is before the Detach and in no other scope
    assert _changed(initial, mine) == moved
    _assert_same_losses(trained, exported)
    assert len(exported) < 6  # stopped early, on the same epoch as the trainer, and both restored the best weights
    for key in mine:
        assert torch.allclose(mine[key], theirs[key], atol=1e-5), key
    assert {"train_loss_loss", "train_loss_probe_loss", "val_loss_probe_loss"} <= exported[-1].keys()


def test_gan_trains_both_networks_as_the_trainer_does(tmp_path):
    trained, exported, initial, theirs, mine = _both_runs(small_gan_ring(), "g_out", tmp_path)
    everything = {k for k in initial if k.startswith(("g_", "d_"))}
    assert _changed(initial, theirs) == everything
    assert _changed(initial, mine) == everything
    _assert_same_losses(trained, exported)
    for key in mine:
        assert torch.allclose(mine[key], theirs[key], atol=1e-4), key


def test_a_layer_in_no_scope_stays_fixed_though_it_gets_gradients(tmp_path):
    trained, exported, initial, theirs, mine = _both_runs(gan_like(epochs=2), "gen", tmp_path)
    assert _changed(initial, theirs) == {"gen.weight", "gen.bias", "disc_d.weight", "disc_d.bias"}
    assert _changed(initial, mine) == _changed(initial, theirs)
    _assert_same_losses(trained, exported)


def test_the_exported_model_is_the_part_and_training_updates_it(tmp_path):
    module = _exported_module(small_gan_ring(), "g_out", tmp_path)
    model = getattr(module, class_name(small_gan_ring().name))()
    assert set(model.state_dict()) == {f"{n}.{p}" for n in ("g_fc1", "g_fc2", "g_out") for p in ("weight", "bias")}
    before = {k: v.clone() for k, v in model.state_dict().items()}
    x = torch.randn(64, 2)
    history = module.train(model, x, epochs=1)
    assert len(history) == 1 and {"train_loss_d_loss", "train_loss_g_loss"} <= history[0].keys()
    assert _changed(before, model.state_dict()) == set(before)


def test_a_graph_the_trainer_refuses_gets_a_train_that_says_why(tmp_path):
    graph = detach_chain()
    graph.nodes["fc2"].params["trainable"] = False
    module = _exported_module(graph, None, tmp_path)
    with pytest.raises(NotImplementedError, match="nothing to train"):
        module.train(None, None, None)


def test_an_autoencoder_trains_through_the_model_alone(tmp_path):
    graph = load_graph(GAN_RING.with_name("autoencoder_digits.json"))
    graph.training.update(epochs=1, batch_size=128, device="cpu")
    source = python_source(model_part(graph), "model.safetensors")
    assert "class TrainingNetworks" not in source and "loss = loss_fn(prediction, data_x)" in source
    trained, exported, initial, theirs, mine = _both_runs(graph, None, tmp_path)
    assert _changed(initial, mine) == _changed(initial, theirs) == set(initial)
    _assert_same_losses(trained, exported)


def test_augmentation_is_drawn_as_the_trainer_draws_it(tmp_path):
    """digits images -> Flatten -> Linear, with every augmentation on: the same losses and weights for the seed."""
    g = Graph(name="augmented digits")
    g.add_node(
        "data.Dataset",
        {
            "dataset": "digits_images",
            "augment_flip": True,
            "augment_crop": 1,
            "augment_rotation": 10.0,
            "augment_noise": 0.05,
            "augment_jitter": 0.1,
        },
        node_id="data",
    )
    g.add_node("layers.Flatten", node_id="flat")
    g.add_node("layers.Linear", {"out_features": 10}, node_id="fc")
    g.add_node("losses.CrossEntropy", node_id="loss")
    g.add_node("optimizers.Adam", {"lr": 0.01}, node_id="adam")
    for edge in (
        ("data", "x", "flat", "in"),
        ("flat", "out", "fc", "in"),
        ("fc", "out", "loss", "prediction"),
        ("data", "y", "loss", "target"),
        ("loss", "loss", "adam", "losses"),
    ):
        g.connect(*edge)
    g.training.update(epochs=2, batch_size=64, device="cpu")
    trained, exported, _, theirs, mine = _both_runs(g, "fc", tmp_path)
    _assert_same_losses(trained, exported)
    for key, value in theirs.items():
        assert torch.allclose(mine[key], value, atol=1e-5), key
