"""The Samples view draws regression insights: predicted vs actual, a fitted curve, forecasts."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6 import QtGui

from editor.training.insights_view import SampleGrid

ACTUAL = np.linspace(-1, 1, 50, dtype=np.float32)


def blue_pixels(grid: SampleGrid) -> int:
    image = grid.grab().toImage().convertToFormat(QtGui.QImage.Format.Format_RGB888)
    pixels = np.frombuffer(image.constBits(), np.uint8).reshape(image.height(), image.bytesPerLine())
    rgb = pixels[:, : image.width() * 3].reshape(image.height(), image.width(), 3).astype(int)
    return int(((rgb[..., 2] > 200) & (rgb[..., 0] < 140)).sum())  # the model's blue


@pytest.mark.parametrize(
    ("samples", "title"),
    [
        (
            {"kind": "regression", "actual": ACTUAL, "predicted": ACTUAL * 0.9, "r2": 0.97, "outputs": 1},
            "Predicted vs actual",
        ),
        (
            {
                "kind": "regression",
                "actual": ACTUAL,
                "predicted": ACTUAL,
                "r2": 1.0,
                "outputs": 1,
                "fit": {"x": ACTUAL, "grid": ACTUAL, "curve": ACTUAL},
            },
            "Fitted curve",
        ),
        (
            {
                "kind": "forecast",
                "actual": ACTUAL[:4],
                "predicted": ACTUAL[:4],
                "r2": 0.8,
                "outputs": 1,
                "series": np.sin(np.arange(4 * 32, dtype=np.float32)).reshape(4, 32),
            },
            "Forecasts",
        ),
    ],
    ids=["scatter", "fit", "forecast"],
)
def test_each_regression_insight_is_drawn_with_its_title_and_r2(qtbot, samples, title):
    grid = SampleGrid()
    qtbot.addWidget(grid)
    grid.resize(420, 320)
    grid.set_samples(samples, epoch=3)
    assert grid.titles()[0] == title and f"R² {samples['r2']:.2f}" in grid.titles()[1]
    assert blue_pixels(grid) > 30
