"""The loop's hooks, metrics and reproducibility on a tiny digits MLP (CPU)."""

from __future__ import annotations

import io
import json

import pytest
import torch

from engine.training import CallbackList, MetricsWriter, ProgressBar
from engine.training.errors import TrainingError
from engine.training.trainer import Trainer

from .conftest import Recorder, tiny_mlp, without_timing


def test_hooks_run_in_order(digits):
    recorder = Recorder()
    trainer = Trainer(tiny_mlp(epochs=2), data=digits, callbacks=[recorder])
    trainer.fit()
    n = trainer.batches_per_epoch
    expected = [("on_train_start", None)]
    for epoch in (1, 2):
        expected.append(("on_epoch_start", epoch))
        expected += [("on_batch_end", (epoch - 1) * n + i + 1) for i in range(n)]
        expected.append(("on_epoch_end", epoch))
    expected.append(("on_train_end", "completed"))
    assert recorder.calls == expected


def test_callback_list_calls_callbacks_in_order_and_rejects_unknown_hooks():
    seen = []

    class Named(Recorder):
        def __init__(self, name):
            super().__init__()
            self.name = name

        def on_epoch_start(self, trainer, epoch):
            seen.append((self.name, epoch))

    callbacks = CallbackList([Named("a"), Named("b")])
    callbacks.on_epoch_start(None, 3)
    assert seen == [("a", 3), ("b", 3)]
    with pytest.raises(AttributeError):
        callbacks.on_batch_begin  # noqa: B018 - not a hook


def test_every_batch_reported_once_in_rows(digits):
    recorder = Recorder()
    trainer = Trainer(tiny_mlp(epochs=2), data=digits, callbacks=[recorder], log_every=7)
    trainer.fit()
    steps = [row["step"] for row in recorder.batch_rows]
    assert steps == list(range(1, 2 * trainer.batches_per_epoch + 1))
    assert all({"epoch", "loss", "acc", "lr"} <= row.keys() for row in recorder.batch_rows)
    # The epoch's train loss is the size-weighted mean of its batch losses.
    sizes = [min(64, len(digits.train_x) - 64 * i) for i in range(trainer.batches_per_epoch)]
    first = recorder.batch_rows[: trainer.batches_per_epoch]
    mean = sum(r["loss"] * s for r, s in zip(first, sizes, strict=True)) / len(digits.train_x)
    assert trainer.history[0]["train_loss"] == pytest.approx(mean, rel=1e-9)


def test_epoch_metrics(digits):
    result = Trainer(tiny_mlp(epochs=3, batch_size=32), data=digits).fit()
    rows = result.history
    assert [r["epoch"] for r in rows] == [1, 2, 3]
    for row in rows:
        assert {"train_loss", "val_loss", "train_acc", "val_acc", "lr", "samples_per_s"} <= row.keys()
        assert set(row["grad_norm"]) == {"fc1", "fc2"} and all(v > 0 for v in row["grad_norm"].values())
        assert set(row["dead_relu"]) == {"relu1"} and 0 <= row["dead_relu"]["relu1"] <= 1
    assert rows[-1]["val_loss"] < rows[0]["val_loss"]
    assert rows[-1]["val_acc"] > 0.8


def test_validation_accuracy_matches_a_direct_evaluation(digits):
    trainer = Trainer(tiny_mlp(epochs=1), data=digits)
    result = trainer.fit()
    trainer.modules.eval()
    with torch.no_grad():
        m = trainer.modules
        logits = m.fc2(m.relu1(m.fc1(digits.val_x)))
        acc = (logits.argmax(1) == digits.val_y).sum().item() / len(digits.val_y)
        loss = torch.nn.functional.cross_entropy(logits, digits.val_y).item()
    assert result.history[-1]["val_acc"] == pytest.approx(acc, abs=1e-9)
    assert result.history[-1]["val_loss"] == pytest.approx(loss, rel=1e-5)


def test_same_seed_same_metrics_other_seed_differs(digits):
    def run(seed):
        return without_timing(Trainer(tiny_mlp(epochs=2, seed=seed), data=digits).fit().history)

    assert run(0) == run(0)
    assert run(0) != run(1)


def test_dead_relu_fraction_sees_units_that_never_fire(digits):
    trainer = Trainer(tiny_mlp(hidden=16, epochs=1, grad_clip=0.0), data=digits)
    with torch.no_grad():
        trainer.modules.fc1.bias[:4] = -1e4  # these four units can never turn on
    trainer.steps[0].set_lr(1e-9)
    dead = trainer.fit().history[0]["dead_relu"]["relu1"]
    assert dead >= 4 / 16


def test_frozen_layer_is_unchanged(digits):
    graph = tiny_mlp(epochs=2)
    graph.nodes["fc1"].params["trainable"] = False
    trainer = Trainer(graph, data=digits)
    before = {k: v.clone() for k, v in trainer.modules.state_dict().items()}
    trainer.fit()
    after = trainer.modules.state_dict()
    assert torch.equal(before["fc1.weight"], after["fc1.weight"]) and torch.equal(before["fc1.bias"], after["fc1.bias"])
    assert not torch.equal(before["fc2.weight"], after["fc2.weight"])
    assert not trainer.modules.fc1.weight.requires_grad


def test_everything_frozen_is_refused(digits):
    graph = tiny_mlp()
    for node_id in ("fc1", "fc2"):
        graph.nodes[node_id].params["trainable"] = False
    with pytest.raises(TrainingError, match="nothing to train"):
        Trainer(graph, data=digits)


def test_l1_shrinks_weights(digits):
    def l1_norm(l1):
        graph = tiny_mlp(epochs=2)
        graph.nodes["adam"].params["l1"] = l1
        trainer = Trainer(graph, data=digits)
        trainer.fit()
        return trainer.modules.fc1.weight.abs().sum().item()

    assert l1_norm(0.01) < 0.8 * l1_norm(0.0)


def test_gradient_descent_takes_full_batch_steps(digits):
    graph = tiny_mlp(epochs=2)
    graph.nodes["adam"].type_id = "optimizers.GradientDescent"
    graph.nodes["adam"].params = {"lr": 0.1}
    trainer = Trainer(graph, data=digits)
    assert trainer.batches_per_epoch == 1 and trainer.batch_size == len(digits.train_x)
    assert trainer.fit().history[-1]["step"] == 2


def test_mixed_precision_on_cpu_is_refused_not_ignored(digits):
    with pytest.raises(TrainingError, match="mixed precision needs a CUDA device"):
        Trainer(tiny_mlp(mixed_precision=True), data=digits)


def test_unknown_monitor_is_refused_up_front(digits):
    with pytest.raises(TrainingError, match="monitored metric 'val_f1'"):
        Trainer(tiny_mlp(early_stopping=True, monitor="val_f1"), data=digits)


def test_metrics_writer_and_progress_bar(digits, tmp_path):
    stream = io.StringIO()
    path = tmp_path / "metrics.jsonl"
    batches = tmp_path / "batches.jsonl"
    trainer = Trainer(
        tiny_mlp(epochs=2), data=digits, callbacks=[ProgressBar(file=stream), MetricsWriter(path, batches)]
    )
    result = trainer.fit()
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    assert rows == json.loads(json.dumps(result.history))
    assert len(batches.read_text().splitlines()) == 2 * trainer.batches_per_epoch
    assert f"{2 * trainer.batches_per_epoch}/{2 * trainer.batches_per_epoch}" in stream.getvalue()


@pytest.mark.cuda
def test_cuda_mixed_precision_trains(digits):
    graph = tiny_mlp(epochs=2, mixed_precision=True)
    graph.training["device"] = "cuda"
    result = Trainer(graph, data=digits).fit()
    assert result.history[-1]["val_acc"] > 0.8
