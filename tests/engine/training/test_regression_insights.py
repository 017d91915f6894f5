"""Regression gets its own insight: predicted vs actual with R², the fitted curve for one feature,
and for forecasting the series with the true next value and the forecast."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from engine.graph import Graph, load_graph
from engine.training.insights import Insights
from engine.training.regression_insights import r_squared
from engine.training.trainer import Trainer

EXAMPLES = Path(__file__).resolve().parents[3] / "resources" / "examples"


def last_samples(graph: Graph) -> dict:
    sent: list[dict] = []
    Trainer(graph, callbacks=[Insights(sent.append)]).fit()
    return sent[-1]["samples"]


def test_r_squared_is_one_for_exact_and_zero_for_the_mean():
    actual = np.array([1.0, 2.0, 3.0, 4.0])
    assert r_squared(actual, actual) == 1.0
    assert r_squared(actual, np.full(4, actual.mean())) == 0.0


def test_sine_forecast_shows_series_with_their_true_next_value_and_the_forecast():
    graph = load_graph(EXAMPLES / "sine_forecast.json")
    graph.nodes["data"].params["num_samples"] = 600
    graph.training.update(epochs=3, device="cpu")
    samples = last_samples(graph)
    assert samples["kind"] == "forecast" and samples["series"].shape == (4, 32)
    assert len(samples["actual"]) == len(samples["predicted"]) == 120  # the validation windows
    assert samples["r2"] == pytest.approx(r_squared(samples["actual"], samples["predicted"]), abs=1e-6)
    assert samples["r2"] > 0.5  # two epochs already forecast most of the next value


def one_feature_regression(tmp_path) -> Graph:
    rng = np.random.default_rng(0)
    x = rng.uniform(-2, 2, 200)
    rows = "\n".join(f"{a:.4f},{2 * a + 1 + rng.normal(0, 0.1):.4f}" for a in x)
    (tmp_path / "line.csv").write_text("x,y\n" + rows + "\n")
    graph = Graph(name="line")
    graph.add_node(
        "data.Dataset", {"dataset": "csv", "path": str(tmp_path / "line.csv"), "target_column": "y"}, node_id="data"
    )
    graph.add_node("layers.Linear", {"out_features": 1}, node_id="fc")
    graph.add_node("losses.MSE", node_id="loss")
    graph.add_node("optimizers.Adam", {"lr": 0.05}, node_id="adam")
    for edge in (("data", "x", "fc", "in"), ("fc", "out", "loss", "prediction"), ("data", "y", "loss", "target")):
        graph.connect(*edge)
    graph.connect("loss", "loss", "adam", "losses")
    graph.training.update(epochs=15, batch_size=32, device="cpu")
    return graph


def test_a_one_feature_regression_shows_predicted_vs_actual_and_its_fitted_line(tmp_path):
    samples = last_samples(one_feature_regression(tmp_path))
    assert samples["kind"] == "regression" and samples["r2"] > 0.9
    fit = samples["fit"]
    assert len(fit["grid"]) == len(fit["curve"]) == 120 and len(fit["x"]) == len(samples["actual"])
    slope = (fit["curve"][-1] - fit["curve"][0]) / (fit["grid"][-1] - fit["grid"][0])
    assert slope > 0  # the line rises with x, as the data do (in the dataset's standardized units)
