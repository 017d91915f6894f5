"""The data preview: samples of every class, the class balance, column statistics and data problems."""

from __future__ import annotations

import numpy as np
import pytest

from engine.data import DataError
from engine.data import preview as preview_module
from engine.data.describe import Source
from engine.data.info import DatasetInfo, RawDataset
from engine.data.preview import preview_dataset
from engine.registry.spec import floats, labels


def test_iris_shows_named_columns_in_their_units_and_a_balanced_set():
    preview = preview_dataset({"dataset": "iris"})
    assert preview.kind == "table" and preview.num_samples == 150
    assert preview.class_counts == {"setosa": 50, "versicolor": 50, "virginica": 50}
    assert preview.sample_targets[:3] == ["setosa", "versicolor", "virginica"]  # classes in turn
    petal = next(c for c in preview.columns if c.name == "petal length (cm)")
    assert petal.minimum == pytest.approx(1.0) and petal.maximum == pytest.approx(6.9)  # not standardized
    assert preview.warnings == []


def test_image_samples_are_the_sources_pixels():
    preview = preview_dataset({"dataset": "digits_images"}, count=10)
    assert preview.kind == "images" and preview.samples.shape == (10, 1, 8, 8)
    assert sorted(preview.sample_targets) == list("0123456789")
    assert preview.samples.min() >= 0.0 and preview.samples.max() <= 1.0


def test_regression_targets_get_statistics_instead_of_a_balance():
    preview = preview_dataset({"dataset": "diabetes"})
    assert preview.class_counts == {} and preview.target_stats is not None
    assert preview.target_stats.minimum == 25.0 and preview.target_stats.maximum == 346.0


def test_constant_columns_and_rare_classes_are_named(tmp_path):
    rows = ["a,b,c,label"]
    for i in range(60):
        rows.append(f"{i % 7},{i * 0.5},1.5,{'rare' if i < 3 else ('x' if i % 2 else 'y')}")
    path = tmp_path / "t.csv"
    path.write_text("\n".join(rows) + "\n")
    preview = preview_dataset({"dataset": "csv", "path": str(path), "target_column": "label"})
    assert [c.name for c in preview.columns] == ["a", "b", "c"]
    assert any(w.startswith("column 'c' is constant (1.5)") for w in preview.warnings)
    assert any(w.startswith("class 'rare' has only 3 samples") for w in preview.warnings)
    assert len(preview.warnings) == 2


def test_missing_values_left_in_the_data_are_counted_per_column(monkeypatch):
    x = np.arange(40, dtype=np.float32).reshape(20, 2)
    x[[3, 7], 1] = np.nan
    info = DatasetInfo(floats(2), labels(2), "classification", ("no", "yes"), 20)
    source = Source(lambda params: info, lambda params, seed: RawDataset(x, np.arange(20) % 2, info))
    monkeypatch.setattr(preview_module, "source_of", lambda params: source)
    preview = preview_dataset({"dataset": "iris"})
    assert preview.warnings == ["column 'feature 2' has 2 missing values (NaN)"]
    assert preview.columns[1].missing == 2 and preview.columns[1].maximum == 39.0


def test_the_same_seed_shows_the_same_samples():
    a = preview_dataset({"dataset": "wine"}, seed=3)
    b = preview_dataset({"dataset": "wine"}, seed=3)
    c = preview_dataset({"dataset": "wine"}, seed=4)
    assert np.array_equal(a.samples, b.samples) and not np.array_equal(a.samples, c.samples)


def test_unreadable_data_is_one_line():
    with pytest.raises(DataError, match="set path on the Dataset node"):
        preview_dataset({"dataset": "csv", "path": ""})
