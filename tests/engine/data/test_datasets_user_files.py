"""The user's own data: CSV files, image folders and npz files, good and bad."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from engine.data import DataError, describe, load_dataset
from engine.data.preview import preview_dataset


def csv_text(x: np.ndarray, y, header=("a", "b", "c", "label")) -> str:
    lines = [",".join(header)]
    lines += [",".join([*(f"{v:.6f}" for v in row), str(t)]) for row, t in zip(x, y, strict=True)]
    return "\n".join(lines) + "\n"


# --- CSV ---------------------------------------------------------------------------------------


def test_csv_integer_target_is_classification_with_standardized_features(write_csv, classification_table):
    x, y = classification_table
    path = write_csv(csv_text(x, y))
    params = {"dataset": "csv", "path": str(path)}
    info = describe(params)
    assert info.task == "classification" and info.class_names == ("0", "1")
    assert info.x.dims == (3,) and info.y.num_classes == 2 and info.num_samples == 40
    data = load_dataset({**params, "val_split": 0.25}, seed=0)
    assert data.train_x.shape == (30, 3) and data.val_x.shape == (10, 3)
    assert data.train_y.dtype == torch.int64 and torch.bincount(data.val_y).tolist() == [5, 5]
    assert torch.allclose(data.train_x.mean(0), torch.zeros(3), atol=1e-5)
    assert torch.allclose(data.train_x.std(0, unbiased=False), torch.ones(3), atol=1e-4)


def test_csv_text_target_gives_sorted_class_names_and_chosen_column(write_csv):
    rows = ["species,len,width"] + [f"{s},{i},{i * 2}" for i, s in enumerate(["b", "a", "c"] * 4)]
    path = write_csv("\n".join(rows))
    params = {"dataset": "csv", "path": str(path), "target_column": "species", "val_split": 0.0}
    assert describe(params).class_names == ("a", "b", "c")
    data = load_dataset(params, seed=0)
    assert data.train_y[:3].tolist() == [1, 0, 2]  # b, a, c
    assert data.train_x.shape == (12, 2)


def test_csv_float_target_is_regression_and_kept_in_its_units(write_csv):
    rows = ["x1;x2;price"] + [f"{i};{i % 3};{10.5 * i}" for i in range(10)]  # semicolons work too
    path = write_csv("\n".join(rows))
    params = {"dataset": "csv", "path": str(path), "val_split": 0.0}
    info = describe(params)
    assert info.task == "regression" and info.y.dims == (1,) and not info.y.is_labels
    data = load_dataset(params, seed=0)
    assert data.train_y.shape == (10, 1) and data.train_y.dtype == torch.float32
    assert data.train_y[:, 0].tolist() == [10.5 * i for i in range(10)]


def test_csv_many_distinct_integers_are_regression_unless_task_says_otherwise(write_csv):
    rows = ["x,age"] + [f"{i},{20 + i}" for i in range(30)]
    path = write_csv("\n".join(rows))
    assert describe({"dataset": "csv", "path": str(path)}).task == "regression"
    forced = describe({"dataset": "csv", "path": str(path), "task": "classification"})
    assert forced.task == "classification" and forced.y.num_classes == 30


def test_csv_validation_rows_do_not_leak_into_training_features(write_csv, classification_table):
    x, y = classification_table
    params = {"dataset": "csv", "path": str(write_csv(csv_text(x, y), "a.csv")), "val_split": 0.25}
    first = load_dataset(params, seed=4)
    # The same split, with every validation row's features made huge.
    from engine.data.load import split_indices

    _, val, _ = split_indices(y, 0.25, seed=4, stratify=True)
    x_changed = x.copy()
    x_changed[val] *= 1000.0
    changed = load_dataset({**params, "path": str(write_csv(csv_text(x_changed, y), "b.csv"))}, seed=4)
    assert torch.allclose(first.train_x, changed.train_x)
    assert torch.allclose(first.feature_mean, changed.feature_mean)
    assert not torch.allclose(first.val_x, changed.val_x)


@pytest.mark.parametrize(
    "text, params, expected",
    [
        ("a,b,label\n1,2,0\n3,oops,1\n", {}, ["column 'b' is not numeric", "line 3"]),
        ("a,city,label\n1,Paris,0\n2,Rome,1\n", {"categorical": "embed"}, ["column 'city' is set to embed", "'a'"]),
        ("a,b,label\n1,,0\n3,4,1\n", {}, ["column 'b'", "missing value", "line 2"]),
        ("a,b,label\n1,2,0\n3,4\n", {}, ["line 3 has 2 values", "3 columns"]),
        ("a,b,label\n", {}, ["no data rows"]),
        ("", {}, ["empty"]),
        ("just one column\n1\n2\n", {}, ["single column"]),
        ("a,b,label\n1,2,0\n3,4,1\n", {"target_column": "price"}, ["no column 'price'", "columns: a, b, label"]),
        ("a,b,label\n1,2,x\n3,4,y\n", {"task": "regression"}, ["target column 'label' is not numeric", "line 2"]),
        ("a,b,label\n1,2,7\n3,4,7\n", {}, ["single value"]),
        ("a,a,label\n1,2,0\n3,4,1\n", {}, ["two columns named 'a'"]),
    ],
)
def test_bad_csv_gives_one_line_naming_the_file(write_csv, text, params, expected):
    path = write_csv(text, "bad.csv")
    with pytest.raises(DataError) as caught:
        load_dataset({"dataset": "csv", "path": str(path), **params}, seed=0)
    message = str(caught.value)
    assert "\n" not in message and "bad.csv" in message
    for part in expected:
        assert part in message
    for cell in ("oops", "Paris", "'x'", "'7'"):  # errors name lines and columns, never a cell's text
        assert cell not in message


def test_describe_reports_a_bad_feature_column_without_loading(write_csv):
    path = write_csv("a,city,label\n1,Paris,0\n2,3,1\n", "towns.csv")
    with pytest.raises(DataError, match=r"'towns.csv' column 'city' is not numeric \(line 2\)"):
        describe({"dataset": "csv", "path": str(path)})


def test_binary_file_is_not_a_csv(tmp_path):
    path = tmp_path / "photo.csv"
    path.write_bytes(bytes(range(256)) * 4)
    with pytest.raises(DataError, match=r"'photo.csv' is not a"):
        describe({"dataset": "csv", "path": str(path)})


def test_missing_or_unset_path(tmp_path):
    with pytest.raises(DataError, match=r"file not found: .*nothing\.csv"):
        describe({"dataset": "csv", "path": str(tmp_path / "nothing.csv")})
    with pytest.raises(DataError, match="set path on the Dataset node"):
        describe({"dataset": "csv", "path": ""})
    with pytest.raises(DataError, match=r"'\w+' is a folder"):
        describe({"dataset": "npz", "path": str(tmp_path)})


# --- image folders -----------------------------------------------------------------------------


def test_image_folder_grayscale_and_rgb(image_folder):
    params = {"dataset": "image_folder", "path": str(image_folder), "image_size": 6, "val_split": 0.0}
    info = describe(params)
    assert info.x.dims == (1, 6, 6) and info.class_names == ("cat", "dog") and info.num_samples == 7
    data = load_dataset(params, seed=0)
    assert data.train_x.shape == (7, 1, 6, 6) and data.train_y.tolist() == [0, 0, 0, 1, 1, 1, 1]
    assert float(data.train_x.min()) >= 0.0 and float(data.train_x.max()) == 1.0
    assert torch.allclose(data.train_x[3:], torch.ones(4, 1, 6, 6))  # the white dogs
    rgb = load_dataset({**params, "color": "rgb"}, seed=0)
    assert rgb.info.x.dims == (3, 6, 6) and rgb.train_x.shape == (7, 3, 6, 6)
    red = rgb.train_x[2]  # cat c2: pure red (20, 0, 0)
    assert torch.allclose(red[0], torch.full((6, 6), 20 / 255)) and float(red[1:].abs().max()) == 0.0


def test_image_folder_split_is_stratified(image_folder):
    data = load_dataset(
        {"dataset": "image_folder", "path": str(image_folder), "image_size": 4, "val_split": 0.3}, seed=1
    )
    assert data.stratified
    assert sorted(data.val_y.tolist()) == [0, 1, 1]  # 3 of 7 held out: 1 of 3 cats, 2 of 4 dogs
    assert sorted(data.train_y.tolist()) == [0, 0, 1, 1]


def test_image_folder_without_class_subfolders(tmp_path):
    from PIL import Image

    root = tmp_path / "flat"
    root.mkdir()
    Image.new("L", (4, 4)).save(root / "one.png")
    with pytest.raises(DataError, match=r"folder 'flat' has no class subfolders \(it holds 1 images directly\)"):
        describe({"dataset": "image_folder", "path": str(root)})
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(DataError, match="folder 'empty' has no class subfolders"):
        describe({"dataset": "image_folder", "path": str(empty)})


def test_image_folder_class_without_images(image_folder):
    (image_folder / "bird").mkdir()
    with pytest.raises(DataError, match=r"class folder 'pets/bird' has no images"):
        describe({"dataset": "image_folder", "path": str(image_folder)})


def test_an_unreadable_image_is_skipped_counted_and_named(image_folder):
    (image_folder / "cat" / "broken.png").write_bytes(b"not really a png")
    params = {"dataset": "image_folder", "path": str(image_folder)}
    assert describe(params).num_samples == 8  # listing only: describe does not open images
    data = load_dataset({**params, "val_split": 0.0}, seed=0)
    assert len(data.train_x) == 7 and data.info.num_samples == 7
    assert data.skipped == ("'pets/cat/broken.png' is not a readable image (UnidentifiedImageError)",)
    warning = preview_dataset(params).warnings[0]
    assert warning.startswith("1 unreadable files were skipped: 'pets/cat/broken.png'")


def test_a_class_with_no_readable_image_is_an_error(image_folder):
    for file in (image_folder / "cat").iterdir():
        file.write_bytes(b"broken")
    with pytest.raises(DataError, match=r"class folder 'pets/cat' has no readable images"):
        load_dataset({"dataset": "image_folder", "path": str(image_folder)}, seed=0)


def test_image_folder_path_that_is_a_file(write_csv):
    path = write_csv("a,b\n1,2\n", "table.csv")
    with pytest.raises(DataError, match="'table.csv' is a file; the image_folder dataset needs a folder"):
        describe({"dataset": "image_folder", "path": str(path)})


# --- npz ---------------------------------------------------------------------------------------


def test_npz_integer_labels_are_classification(tmp_path):
    path = tmp_path / "arrays.npz"
    x = np.arange(20 * 2 * 3, dtype=np.uint8).reshape(20, 2, 3)
    np.savez_compressed(path, x=x, y=np.array([0, 4] * 10))
    params = {"dataset": "npz", "path": str(path), "val_split": 0.0}
    info = describe(params)
    assert info.task == "classification" and info.y.num_classes == 5 and info.x.dims == (2, 3)
    data = load_dataset(params, seed=0)
    assert data.train_x.dtype == torch.float32 and torch.equal(data.train_x, torch.from_numpy(x).float())
    assert data.train_y.dtype == torch.int64 and data.train_y.shape == (20,)


def test_npz_float_targets_are_regression(tmp_path):
    path = tmp_path / "reg.npz"
    np.savez(path, x=np.ones((12, 4)), y=np.linspace(0, 1, 24).reshape(12, 2))
    params = {"dataset": "npz", "path": str(path), "val_split": 0.25}
    info = describe(params)
    assert info.task == "regression" and info.y.dims == (2,) and info.x.dims == (4,)
    data = load_dataset(params, seed=0)
    assert data.train_y.shape == (9, 2) and data.val_y.shape == (3, 2)
    np.savez(path, x=np.ones(12), y=np.linspace(0, 1, 12))  # 1-D arrays: one value per sample
    assert describe(params).x.dims == (1,) and describe(params).y.dims == (1,)
    assert load_dataset(params, seed=0).train_x.shape == (9, 1)


@pytest.mark.parametrize(
    "arrays, expected",
    [
        ({"x": np.ones((3, 2))}, "has no array 'y' (found: x)"),
        ({"features": np.ones((3, 2)), "y": np.ones(3)}, "has no array 'x' (found: features, y)"),
        ({"x": np.ones((3, 2)), "y": np.ones(4)}, "3 samples in x but 4 in y"),
        ({"x": np.array(["a", "b"]), "y": np.ones(2)}, "array 'x' holds <U1 values"),
        ({"x": np.ones((3, 2)), "y": np.array([0, -1, 1])}, "has the label -1"),
        ({"x": np.ones((0, 2)), "y": np.ones(0)}, "one row per sample"),
    ],
)
def test_bad_npz_gives_one_line_naming_the_file(tmp_path, arrays, expected):
    path = tmp_path / "bad.npz"
    np.savez(path, **arrays)
    with pytest.raises(DataError) as caught:
        describe({"dataset": "npz", "path": str(path)})
    assert "'bad.npz'" in str(caught.value) and expected in str(caught.value)


def test_a_file_that_is_not_npz(write_csv):
    path = write_csv("a,b\n1,2\n", "table.npz")
    with pytest.raises(DataError, match=r"'table.npz' is not a readable .npz file"):
        describe({"dataset": "npz", "path": str(path)})


def test_npz_fractional_labels_with_classification_task(tmp_path):
    path = tmp_path / "frac.npz"
    np.savez(path, x=np.ones((3, 2)), y=np.array([0.5, 1.0, 2.0]))
    with pytest.raises(DataError, match="'frac.npz' array 'y' holds fractions"):
        describe({"dataset": "npz", "path": str(path), "task": "classification"})
