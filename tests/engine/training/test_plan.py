"""The training plan's facts: what every reader (trainer, exported train(), run record) takes from it."""

from __future__ import annotations

import json

import pytest

from engine.runs.record import run_record
from engine.training.errors import TrainingError
from engine.training.plan import make_plan
from engine.training.trainer import Trainer

from .conftest import tiny_mlp
from .test_optimizers import gan_like


def test_frozen_layers_stay_in_the_scope_but_are_not_updated():
    graph = tiny_mlp()
    graph.nodes["fc1"].params["trainable"] = False
    plan = make_plan(graph)
    assert plan.frozen == ["fc1"]
    assert plan.optimizers[0].scope == ["fc1", "fc2"] and plan.optimizers[0].updated == ["fc2"]


def test_a_scope_of_frozen_layers_only_is_refused_by_the_plan():
    graph = gan_like()
    graph.nodes["gen"].params["trainable"] = False
    with pytest.raises(TrainingError, match="optimizer `opt_g` has nothing to train: .*gen.* frozen"):
        make_plan(graph)


def test_facts_follow_stepping_order_with_scopes_weights_and_regularization():
    graph = gan_like()
    graph.nodes["opt_g"].params.update(l1=0.01, weight_decay=0.5)
    graph.nodes["loss_g"].params["weight"] = 2.0
    facts = make_plan(graph).facts()
    assert [(o["id"], o["scope"], o["updated"]) for o in facts["optimizers"]] == [
        ("opt_d", ["disc_d"], ["disc_d"]),
        ("opt_g", ["gen"], ["gen"]),
    ]
    assert facts["optimizers"][1]["losses"] == {"loss_g": 2.0}
    assert (facts["optimizers"][1]["l1"], facts["optimizers"][1]["weight_decay"]) == (0.01, 0.5)
    assert facts["frozen"] == [] and facts["full_batch"] is False
    assert facts["noise"] == {"noise": {"size": 4, "distribution": "normal"}}


def test_the_run_record_keeps_the_plan_the_trainer_ran(digits):
    graph = tiny_mlp()
    graph.nodes["fc1"].params["trainable"] = False
    trainer = Trainer(graph, data=digits)
    record = json.loads(json.dumps(run_record(graph, trainer, "completed", None, 0.0)))
    assert record["plan"]["optimizers"][0]["updated"] == ["fc2"]
    assert record["plan"]["frozen"] == ["fc1"] and record["plan"]["batch_size"] == 64


def test_full_batch_is_recorded_with_the_batch_size_it_means(digits):
    graph = tiny_mlp()
    graph.nodes["adam"].type_id = "optimizers.GradientDescent"
    graph.nodes["adam"].params = {"lr": 0.1}
    trainer = Trainer(graph, data=digits)
    plan = run_record(graph, trainer, "completed", None, 0.0)["plan"]
    assert plan["full_batch"] is True and plan["batch_size"] == len(digits.train_x)


@pytest.mark.parametrize(
    ("loss_type", "dataset", "head_size", "expected"),
    [
        ("losses.CrossEntropy", "digits_flat", 10, ["argmax"]),
        ("losses.Hinge", "digits_flat", 10, ["argmax"]),
        ("losses.BCEWithLogits", "breast_cancer", 1, ["threshold"]),
        ("losses.MSE", "diabetes", 1, []),
    ],
)
def test_the_accuracy_kind_comes_from_the_loss_entry(loss_type, dataset, head_size, expected):
    graph = tiny_mlp()
    graph.nodes["data"].params["dataset"] = dataset
    graph.nodes["loss"].type_id = loss_type
    graph.nodes["loss"].params = {}
    graph.nodes["fc2"].params["out_features"] = head_size
    assert [a.kind for a in make_plan(graph).accuracy] == expected
