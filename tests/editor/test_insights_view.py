"""The Insights panel's sample grid: images as large as the panel allows, every caption inside its
own column (never running into its neighbour's, "7 → 76 → 6"), whatever the panel's size."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6 import QtGui

from editor.training.insights_view import CAPTION_PT, SampleGrid, _font

CLASSIFIER = {
    "kind": "classifier",
    "images": [np.full((8, 8), k / 16.0) for k in range(16)],
    "true": [k % 10 for k in range(16)],
    "predicted": [(k * 7) % 10 for k in range(16)],
}
NAMED = {**CLASSIFIER, "true": ["airplane"] * 16, "predicted": ["automobile"] * 16}
RECONSTRUCTION = {"kind": "reconstruction", "images": CLASSIFIER["images"][:8], "outputs": CLASSIFIER["images"][:8]}


@pytest.mark.parametrize("samples", [CLASSIFIER, NAMED, RECONSTRUCTION], ids=["digits", "long names", "pairs"])
@pytest.mark.parametrize(("width", "height"), [(230, 200), (250, 160), (330, 330), (600, 200)])
def test_captions_stay_in_their_own_column(qtbot, samples, width, height):
    grid = SampleGrid()
    qtbot.addWidget(grid)
    grid.resize(width, height)
    grid.set_samples(samples, epoch=3)
    body = grid.body_rect()
    placed = grid.layout(body)
    assert len(placed) == len(grid.images)
    metrics = QtGui.QFontMetricsF(_font(CAPTION_PT))
    for index, (image, caption, text) in enumerate(placed):
        assert body.adjusted(-0.5, -0.5, 0.5, 0.5).contains(image.united(caption)), (index, image, caption)
        assert metrics.horizontalAdvance(text) <= caption.width(), (index, text, caption.width())
        for other_image, other_caption, _ in placed[index + 1 :]:
            assert not caption.intersects(other_caption), (index, text)
            assert not image.intersects(other_image), index
    if samples is CLASSIFIER:
        assert all(text for _, _, text in placed)
        assert "→" in placed[0][2]  # shortened, never dropped
    if samples is RECONSTRUCTION:  # each input sits just left of its output, in the same row
        for (first, _, a), (second, _, b) in zip(placed[::2], placed[1::2], strict=True):
            assert (
                (a, b) in (("input", "output"), ("in", "out"))
                and first.top() == second.top()
                and first.left() < second.left()
            )


def test_images_grow_into_the_room_the_panel_gives(qtbot):
    grid = SampleGrid()
    qtbot.addWidget(grid)
    grid.set_samples(CLASSIFIER, epoch=1)
    grid.resize(230, 200)
    small = grid.layout(grid.body_rect())[0][0].width()
    grid.resize(230, 420)  # taller: fewer columns, more rows, bigger images
    assert grid.layout(grid.body_rect())[0][0].width() > small * 1.3
