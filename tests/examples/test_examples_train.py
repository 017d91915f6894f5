"""Every example trains on this machine's CPU to the target its issue names, measured here.

Baselines (scikit-learn's linear regression, repeating the last value, predicting the mean
pixel) are computed in the same test on the same split.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from sklearn.datasets import load_digits
from sklearn.linear_model import LinearRegression, LogisticRegression

from engine.analysis import analyze
from engine.compiler import compile_graph
from engine.data import load_dataset
from engine.data.synthetic import ring_geometry
from engine.training.checkpoint import save_weights
from engine.training.initial_weights import load_initial_weights
from engine.training.trainer import Trainer
from tests.examples.conftest import EXAMPLES, example

pytestmark = pytest.mark.slow  # every example trained to its target


def train(graph, **settings):
    trainer = Trainer(graph, settings=settings or None)
    result = trainer.fit()
    return trainer, result


def best_val_acc_within(history, epochs: int) -> float:
    return max(row["val_acc"] for row in history[:epochs])


def test_every_example_validates_without_problems():
    names = sorted(p.stem for p in EXAMPLES.glob("*.json"))
    assert len(names) >= 13
    for name in names:
        graph = example(name)
        assert graph.description, f"{name} has no description"
        problems = [p for p in analyze(graph).problems if p.severity != "info"]
        assert problems == [], f"{name}: {problems[0]}"


@pytest.mark.parametrize(
    ("name", "target", "epochs"),
    [
        ("mlp_digits", 0.96, 20),
        ("cnn_digits", 0.97, 15),
        ("iris_hinge", 0.90, None),
        ("lstm_digits", 0.93, None),
        ("cnn_residual_digits", 0.97, 15),
    ],
)
def test_classifier_reaches_its_target(name, target, epochs):
    graph = example(name)
    if epochs is not None:
        assert graph.training["epochs"] <= epochs
    _, result = train(graph)
    assert best_val_acc_within(result.history, epochs or len(result.history)) >= target
    assert all(math.isfinite(row["train_loss"]) for row in result.history)


def test_regression_diabetes_matches_least_squares():
    graph = example("regression_diabetes")
    trainer, result = train(graph)
    data = load_dataset(graph.nodes["data"].params, seed=graph.training["seed"])
    reference = LinearRegression().fit(data.train_x.numpy(), data.train_y.numpy())
    reference_mse = float(np.mean((reference.predict(data.val_x.numpy()) - data.val_y.numpy()) ** 2))
    ours = result.history[-1]["val_loss"]
    assert ours <= 1.1 * reference_mse, (ours, reference_mse)


def test_rnn_and_lstm_both_learn_and_report_recurrent_gradient_norms():
    _, lstm = train(example("lstm_digits"))
    _, rnn = train(example("rnn_digits"))
    assert best_val_acc_within(rnn.history, len(rnn.history)) >= 0.85
    assert all("lstm1" in row["grad_norm"] for row in lstm.history)
    assert all("rnn1" in row["grad_norm"] for row in rnn.history)


def test_sine_forecast_beats_repeating_the_last_value_by_four_times():
    graph = example("sine_forecast")
    trainer, result = train(graph)
    data = load_dataset(graph.nodes["data"].params, seed=graph.training["seed"])
    last_value = data.val_x[:, -1, :]  # [N, 1]: the last step seen
    baseline = float(((last_value - data.val_y) ** 2).mean())
    ours = result.history[-1]["val_loss"]
    assert ours <= 0.25 * baseline, (ours, baseline)


def test_autoencoder_halves_the_error_of_predicting_the_mean_image():
    graph = example("autoencoder_digits")
    # no labels: the loss's target is the Dataset's x itself
    target_edge = next(e for e in graph.edges if e.dst == "loss" and e.dst_port == "target")
    assert (target_edge.src, target_edge.src_port) == ("data", "x")
    trainer, result = train(graph)
    data = load_dataset(graph.nodes["data"].params, seed=graph.training["seed"])
    mean_image = data.train_x.mean(dim=0, keepdim=True)
    baseline = float(((data.val_x - mean_image) ** 2).mean())
    ours = result.history[-1]["val_loss"]
    assert ours <= 0.5 * baseline, (ours, baseline)


def covered_modes(points: np.ndarray, noise: float) -> int:
    """Modes with at least 2 % of the samples within 3 standard deviations of their centre."""
    ring = ring_geometry(noise)
    distances = np.linalg.norm(points[:, None, :] - ring.centres[None], axis=-1)
    nearest, distance = distances.argmin(axis=1), distances.min(axis=1)
    counts = np.bincount(nearest[distance <= 3 * ring.std], minlength=len(ring.centres))
    return int((counts >= 0.02 * len(points)).sum())


def test_gan_ring_covers_at_least_six_of_eight_modes():
    graph = example("gan_ring")
    trainer, result = train(graph)
    generator = compile_graph(graph, "g_out", modules=trainer.modules).eval()
    with torch.no_grad():
        latent = torch.randn(2000, graph.nodes["noise"].params["size"], generator=torch.Generator().manual_seed(1))
        points = generator(noise=latent).numpy()
    assert covered_modes(points, graph.nodes["data"].params["noise"]) >= 6


def test_gan_digits_makes_varied_recognisable_digits_with_bounded_losses():
    graph = example("gan_digits")
    trainer, result = train(graph)
    for row in result.history:
        for key in ("train_loss_d_loss", "train_loss_g_loss"):
            assert math.isfinite(row[key]) and row[key] < 10.0, (row["epoch"], key, row[key])

    generator = compile_graph(graph, "fake", modules=trainer.modules).eval()
    with torch.no_grad():
        latent = torch.randn(500, graph.nodes["noise"].params["size"], generator=torch.Generator().manual_seed(1))
        samples = generator(noise=latent).numpy()
    # a classifier of the real digits (0.99+ on them) reads the samples: a collapsed GAN's
    # blobs land in one or two classes, and noise gets low confidence
    digits = load_digits()
    reader = LogisticRegression(max_iter=2000).fit(digits.data / 16.0, digits.target)
    probabilities = reader.predict_proba(samples)
    counts = np.bincount(probabilities.argmax(axis=1), minlength=10)
    classes = int((counts >= 0.02 * len(samples)).sum())
    confidence = float(probabilities.max(axis=1).mean())
    print(f"gan_digits samples per class {counts.tolist()}, mean confidence {confidence:.2f}")
    assert classes >= 6, counts.tolist()
    assert confidence >= 0.6, confidence
    assert samples.std(axis=0).mean() > 0.1  # pixels vary across samples: not one blob


def epochs_to(history, target: float) -> int | None:
    return next((row["epoch"] for row in history if row["val_acc"] >= target), None)


def test_transfer_learning_reaches_095_on_new_digits_faster_than_from_scratch(tmp_path):
    base_trainer, base = train(example("transfer_digits_base"))
    assert best_val_acc_within(base.history, len(base.history)) >= 0.95
    weights = tmp_path / "base.safetensors"
    save_weights(base_trainer.modules, weights)

    # Epochs are coarse, so compare over three seeds: transfer is never slower, and faster overall.
    transfer_epochs, scratch_epochs = [], []
    for seed in (0, 1, 2):
        graph = example("transfer_digits")
        assert [n for n in ("conv1", "conv2", "head") if graph.nodes[n].params["trainable"]] == ["head"]
        transfer = Trainer(graph, settings={"seed": seed})
        report = load_initial_weights(transfer, weights, ["conv1", "conv2"])
        assert sorted(m.key for m in report.matched) == ["conv1.bias", "conv1.weight", "conv2.bias", "conv2.weight"]
        frozen = transfer.modules.conv1.weight.detach().clone()
        transfer_epochs.append(epochs_to(transfer.fit().history, 0.95))
        assert torch.equal(transfer.modules.conv1.weight, frozen)  # frozen layers did not move

        scratch_graph = example("transfer_digits")
        for node_id in ("conv1", "conv2"):
            scratch_graph.nodes[node_id].params["trainable"] = True
        _, scratch = train(scratch_graph, seed=seed)
        scratch_epochs.append(epochs_to(scratch.history, 0.95) or len(scratch.history) + 1)

    print(f"epochs to 0.95 over seeds 0-2: transfer {transfer_epochs}, from scratch {scratch_epochs}")
    assert None not in transfer_epochs, transfer_epochs  # >= 0.95 within the example's epochs
    assert all(t <= s for t, s in zip(transfer_epochs, scratch_epochs, strict=True)), (transfer_epochs, scratch_epochs)
    assert sum(transfer_epochs) < sum(scratch_epochs), (transfer_epochs, scratch_epochs)
