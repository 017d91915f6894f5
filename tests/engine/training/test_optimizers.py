"""Several optimizers: stepping order, scopes (explicit, and stopped by Detach), noise inputs."""

from __future__ import annotations

import pytest
import torch

from engine.data import load_dataset
from engine.graph import Graph
from engine.training.errors import TrainingError
from engine.training.plan import make_plan
from engine.training.trainer import Trainer

from .conftest import params_of, tiny_mlp, without_timing


def gan_like(epochs: int = 1) -> Graph:
    """A generator fed by Noise; a discriminator step that sees it through Detach; a generator step."""
    g = Graph(name="toy gan")
    g.add_node("data.Dataset", {"dataset": "gaussian_ring", "num_samples": 256, "val_split": 0.25}, node_id="data")
    g.add_node("data.Noise", {"size": 4}, node_id="noise")
    g.add_node("layers.Linear", {"out_features": 2}, node_id="gen")
    g.add_node("merge.Detach", node_id="det")
    g.add_node("merge.Add", node_id="mix")
    g.add_node("layers.Linear", {"out_features": 1}, node_id="disc_d")
    g.add_node("merge.ConstantLike", {"value": 0.0}, node_id="zeros")
    g.add_node("losses.BCEWithLogits", node_id="loss_d")
    g.add_node("optimizers.Adam", {"lr": 0.01, "order": 0}, node_id="opt_d")
    g.add_node("layers.Linear", {"out_features": 1}, node_id="disc_g")
    g.add_node("merge.ConstantLike", {"value": 1.0}, node_id="ones")
    g.add_node("losses.BCEWithLogits", node_id="loss_g")
    g.add_node("optimizers.Adam", {"lr": 0.01, "order": 1, "scope": ["gen"]}, node_id="opt_g")
    for edge in (
        ("noise", "out", "gen", "in"),
        ("gen", "out", "det", "in"),
        ("data", "x", "mix", "a"),
        ("det", "out", "mix", "b"),
        ("mix", "out", "disc_d", "in"),
        ("disc_d", "out", "zeros", "like"),
        ("disc_d", "out", "loss_d", "prediction"),
        ("zeros", "out", "loss_d", "target"),
        ("loss_d", "loss", "opt_d", "losses"),
        ("gen", "out", "disc_g", "in"),
        ("disc_g", "out", "ones", "like"),
        ("disc_g", "out", "loss_g", "prediction"),
        ("ones", "out", "loss_g", "target"),
        ("loss_g", "loss", "opt_g", "losses"),
    ):
        g.connect(*edge)
    g.training.update(epochs=epochs, batch_size=32, device="cpu")
    return g


@pytest.fixture(scope="module")
def ring():
    return load_dataset(gan_like().nodes["data"].params, 0)


def test_scopes_stop_at_detach_and_follow_explicit_lists():
    plan = make_plan(gan_like())
    assert [(o.node_id, o.scope) for o in plan.optimizers] == [("opt_d", ["disc_d"]), ("opt_g", ["gen"])]
    graph = gan_like()
    graph.nodes["opt_g"].params["scope"] = []
    assert make_plan(graph).optimizers[1].scope == ["gen", "disc_g"]


def test_order_param_decides_who_steps_first():
    graph = gan_like()
    graph.nodes["opt_d"].params["order"] = 2
    assert [o.node_id for o in make_plan(graph).optimizers] == ["opt_g", "opt_d"]


def test_each_optimizer_changes_only_its_scope(ring):
    trainer = Trainer(gan_like(epochs=2), data=ring)
    before = params_of(trainer.modules)
    result = trainer.fit()
    after = params_of(trainer.modules)
    changed = {k for k in before if not torch.equal(before[k], after[k])}
    # disc_g gets gradients from loss_g but belongs to no optimizer's scope: it must not move.
    assert changed == {"gen.weight", "gen.bias", "disc_d.weight", "disc_d.bias"}
    row = result.history[-1]
    assert {"train_loss_loss_d", "train_loss_loss_g", "val_loss_loss_d", "lr_opt_d", "lr_opt_g"} <= row.keys()
    assert row["train_loss"] == pytest.approx(row["train_loss_loss_d"] + row["train_loss_loss_g"])
    assert "train_acc" not in row  # targets are constants, not the dataset's labels
    assert set(row["grad_norm"]) == {"gen", "disc_d"}


def test_noise_is_seeded(ring):
    first = Trainer(gan_like(), data=ring).fit().history
    second = Trainer(gan_like(), data=ring).fit().history
    assert without_timing(first) == without_timing(second)


def test_loss_weight_scales_the_objective(digits):
    graph = tiny_mlp(epochs=1)
    graph.nodes["loss"].params["weight"] = 0.0  # nothing to minimize: Adam makes no change
    trainer = Trainer(graph, data=digits)
    before = params_of(trainer.modules)
    row = trainer.fit().history[0]
    assert all(torch.equal(before[k], v) for k, v in params_of(trainer.modules).items())
    assert row["train_loss"] > 2.0  # reported unweighted: the raw cross-entropy of an untrained model


def test_mixing_full_batch_and_mini_batch_optimizers_is_refused():
    graph = gan_like()
    graph.nodes["opt_d"].type_id = "optimizers.GradientDescent"
    graph.nodes["opt_d"].params = {"lr": 0.1}
    with pytest.raises(TrainingError, match="full-batch steps but `opt_g` uses mini-batches"):
        make_plan(graph)


def test_a_graph_without_optimizer_is_refused():
    graph = tiny_mlp()
    graph.remove_node("adam")
    with pytest.raises(TrainingError, match="no optimizer"):
        make_plan(graph)
