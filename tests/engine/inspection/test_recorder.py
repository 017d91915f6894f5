"""The recorder stores what the network computes on the probe, exactly, within its size bound."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from engine.graph import Graph
from engine.inspection import InspectionStore
from engine.inspection.recorder import RECORD_SHARE, InspectionRecorder, auto_spacing, choose_probe
from engine.inspection.store import FOLDER, INDEX
from engine.training.trainer import Trainer
from tests.engine.conftest import make_mlp


def make_cnn() -> Graph:
    """digits_images -> Conv2d -> BatchNorm2d -> ReLU -> MaxPool -> Flatten -> Linear(10) -> CE -> Adam."""
    graph = Graph(name="digits cnn")
    graph.add_node("data.Dataset", {"dataset": "digits_images", "classes": [0, 1, 2]}, node_id="data")
    graph.add_node("layers.Conv2d", {"out_channels": 4, "kernel_size": 3, "padding": 1}, node_id="conv1")
    graph.add_node("layers.BatchNorm2d", node_id="bn1")
    graph.add_node("activations.ReLU", node_id="relu1")
    graph.add_node("layers.MaxPool2d", {"kernel_size": 2}, node_id="pool1")
    graph.add_node("layers.Flatten", node_id="flat")
    graph.add_node("layers.Linear", {"out_features": 3}, node_id="fc")
    graph.add_node("losses.CrossEntropy", node_id="loss")
    graph.add_node("optimizers.Adam", node_id="adam")
    chain = ["data", "conv1", "bn1", "relu1", "pool1", "flat", "fc"]
    for src, dst in zip(chain, chain[1:], strict=False):
        graph.connect(src, "x" if src == "data" else "out", dst, "in")
    graph.connect("fc", "out", "loss", "prediction")
    graph.connect("data", "y", "loss", "target")
    graph.connect("loss", "loss", "adam", "losses")
    return graph


def make_small_mlp(hidden: int = 16) -> Graph:
    """The conftest's digits MLP on digits 0-2 only: a third of the data, for speed."""
    graph = make_mlp(hidden)
    graph.nodes["data"].params["classes"] = [0, 1, 2]
    graph.nodes["fc2"].params["out_features"] = 3
    return graph


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """Small models train fastest on one thread (STACK_NOTES), and the suite shares two cores."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def cnn_run(tmp_path_factory, one_thread):
    folder = tmp_path_factory.mktemp("cnn")
    settings = {"epochs": 3, "seed": 3, "inspect_every": 1}
    trainer = Trainer(make_cnn(), settings=settings, callbacks=[InspectionRecorder(folder)])
    trainer.fit()
    return folder, trainer


def test_recorded_tensors_equal_a_direct_forward_pass(cnn_run):
    folder, trainer = cnn_run
    store = InspectionStore(folder)
    assert store.epochs() == [0, 1, 2, 3]
    assert store.nodes() == ["conv1", "bn1", "relu1", "pool1", "flat", "fc", "loss"][:6]
    probe = store.probe()
    m = trainer.modules.eval()
    x = torch.from_numpy(probe.inputs)
    with torch.no_grad():
        conv = m.conv1(x)
        bn = m.bn1(conv)
        pooled = m.pool1(m.relu1(bn))
        logits = m.fc(m.flat(pooled))
    last = store.read(3, "conv1")
    np.testing.assert_allclose(last.activations, conv.numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(last.weights["weight"], m.conv1.weight.detach().numpy())
    np.testing.assert_allclose(store.read(3, "pool1").activations, pooled.numpy(), rtol=1e-5, atol=1e-6)
    fc = store.read(3, "fc")
    np.testing.assert_allclose(fc.logits, logits.numpy(), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(fc.softmax, torch.softmax(logits, 1).numpy(), rtol=1e-5, atol=1e-6)
    bn_record = store.read(3, "bn1")
    np.testing.assert_array_equal(bn_record.bn_stats["running_mean"], m.bn1.running_mean.numpy())
    counts, edges = last.histograms["weights"]
    assert counts.sum() == m.conv1.weight.numel() + m.conv1.bias.numel() and len(edges) == len(counts) + 1
    assert set(last.histograms) == {"weights", "activations", "gradients"}
    assert last.zero_weight_share == 0.0
    assert store.read(3, "relu1").weights == {} and store.read(3, "relu1").zero_weight_share is None
    # epoch 0 is the network before the first update: different weights, same probe
    assert not np.array_equal(store.read(0, "conv1").weights["weight"], last.weights["weight"])


def test_gradient_histogram_is_of_the_probe_loss_gradient(cnn_run):
    folder, trainer = cnn_run
    store = InspectionStore(folder)
    probe = store.probe()
    m = trainer.modules.eval()
    out = m.fc(m.flat(m.pool1(m.relu1(m.bn1(m.conv1(torch.from_numpy(probe.inputs)))))))
    loss = m.loss(out, torch.from_numpy(probe.targets))
    grads = torch.autograd.grad(loss, [m.fc.weight, m.fc.bias])
    counts, edges = store.read(3, "fc").histograms["gradients"]
    flat = torch.cat([g.reshape(-1) for g in grads])
    assert counts.sum() == flat.numel()
    assert edges[0] == pytest.approx(float(flat.min()), abs=1e-6)
    assert edges[-1] == pytest.approx(float(flat.max()), abs=1e-6)


def test_recording_does_not_change_the_run(tmp_path):
    graph = make_small_mlp(16)
    plain = Trainer(graph, settings={"epochs": 2, "seed": 1, "inspect": False})
    plain.fit()
    recorded = Trainer(graph, settings={"epochs": 2, "seed": 1}, callbacks=[InspectionRecorder(tmp_path)])
    recorded.fit()
    for a, b in zip(plain.modules.parameters(), recorded.modules.parameters(), strict=True):
        assert torch.equal(a, b)
    assert plain.history[-1]["val_loss"] == recorded.history[-1]["val_loss"]
    assert not (tmp_path / "off" / FOLDER).exists()
    off = Trainer(graph, settings={"epochs": 1, "inspect": False}, callbacks=[InspectionRecorder(tmp_path / "off")])
    off.fit()
    assert not (tmp_path / "off" / FOLDER).exists()


def test_the_folder_stays_within_its_bound_and_covers_the_whole_run(tmp_path):
    graph = make_small_mlp(512)  # about 0.2 MB an epoch: 13 epochs would take 2.6 MB
    settings = {"epochs": 12, "seed": 0, "inspect_max_mb": 1.0, "batch_size": 512, "inspect_every": 1}
    sizes = []

    class Watch(InspectionRecorder):
        def record(self, epoch):
            super().record(epoch)
            self.jobs.wait()  # the files are written on the recorder's thread
            sizes.append(sum(f.stat().st_size for f in (tmp_path / FOLDER).iterdir()))

    Trainer(graph, settings=settings, callbacks=[Watch(tmp_path)]).fit()
    assert max(sizes) <= 2**20
    epochs = InspectionStore(tmp_path).epochs()
    assert epochs[0] == 0 and epochs[-1] == 12 and 2 <= len(epochs) < 13
    assert len(sizes) > len(epochs)  # recorded, then thinned out (and recorded half as often after)
    files = sorted(p.name for p in (tmp_path / FOLDER).glob("epoch_*"))
    assert files == [f"epoch_{e:04d}.safetensors" for e in epochs]


def test_a_bound_too_small_for_one_epoch_says_so_in_the_index(tmp_path):
    recorder = InspectionRecorder(tmp_path, max_mb=0.1)  # below the setting's minimum: only from code
    Trainer(make_small_mlp(256), settings={"epochs": 1, "batch_size": 1024}, callbacks=[recorder]).fit()
    index = json.loads((tmp_path / FOLDER / INDEX).read_text())
    assert index["epochs"] == []
    assert [s["epoch"] for s in index["skipped"]] == [0, 1]
    assert "does not fit the 0.1 MB bound (inspect_max_mb)" in index["skipped"][0]["why"]
    assert sum(f.stat().st_size for f in (tmp_path / FOLDER).iterdir()) <= 0.1 * 2**20


def test_auto_spacing_records_first_and_last_and_keeps_within_its_share(tmp_path):
    decisions = []

    class Watch(InspectionRecorder):
        def on_epoch_end(self, trainer, epoch, metrics):
            self.jobs.wait()  # the numbers the decision reads are final
            before = (self.spent, self.typical_cost())
            measured = len(self.costs)
            super().on_epoch_end(trainer, epoch, metrics)
            # the last epoch is recorded whatever it costs, the first after epoch 0 to measure a warm cost
            if epoch in self.attempted and epoch < 6 and measured >= 2:
                decisions.append((*before, self.trained / epoch, self.spacing, epoch))

    recorder = Watch(tmp_path)
    Trainer(make_small_mlp(16), settings={"epochs": 6, "seed": 0}, callbacks=[recorder]).fit()
    epochs = InspectionStore(tmp_path).epochs()
    assert epochs[0] == 0 and epochs[-1] == 6
    assert recorder.grid == 1  # 6 planned epochs: every one, when it is cheap enough
    for spent, cost, epoch_time, spacing, epoch in decisions:
        assert epoch % spacing == 0
        assert spent + 2 * cost <= RECORD_SHARE * epoch_time * 6  # this one and the last at least
    assert json.loads((tmp_path / FOLDER / INDEX).read_text())["every"] == 0


def test_auto_spacing_is_the_smallest_even_step_whose_recordings_fit_the_budget():
    # 20 epochs of 16 ms, 4 % of them: 12.8 ms; 3 ms spent (setting up, epoch 0), 1 ms a recording
    plan = {"first": 0, "planned": 20, "budget": 0.04 * 0.016 * 20}
    # every 2nd epoch from epoch 2 on would be 10 more (13 ms): every 3rd, 3 ... 18 and 20, is 7 (10 ms)
    assert auto_spacing(spent=0.003, cost=0.001, epoch=1, minimum=2, **plan) == 3
    assert auto_spacing(spent=0.0, cost=0.0001, epoch=1, minimum=2, **plan) == 2  # cheap: the grid itself
    assert auto_spacing(spent=0.0, cost=0.0001, epoch=1, minimum=1, **plan) == 1  # a short run: every epoch
    assert auto_spacing(spent=0.012, cost=0.001, epoch=5, minimum=2, **plan) == 20  # no room: only the last


def test_a_failing_recording_stops_itself_not_the_training(tmp_path):
    class Broken(InspectionRecorder):
        def _record(self, epoch, raw):  # on the writer thread
            if epoch == 1:
                raise RuntimeError("boom")
            super()._record(epoch, raw)

    recorder = Broken(tmp_path, every=1)
    result = Trainer(make_small_mlp(), settings={"epochs": 3}, callbacks=[recorder]).fit()
    assert result.epochs_completed == 3 and result.status == "completed"
    assert recorder.failure == "inspection stopped recording at epoch 1: RuntimeError: boom"
    index = json.loads((tmp_path / FOLDER / INDEX).read_text())
    assert index["failed"] == {"epoch": 1, "why": "RuntimeError: boom"} and index["epochs"] == [0]


def test_the_probe_takes_classes_in_turn_and_depends_only_on_the_seed():
    labels = np.array([0] * 50 + [1] * 5 + [2] * 50)
    probe = choose_probe(labels, len(labels), 9, seed=4)
    assert probe == choose_probe(labels, len(labels), 9, seed=4)
    assert probe != choose_probe(labels, len(labels), 9, seed=5)
    assert sorted(labels[probe].tolist()) == [0, 0, 0, 1, 1, 1, 2, 2, 2]
    assert len(set(choose_probe(None, 10, 16, seed=0))) == 10
