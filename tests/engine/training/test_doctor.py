"""The training doctor (engine/training/doctor.py): each diagnosis fires on a real short run that has
the problem, and none fires on healthy runs (every shipped example, trained briefly)."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.cli import main
from engine.graph import Graph, load_graph, save_graph
from engine.training.doctor import diagnose
from engine.training.errors import DivergedError
from engine.training.trainer import Trainer

EXAMPLES = Path(__file__).resolve().parents[3] / "resources" / "examples"


def mlp(
    widths: list[int],
    activation: str = "activations.ReLU",
    optimizer: str = "optimizers.Adam",
    lr: float = 0.003,
    epochs: int = 10,
    **training,
) -> Graph:
    """digits_flat -> (Linear, activation) per width -> Linear(10) -> CrossEntropy."""
    graph = Graph(name="doctor")
    graph.add_node("data.Dataset", {"dataset": "digits_flat", "val_split": training.pop("val_split", 0.2)}, "data")
    previous = ("data", "x")
    for i, width in enumerate(widths, 1):
        graph.add_node("layers.Linear", {"out_features": width}, node_id=f"fc{i}")
        graph.add_node(activation, node_id=f"act{i}")
        graph.connect(*previous, f"fc{i}", "in")
        graph.connect(f"fc{i}", "out", f"act{i}", "in")
        previous = (f"act{i}", "out")
    graph.add_node("layers.Linear", {"out_features": 10}, node_id="head")
    graph.add_node("losses.CrossEntropy", node_id="loss")
    graph.add_node(optimizer, {"lr": lr}, node_id="opt")
    for edge in (
        (*previous, "head", "in"),
        ("head", "out", "loss", "prediction"),
        ("data", "y", "loss", "target"),
        ("loss", "loss", "opt", "losses"),
    ):
        graph.connect(*edge)
    graph.training.update(epochs=epochs, batch_size=64, device="cpu", **training)
    return graph


def diagnosis_of(graph: Graph):
    trainer = Trainer(graph)
    try:
        trainer.fit()
    except DivergedError as exc:
        return diagnose(trainer.history, str(exc))
    return diagnose(trainer.history, grad_clip=float(trainer.settings["grad_clip"]))


def kinds(diagnosis) -> list[str]:
    return [f.kind for f in diagnosis.problems]


# -- each diagnosis on a real run that has the problem ---------------------------------------------


@pytest.mark.slow  # ~5 s: 30 epochs of a 256-256 MLP
def test_a_big_mlp_on_270_digits_overfits_since_its_best_validation_epoch():
    diagnosis = diagnosis_of(mlp([256, 256], epochs=30, val_split=0.85))
    [finding] = diagnosis.problems
    assert finding.kind == "overfitting" and 10 <= finding.epoch <= 25
    assert finding.title == f"Overfitting since epoch {finding.epoch}"
    assert "training accuracy 100%" in finding.evidence and "early stopping" in finding.fix


def test_a_one_unit_bottleneck_underfits():
    diagnosis = diagnosis_of(mlp([1], lr=0.01, epochs=30))
    assert kinds(diagnosis) == ["underfitting"]
    assert "does not fit even the data it trains on" in diagnosis.problems[0].evidence


def test_a_deep_sigmoid_stack_is_stuck_with_vanishing_gradients_in_its_first_layers():
    diagnosis = diagnosis_of(mlp([16] * 8, "activations.Sigmoid", "optimizers.SGD", lr=0.1, epochs=6))
    assert kinds(diagnosis) == ["plateau", "vanishing"]
    vanishing = diagnosis.problems[1]
    assert vanishing.title.startswith("Vanishing gradients in fc1-fc") and vanishing.nodes[0] == "fc1"
    assert "head" not in vanishing.nodes and "ReLU" in vanishing.fix


def test_too_high_a_learning_rate_kills_the_relus_and_the_doctor_blames_them_not_depth():
    diagnosis = diagnosis_of(mlp([32], optimizer="optimizers.SGD", lr=3.0, epochs=3))
    assert kinds(diagnosis) == ["dead_units"]
    assert "act1 9" in diagnosis.problems[0].evidence  # above 90 % dead
    # the flat loss and fc1's starved gradient are the dead units' doing: no plateau advice to raise the rate
    assert all(f.severity == "note" for f in diagnosis.findings if f.kind == "vanishing")


def test_a_divergence_names_the_learning_rate():
    graph = mlp([16], optimizer="optimizers.SGD", lr=5.0, epochs=2)
    graph.nodes["data"].params["dataset"] = "diabetes"
    graph.nodes["head"].params["out_features"] = 1
    graph.remove_node("loss")
    graph.add_node("losses.MSE", node_id="loss")
    graph.connect("head", "out", "loss", "prediction")
    graph.connect("data", "y", "loss", "target")
    graph.connect("loss", "loss", "opt", "losses")
    diagnosis = diagnosis_of(graph)
    assert kinds(diagnosis) == ["diverged"] and diagnosis.headline == "Learning rate too high: training diverged"
    assert "became NaN or infinite" in diagnosis.problems[0].evidence


# -- the rules on their own -------------------------------------------------------------------------


def rows(train: list[float], **columns: list[float]) -> list[dict]:
    return [{"epoch": i + 1, "train_loss": t, **{k: v[i] for k, v in columns.items()}} for i, t in enumerate(train)]


def test_a_training_loss_that_climbs_back_means_the_steps_overshoot():
    diagnosis = diagnose(rows([2.0, 1.0, 0.6, 0.9, 1.2, 1.4]))
    assert kinds(diagnosis) == ["learning_rate"] and diagnosis.problems[0].epoch == 3


def test_several_optimizers_fight_by_design_so_only_the_layers_are_read():
    history = rows([1.4, 1.6, 1.7, 2.4, 2.5, 2.6], lr_gen=[1e-3] * 6, lr_disc=[1e-3] * 6)
    history[-1]["grad_norm"] = {"gen_fc1": 1e-7}
    assert kinds(diagnose(history)) == ["vanishing"]


def test_clipped_large_gradients_are_a_note_and_unclipped_ones_a_problem():
    history = rows([2.0, 1.5, 1.2])
    history[-1]["grad_norm"] = {"fc1": 500.0, "fc2": 300.0}
    assert kinds(diagnose(history)) == ["exploding"]
    clipped = diagnose(history, grad_clip=1.0)
    assert clipped.healthy and clipped.findings[0].title == "Large gradients in fc1, fc2, clipped"


def test_a_satisfied_loss_and_a_few_idle_units_are_not_alarms():
    history = rows([0.6, 0.3, 0.1, 0.05])
    history[-1].update(grad_norm={"fc1": 0.0}, grad_silent={"fc1": 1.0}, dead_relu={"relu1": 0.3})
    diagnosis = diagnose(history)
    assert diagnosis.healthy and [f.kind for f in diagnosis.findings] == ["dead_units", "still_learning"]
    assert diagnose([]).headline.startswith("The doctor reads the curves")


# -- no false alarms --------------------------------------------------------------------------------


def test_a_healthy_mlp_gets_a_clean_bill_and_train_prints_it(tmp_path, capsys):
    path = tmp_path / "mlp.json"
    save_graph(mlp([32], epochs=4), path)
    assert main(["train", str(path), "--out", str(tmp_path / "run"), "--no-progress"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert "doctor: Healthy run (4 epochs)" in lines
    assert lines[-1].startswith("gradients: ")


@pytest.mark.slow  # every shipped example, 4 epochs each
@pytest.mark.parametrize("name", sorted(p.stem for p in EXAMPLES.glob("*.json")))
def test_no_shipped_example_gets_a_false_alarm_in_a_short_run(name):
    graph = load_graph(EXAMPLES / f"{name}.json")
    graph.training.update(epochs=min(4, graph.training.get("epochs", 4)), device="cpu")
    diagnosis = diagnosis_of(graph)
    assert diagnosis.healthy, diagnosis.lines()
