"""describe(): cheap, torch-free, cached by file stats; the Dataset node's shape rule."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from engine.data import DATASETS, DEFAULT_PARAMS, DataError, describe
from engine.data.classic_sets import CLASSIC_SETS
from engine.registry import ShapeError, catalog
from tests.engine.data.test_datasets_classic_sets import mnist_folder

ROOT = Path(__file__).resolve().parents[3]


def test_describe_never_imports_torch(tmp_path):
    csv_path = tmp_path / "t.csv"
    csv_path.write_text("a,b\n1,0\n2,1\n3,0\n4,1\n")
    npz_path = tmp_path / "t.npz"
    np.savez(npz_path, x=np.ones((4, 3)), y=np.array([0, 1, 0, 1]))
    (tmp_path / "imgs" / "a").mkdir(parents=True)
    Image.new("L", (3, 3)).save(tmp_path / "imgs" / "a" / "i.png")
    (tmp_path / "mnist").mkdir()
    mnist_folder(tmp_path / "mnist")
    (tmp_path / "cifar").mkdir()
    (tmp_path / "cifar" / "train.bin").write_bytes(bytes(2 * 3074))
    user_files = ("csv", "npz", "image_folder", *CLASSIC_SETS)
    all_params = [{"dataset": name} for name in DATASETS if name not in user_files]
    all_params += [
        {"dataset": "csv", "path": str(csv_path)},
        {"dataset": "npz", "path": str(npz_path)},
        {"dataset": "image_folder", "path": str(tmp_path / "imgs")},
        {"dataset": "mnist", "path": str(tmp_path / "mnist")},
        {"dataset": "cifar100", "path": str(tmp_path / "cifar")},
    ]
    code = (
        "import json, sys, engine.data\n"
        f"for p in json.loads({json.dumps(json.dumps(all_params))}):\n"
        "    engine.data.describe(p)\n"
        "heavy = [m for m in ('torch', 'sklearn', 'PIL') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert result.returncode == 0, result.stderr


def test_describe_reads_a_file_again_only_when_it_changes(tmp_path, monkeypatch):
    from engine.data import csv_file

    path = tmp_path / "t.csv"
    path.write_text("a,b\n1,0\n2,1\n")
    reads = []
    real_read = csv_file.read_table
    monkeypatch.setattr(csv_file, "read_table", lambda *a: reads.append(1) or real_read(*a))
    params = {"dataset": "csv", "path": str(path)}
    for _ in range(3):
        assert describe(params).num_samples == 2
    assert len(reads) == 1
    path.write_text("a,b\n1,0\n2,1\n3,2\n")
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 10**9))
    assert describe(params).num_samples == 3
    assert describe({**params, "target_column": "a"}).num_samples == 3
    assert len(reads) == 3


def test_a_remembered_error_is_raised_again(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("a,b\n1,0\ny,1\n")  # a column of numbers but one: a typo, not categories
    for _ in range(2):
        with pytest.raises(DataError, match="'t.csv' column 'a' is not numeric"):
            describe({"dataset": "csv", "path": str(path)})


def test_unknown_dataset_lists_the_available_ones():
    with pytest.raises(DataError, match=r"unknown dataset 'imagenet' \(available: digits_images, "):
        describe({"dataset": "imagenet"})


def test_dataset_node_defaults_come_from_the_data_package():
    node = catalog().get("data.Dataset")
    assert node.default_params() == DEFAULT_PARAMS
    assert node.param_index["dataset"].choices == DATASETS
    outputs = node.infer(node.default_params(), {})
    assert outputs["x"].dims == (64,) and outputs["y"].num_classes == 10


def test_dataset_node_turns_data_errors_into_shape_errors(tmp_path):
    node = catalog().get("data.Dataset")
    params = {**node.default_params(), "dataset": "csv", "path": str(tmp_path / "gone.csv")}
    with pytest.raises(ShapeError, match="file not found: .*gone.csv"):
        node.infer(params, {})


@pytest.mark.parametrize("path", ["bad\x00name.csv", "x" * 5000 + ".csv"])
def test_impossible_paths_are_data_errors(path):
    with pytest.raises(DataError, match="file not found"):
        describe({"dataset": "csv", "path": path})


def test_unreadable_file_is_a_data_error(tmp_path, monkeypatch):
    from engine.data import table_read

    path = tmp_path / "locked.csv"
    path.write_text("a,b\n1,0\n")

    def refuse(file, *args, **kwargs):
        raise PermissionError(13, "Permission denied", str(file))

    monkeypatch.setattr(table_read, "open_regular", refuse)
    with pytest.raises(DataError, match="cannot read 'locked.csv': Permission denied"):
        describe({"dataset": "csv", "path": str(path)})
