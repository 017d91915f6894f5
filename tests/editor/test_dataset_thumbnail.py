"""The Dataset node's thumbnail: drawn from the Data panel's preview, read off the GUI thread, cached."""

from __future__ import annotations

import numpy as np
import pytest

from editor.canvas.thumbnail import (
    PIXEL_RATIO,
    THUMB_HEIGHT,
    TILE_GAP,
    TILES,
    thumbnail_height,
    thumbnail_pixmap,
)
from editor.files import EXAMPLES_DIR
from engine.data.preview import DataPreview, preview_dataset


def preview(kind: str, samples: np.ndarray, num_samples: int = 100) -> DataPreview:
    return DataPreview("x", "classification", kind, num_samples, tuple(samples.shape[1:]), samples, [])


@pytest.mark.parametrize(
    ("kind", "samples", "width"),
    [
        ("images", np.random.default_rng(0).random((16, 1, 28, 28)), TILES * (THUMB_HEIGHT + TILE_GAP) - TILE_GAP),
        ("images", np.random.default_rng(0).random((2, 3, 8, 8)), 2 * (THUMB_HEIGHT + TILE_GAP) - TILE_GAP),
        ("sequence", np.sin(np.linspace(0, 6, 32))[None, :, None].repeat(3, 0), 4 * (THUMB_HEIGHT + TILE_GAP) - 3),
    ],
)
def test_images_show_the_first_samples_and_sequences_a_sparkline(qapp, kind, samples, width):
    pixmap = thumbnail_pixmap(preview(kind, samples))
    assert pixmap is not None and pixmap.height() == THUMB_HEIGHT * PIXEL_RATIO
    assert pixmap.width() == int(width * PIXEL_RATIO)
    assert not pixmap.toImage().allGray() or samples.shape[1] == 1  # colour images stay colour


def test_a_table_shows_a_glyph(qapp):
    pixmap = thumbnail_pixmap(preview("table", np.zeros((4, 13)), num_samples=178))
    assert pixmap is not None and pixmap.height() == THUMB_HEIGHT * PIXEL_RATIO
    assert pixmap.width() / PIXEL_RATIO <= 150 - 24  # fits the narrowest card


def test_the_dataset_node_shows_the_panels_samples_and_caches_them(make_window, qtbot, monkeypatch):
    window = make_window()
    assert window.files.load_path(EXAMPLES_DIR / "mnist_cnn.json", remember=False)
    thumbnails = window.dataset_thumbnails
    view = window.canvas.canvas_node("data").view
    qtbot.waitUntil(lambda: view.thumbnail is not None, timeout=30_000)
    assert thumbnail_height(view) > 0 and view.boundingRect().height() >= 44 + thumbnail_height(view)
    # the same samples the Data panel shows: the first four of the preview with the graph's seed
    params = window.document.graph.resolved_params("data")
    expected = thumbnail_pixmap(preview_dataset(params, 0))
    assert view.thumbnail.toImage() == expected.toImage()
    first = view.thumbnail

    window.document.edit("classes", lambda g: g.nodes["data"].params.__setitem__("classes", [7, 8]))
    qtbot.waitUntil(lambda: view.thumbnail is not first and view.thumbnail is not None, timeout=30_000)
    assert view.thumbnail.toImage() != first.toImage()

    reads: list[str] = []
    read = thumbnails._read
    monkeypatch.setattr(thumbnails, "_read", lambda key, *args: (reads.append(key), read(key, *args)))
    window.document.undo_stack.undo()  # back to settings already read: drawn from the cache, nothing read
    qtbot.waitUntil(lambda: view.thumbnail is first, timeout=5_000)
    assert reads == [] and thumbnails._reading == {}


def test_data_that_cannot_be_read_gets_no_thumbnail(make_window, qtbot):
    window = make_window()
    assert window.files.load_path(EXAMPLES_DIR / "mnist_cnn.json", remember=False)
    view = window.canvas.canvas_node("data").view
    qtbot.waitUntil(lambda: view.thumbnail is not None, timeout=30_000)
    window.document.edit("path", lambda g: g.nodes["data"].params.__setitem__("path", "no/such/folder"))
    qtbot.waitUntil(lambda: view.thumbnail is None, timeout=30_000)
