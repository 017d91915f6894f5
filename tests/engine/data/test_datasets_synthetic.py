"""Synthetic datasets: sine-wave windows and the ring of Gaussians."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from engine.data import DataError, describe, load_dataset, ring_geometry
from engine.data.synthetic import sine_windows


def test_sine_wave_windows_and_next_value():
    params = {"dataset": "sine_wave", "num_samples": 50, "sequence_length": 12, "noise": 0.0, "val_split": 0.2}
    info = describe(params)
    assert info.task == "forecasting" and info.x.dims == (12, 1) and info.y.dims == (1,)
    data = load_dataset(params, seed=0)
    assert data.train_x.shape == (40, 12, 1) and data.train_y.shape == (40, 1)
    assert data.val_x.shape == (10, 12, 1) and data.train_y.dtype == torch.float32
    assert float(data.train_x.abs().max()) <= 1.0
    # without noise the target continues the window's wave: a sine obeys
    # s[t+1] = 2 cos(w) s[t] - s[t-1]; recover 2 cos(w) from the window and predict
    x = data.train_x[:, :, 0].double()
    k = (x[:, 2] + x[:, 0]) / x[:, 1]
    ok = x[:, 1].abs() > 0.2
    predicted = k * x[:, -1] - x[:, -2]
    assert torch.allclose(predicted[ok], data.train_y[ok, 0].double(), atol=1e-3)


def test_sine_noise_sets_the_spread_around_the_clean_wave():
    rng_clean, rng_noisy = np.random.default_rng(1), np.random.default_rng(1)
    clean, _ = sine_windows(500, 20, 0.0, rng_clean)
    noisy, _ = sine_windows(500, 20, 0.3, rng_noisy)
    assert np.std(noisy - clean) == pytest.approx(0.3, rel=0.05)


def test_synthetic_data_is_determined_by_the_seed():
    params = {"dataset": "sine_wave", "num_samples": 32, "sequence_length": 5}
    a, b, c = (load_dataset(params, seed=s) for s in (3, 3, 4))
    assert torch.equal(a.train_x, b.train_x) and a.fingerprint == b.fingerprint
    assert not torch.equal(a.train_x, c.train_x) and a.fingerprint != c.fingerprint
    assert load_dataset({**params, "noise": 0.2}, seed=3).fingerprint != a.fingerprint


def test_gaussian_ring_points_sit_on_their_modes():
    params = {"dataset": "gaussian_ring", "num_samples": 800, "val_split": 0.0}
    info = describe(params)
    assert info.task == "generation" and info.x.dims == (2,) and info.y.num_classes == 8
    data = load_dataset(params, seed=0)
    geometry = ring_geometry(0.1)
    assert geometry.std == pytest.approx(0.02)
    assert geometry.centres.shape == (8, 2)
    assert np.allclose(np.linalg.norm(geometry.centres, axis=1), 2.0)
    points = data.train_x.numpy()
    assert np.array_equal(geometry.nearest_mode(points), data.train_y.numpy())
    distance = np.linalg.norm(points - geometry.centres[data.train_y.numpy()], axis=1)
    assert distance.max() < 6 * geometry.std
    assert geometry.covered_modes(points) == 8
    # a generator that collapsed onto two modes covers two
    collapsed = np.repeat(geometry.centres[[1, 5]], 50, axis=0)
    assert geometry.covered_modes(collapsed) == 2


def test_ring_noise_scales_the_spread():
    assert ring_geometry(0.5).std == pytest.approx(0.1)
    data = load_dataset({"dataset": "gaussian_ring", "num_samples": 4000, "noise": 0.5, "val_split": 0.0}, seed=0)
    geometry = ring_geometry(0.5)
    offsets = data.train_x.numpy() - geometry.centres[data.train_y.numpy()]
    assert offsets.std() == pytest.approx(0.1, rel=0.05)


def test_too_much_sine_data_is_refused_before_generating_it():
    with pytest.raises(DataError, match="sine_wave: 1000000 windows of 4096 steps is too much data"):
        describe({"dataset": "sine_wave", "num_samples": 1_000_000, "sequence_length": 4096})
