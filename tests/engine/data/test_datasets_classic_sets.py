"""MNIST-family IDX files and CIFAR binary files, written here in their formats at a tiny size."""

from __future__ import annotations

import gzip
import struct

import numpy as np
import pytest

from engine.data import DataError, describe, load_dataset
from engine.data.classic_sets import CLASSIC_SETS, read_classic_part


def write_idx(path, array: np.ndarray, gz: bool) -> None:
    magic = 0x0803 if array.ndim == 3 else 0x0801
    data = struct.pack(">I", magic) + struct.pack(f">{array.ndim}I", *array.shape) + array.astype(np.uint8).tobytes()
    if gz:
        path = path.with_name(path.name + ".gz")
        path.write_bytes(gzip.compress(data))
    else:
        path.write_bytes(data)


def mnist_folder(folder, train: int = 40, test: int = 10, gz: bool = True, seed: int = 0):
    rng = np.random.default_rng(seed)
    parts = {}
    for prefix, count in (("train", train), ("t10k", test)):
        images = rng.integers(0, 256, size=(count, 28, 28), dtype=np.uint8)
        labels = np.arange(count) % 10
        write_idx(folder / f"{prefix}-images-idx3-ubyte", images, gz)
        write_idx(folder / f"{prefix}-labels-idx1-ubyte", labels, gz)
        parts[prefix] = (images, labels)
    return parts


def cifar_records(count: int, label_bytes: int, classes: int, seed: int) -> tuple[bytes, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, size=(count, 3, 32, 32), dtype=np.uint8)
    labels = rng.integers(0, classes, size=count)
    rows = []
    for image, label in zip(images, labels, strict=True):
        head = bytes([label % 20, label]) if label_bytes == 2 else bytes([label])
        rows.append(head + image.tobytes())
    return b"".join(rows), images, labels


@pytest.mark.parametrize("gz", [True, False])
def test_mnist_idx_files_read_as_28x28_images_in_0_1(tmp_path, gz):
    parts = mnist_folder(tmp_path, gz=gz)
    params = {"dataset": "mnist", "path": str(tmp_path)}
    info = describe(params)
    assert info.x.dims == (1, 28, 28) and info.num_samples == 40 and info.class_names == tuple("0123456789")
    raw = read_classic_part(params, "train")
    images, labels = parts["train"]
    assert raw.x.shape == (40, 1, 28, 28) and raw.x.dtype == np.float32
    np.testing.assert_array_equal(raw.x[:, 0], images.astype(np.float32) / 255)
    np.testing.assert_array_equal(raw.y, labels)
    test = read_classic_part(params, "test")
    np.testing.assert_array_equal(test.x[:, 0], parts["t10k"][0].astype(np.float32) / 255)


def test_fashion_mnist_names_its_classes_and_loads_split(tmp_path):
    mnist_folder(tmp_path)
    data = load_dataset({"dataset": "fashion_mnist", "path": str(tmp_path), "val_split": 0.25}, seed=3)
    assert data.class_names[0] == "T-shirt/top" and data.class_names[9] == "Ankle boot"
    assert tuple(data.train_x.shape) == (30, 1, 28, 28) and tuple(data.val_x.shape) == (10, 1, 28, 28)
    assert float(data.train_x.max()) <= 1.0 and float(data.train_x.min()) >= 0.0


def test_cifar10_binary_batches_read_in_order_with_their_class_names(tmp_path):
    folder = tmp_path / "cifar-10-batches-bin"
    folder.mkdir()
    expected_x, expected_y = [], []
    for i, name in enumerate([f"data_batch_{k}.bin" for k in range(1, 6)]):
        data, images, labels = cifar_records(4, 1, 10, seed=i)
        (folder / name).write_bytes(data)
        expected_x.append(images)
        expected_y.append(labels)
    (folder / "test_batch.bin").write_bytes(cifar_records(3, 1, 10, seed=9)[0])
    names = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]
    (folder / "batches.meta.txt").write_text("\n".join(names) + "\n\n")
    params = {"dataset": "cifar10", "path": str(tmp_path)}  # the folder above the archive's works too
    info = describe(params)
    assert info.x.dims == (3, 32, 32) and info.num_samples == 20 and info.class_names == tuple(names)
    raw = read_classic_part(params, "train")
    np.testing.assert_array_equal(raw.x, np.concatenate(expected_x).astype(np.float32) / 255)
    np.testing.assert_array_equal(raw.y, np.concatenate(expected_y))
    assert read_classic_part(params, "test").x.shape == (3, 3, 32, 32)


def test_cifar100_uses_the_fine_label(tmp_path):
    data, _, labels = cifar_records(6, 2, 100, seed=1)
    (tmp_path / "train.bin").write_bytes(data)
    (tmp_path / "test.bin").write_bytes(data[: 2 * 3074])
    raw = read_classic_part({"dataset": "cifar100", "path": str(tmp_path)}, "train")
    np.testing.assert_array_equal(raw.y, labels)
    assert describe({"dataset": "cifar100", "path": str(tmp_path)}).y.num_classes == 100


@pytest.mark.parametrize("name", CLASSIC_SETS)
def test_missing_files_say_where_to_get_them_and_where_to_put_them(tmp_path, name):
    with pytest.raises(DataError) as error:
        describe({"dataset": name, "path": str(tmp_path)})
    message = str(error.value)
    assert "\n" not in message and "https://" in message and "put them in that folder" in message
    with pytest.raises(DataError, match="set path on the Dataset node"):
        describe({"dataset": name, "path": ""})


def test_the_pickled_cifar_version_is_refused_not_unpickled(tmp_path):
    (tmp_path / "data_batch_1").write_bytes(b"\x80\x04K\x01.")  # a pickle
    with pytest.raises(DataError, match="pickled"):
        describe({"dataset": "cifar10", "path": str(tmp_path)})


def test_damaged_files_give_one_line_naming_the_file(tmp_path):
    mnist_folder(tmp_path, gz=False)
    images = tmp_path / "train-images-idx3-ubyte"
    images.write_bytes(images.read_bytes()[:-100])  # cut short
    with pytest.raises(DataError, match="'train-images-idx3-ubyte' is cut short"):
        load_dataset({"dataset": "mnist", "path": str(tmp_path)})
    (tmp_path / "train-labels-idx1-ubyte").write_bytes(b"not an idx file at all")
    with pytest.raises(DataError, match="'train-labels-idx1-ubyte' is not an IDX file of labels"):
        describe({"dataset": "mnist", "path": str(tmp_path)})


def test_images_and_labels_must_agree_in_count(tmp_path):
    mnist_folder(tmp_path, gz=False)
    write_idx(tmp_path / "train-labels-idx1-ubyte", np.zeros(39, dtype=np.uint8), gz=False)
    with pytest.raises(DataError, match="40 images but 'train-labels-idx1-ubyte' 39 labels"):
        describe({"dataset": "kmnist", "path": str(tmp_path)})


def test_a_cifar_file_that_is_not_whole_records_is_refused(tmp_path):
    data, _, _ = cifar_records(2, 2, 100, seed=0)
    (tmp_path / "train.bin").write_bytes(data + b"\x00")
    with pytest.raises(DataError, match="not a whole number of CIFAR-100 records"):
        describe({"dataset": "cifar100", "path": str(tmp_path)})
