"""Projections are deterministic for a seed and match scikit-learn on the node's own output;
decision maps are the model's own probabilities over the grid."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
import torch
from sklearn.decomposition import PCA

from engine.inspection.boundary import BoundaryError, bounds_of, decision_map
from engine.inspection.projection import ProjectionError, project


class LinearNodes:
    """A stand-in for a trained run: node `hidden` is tanh(x W), node `out` its class scores."""

    prediction_node = "out"
    accuracy = None
    x_shape = (2,)

    def __init__(self, width: int = 2):
        generator = torch.Generator().manual_seed(0)
        self.w = torch.randn(width, 5, generator=generator)
        self.v = torch.randn(5, 3, generator=generator)

    def run(self, x, outputs):
        hidden = torch.tanh(x @ self.w)
        values = {"hidden": hidden, "out": hidden @ self.v, "loss": hidden.sum()}
        return {n: values[n] for n in outputs}


def data(n: int = 300, width: int = 2):
    generator = torch.Generator().manual_seed(1)
    x = torch.randn(n, width, generator=generator)
    y = torch.randint(0, 3, (n,), generator=generator)
    return SimpleNamespace(train_x=x[:0], train_y=y[:0], val_x=x, val_y=y, class_names=("a", "b", "c"))


def test_pca_is_scikit_learns_on_the_node_output_and_repeatable():
    model, d = LinearNodes(width=6), data(width=6)
    first = project(model, d, "hidden", "pca", seed=3, max_samples=200)
    again = project(model, d, "hidden", "pca", seed=3, max_samples=200)
    np.testing.assert_array_equal(first.points, again.points)
    np.testing.assert_array_equal(first.indices, again.indices)
    assert len(first.indices) == 200 and first.split == "val"
    features = model.run(d.val_x[torch.as_tensor(first.indices)], ["hidden"])["hidden"].double().numpy()
    reference = PCA(n_components=2, svd_solver="full").fit_transform(features)
    np.testing.assert_allclose(np.abs(first.points), np.abs(reference), atol=1e-5)
    np.testing.assert_array_equal(first.labels, d.val_y[torch.as_tensor(first.indices)].numpy())
    assert first.explained_variance.shape == (2,) and 0 < first.explained_variance.sum() <= 1
    other = project(model, d, "hidden", "pca", seed=4, max_samples=200)
    assert not np.array_equal(other.indices, first.indices)


def test_tsne_is_repeatable_for_a_seed():
    model, d = LinearNodes(), data(120)
    first = project(model, d, "hidden", "tsne", seed=0)
    np.testing.assert_array_equal(first.points, project(model, d, "hidden", "tsne", seed=0).points)
    assert first.points.shape == (120, 2) and first.explained_variance is None


def test_a_node_without_per_sample_output_or_a_bad_method_is_refused():
    with pytest.raises(ProjectionError, match="no per-sample output"):
        project(LinearNodes(), data(), "loss")
    with pytest.raises(ProjectionError, match="unknown projection 'umap'"):
        project(LinearNodes(), data(), "hidden", "umap")


def test_the_decision_map_is_the_models_softmax_on_the_grid():
    model = LinearNodes()
    bounds = bounds_of(data().val_x)
    view = decision_map(model, bounds, resolution=64, unit_nodes=["hidden"])
    assert view.probabilities.shape == (64, 64, 3) and view.units["hidden"].shape == (5, 64, 64)
    row, col = 17, 40  # rows follow y, columns follow x
    point = torch.tensor([[view.xs[col], view.ys[row]]])
    expected = torch.softmax(model.run(point, ["out"])["out"], 1)[0].numpy()
    np.testing.assert_allclose(view.probabilities[row, col], expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(view.units["hidden"][:, row, col], model.run(point, ["hidden"])["hidden"][0], atol=1e-6)
    assert view.predicted[row, col] == expected.argmax()
    x0, x1, y0, y1 = view.extent
    lo, hi = data().val_x.min(0).values, data().val_x.max(0).values
    assert x0 < lo[0] and x1 > hi[0] and y0 < lo[1] and y1 > hi[1]


def test_a_decision_map_needs_two_features():
    model = LinearNodes(width=3)
    model.x_shape = (3,)
    with pytest.raises(BoundaryError, match="needs 2 input features; this model takes \\[3\\]"):
        decision_map(model, (0, 1, 0, 1))
