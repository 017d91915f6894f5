"""Small files for the user-data sources, written into tmp_path."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image


@pytest.fixture
def write_csv(tmp_path):
    def write(text: str, name: str = "data.csv") -> Path:
        path = tmp_path / name
        path.write_text(text)
        return path

    return write


@pytest.fixture
def image_folder(tmp_path) -> Path:
    """pets/cat: 3 dark 10x6 RGB PNGs; pets/dog: 4 bright 5x5 grayscale PNGs."""
    root = tmp_path / "pets"
    (root / "cat").mkdir(parents=True)
    (root / "dog").mkdir()
    for i in range(3):
        Image.new("RGB", (10, 6), (10 * i, 0, 0)).save(root / "cat" / f"c{i}.png")
    for i in range(4):
        Image.new("L", (5, 5), 255).save(root / "dog" / f"d{i}.PNG")
    (root / "dog" / "notes.txt").write_text("not an image")
    return root


@pytest.fixture
def classification_table() -> tuple[np.ndarray, np.ndarray]:
    """40 rows, 3 features on very different scales, 2 balanced classes."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 3)) * np.array([1.0, 100.0, 0.01]) + np.array([5.0, -300.0, 2.0])
    y = np.array([0, 1] * 20)
    return x, y
