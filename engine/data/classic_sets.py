"""The classic image sets from the files the user has: MNIST, Fashion-MNIST, KMNIST and CIFAR-10/100.

Nothing is downloaded at run time: `path` names the folder holding the files in their standard
formats, and a message says where to get them when they are missing.

- MNIST, Fashion-MNIST, KMNIST: the four IDX files (`train-images-idx3-ubyte`,
  `train-labels-idx1-ubyte`, `t10k-...`), gzipped (`.gz`) or not, as their publishers ship them.
  Images become float32 [N, 1, 28, 28] in [0, 1].
- CIFAR-10 and CIFAR-100: the *binary* version only (`data_batch_1.bin` ... and `test_batch.bin`;
  `train.bin` and `test.bin`), never the Python version, which is a pickle and unpickling can run
  code. Images become float32 [N, 3, 32, 32] in [0, 1]; CIFAR-100 uses its 100 fine labels.

The training files feed training and validation (`val_split`); `read_classic_part` also reads the
test files. Headers are not
trusted: sizes are checked against the file sizes and the data limit before anything is read.
"""

from __future__ import annotations

import gzip
import io
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from engine.data.files import check_size, open_regular, os_error_message, stat_key
from engine.data.info import DataError, DatasetInfo, RawDataset
from engine.data.paths import resolve_data_path
from engine.data.read_cache import ReadCache
from engine.registry.spec import floats, labels

_CACHE = ReadCache()

IDX_IMAGES = 0x00000803  # unsigned bytes, 3 dimensions
IDX_LABELS = 0x00000801  # unsigned bytes, 1 dimension
CIFAR_SIDE = 32
CIFAR_PIXELS = 3 * CIFAR_SIDE * CIFAR_SIDE


@dataclass(frozen=True)
class IdxSet:
    title: str
    class_names: tuple[str, ...]
    where: str  # where to get the files


@dataclass(frozen=True)
class CifarSet:
    title: str
    train_files: tuple[str, ...]
    test_files: tuple[str, ...]
    label_bytes: int  # bytes before the pixels in each record; the last of them is the label used
    names_file: str
    folder: str  # the folder the archive unpacks to (path may name it or the folder above it)
    where: str
    pickled: tuple[str, ...]  # names that show the Python (pickled) version instead


IDX_SETS: dict[str, IdxSet] = {
    "mnist": IdxSet(
        "MNIST",
        tuple("0123456789"),
        "https://ossci-datasets.s3.amazonaws.com/mnist/ (the files of http://yann.lecun.com/exdb/mnist/)",
    ),
    "fashion_mnist": IdxSet(
        "Fashion-MNIST",
        ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"),
        "https://github.com/zalandoresearch/fashion-mnist (folder data/fashion)",
    ),
    "kmnist": IdxSet(
        "KMNIST",
        ("o", "ki", "su", "tsu", "na", "ha", "ma", "ya", "re", "wo"),
        "https://github.com/rois-codh/kmnist (the MNIST-format files)",
    ),
}
CIFAR_SETS: dict[str, CifarSet] = {
    "cifar10": CifarSet(
        "CIFAR-10",
        tuple(f"data_batch_{i}.bin" for i in range(1, 6)),
        ("test_batch.bin",),
        1,
        "batches.meta.txt",
        "cifar-10-batches-bin",
        "https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz (the binary version)",
        ("cifar-10-batches-py", "data_batch_1"),
    ),
    "cifar100": CifarSet(
        "CIFAR-100",
        ("train.bin",),
        ("test.bin",),
        2,
        "fine_label_names.txt",
        "cifar-100-binary",
        "https://www.cs.toronto.edu/~kriz/cifar-100-binary.tar.gz (the binary version)",
        ("cifar-100-python", "train"),
    ),
}
CLASSIC_SETS = (*IDX_SETS, *CIFAR_SETS)
CLASSIC_DESCRIPTIONS = {
    "mnist": "MNIST: 70,000 handwritten digits as 28x28 grayscale images, from your IDX files.",
    "fashion_mnist": "Fashion-MNIST: 70,000 28x28 grayscale photos of clothing in 10 classes, from your IDX files.",
    "kmnist": "KMNIST: 70,000 28x28 handwritten Japanese characters in 10 classes, from your IDX files.",
    "cifar10": "CIFAR-10: 60,000 32x32 colour photos in 10 classes, from your files (binary version).",
    "cifar100": "CIFAR-100: 60,000 32x32 colour photos in 100 classes, from your files (binary version).",
}


# -- public: describe and read -------------------------------------------------------------------


def describe_classic(params: dict[str, Any]) -> DatasetInfo:
    name = params["dataset"]
    files = _files(name, params, "train")
    key = (name, tuple(stat_key(f) for f in files))
    return _CACHE.get(key, lambda: _describe(name, files, params), files[0].parent.name)


def read_classic(params: dict[str, Any], seed: int) -> RawDataset:
    return read_classic_part(params, "train")


def read_classic_part(params: dict[str, Any], part: str) -> RawDataset:
    """The training (`part="train"`) or test (`part="test"`) files as arrays."""
    name = params["dataset"]
    files = _files(name, params, part)
    info = _describe(name, files, params)
    if name in IDX_SETS:
        x = _read_idx(files[0], IDX_IMAGES)
        y = _read_idx(files[1], IDX_LABELS).astype(np.int64)
        x = x.reshape(len(x), 1, 28, 28)
    else:
        spec = CIFAR_SETS[name]
        chunks = [_read_cifar(f, spec.label_bytes) for f in files]
        x = np.concatenate([c[0] for c in chunks])
        y = np.concatenate([c[1] for c in chunks])
    x = x.astype(np.float32) / np.float32(255)
    return RawDataset(x, y, _sized(info, len(x)), identity={"files": [f.name for f in files], "part": part})


def test_files_problem(params: dict[str, Any]) -> str | None:
    """Why `test_set` test_files cannot be met by the chosen dataset, or None."""
    if params.get("test_set") != "test_files" or params.get("dataset") in CLASSIC_SETS:
        return None
    return (
        f"test_set test_files: the {params.get('dataset')} dataset has no test files of its own (only "
        f"{', '.join(CLASSIC_SETS)} do); choose held_out to keep a share of the samples apart as the test set"
    )


# -- locating the files ---------------------------------------------------------------------------


def _files(name: str, params: dict[str, Any], part: str) -> list[Path]:
    text = str(params.get("path", "")).strip()
    title = (IDX_SETS.get(name) or CIFAR_SETS[name]).title
    if not text:
        raise DataError(f"{title} needs its files: set path on the Dataset node to their folder; {_get_them(name)}")
    folder = resolve_data_path(text, None)
    if not folder.is_dir():
        raise DataError(f"{title}: folder not found: {text}; {_get_them(name)}")
    if name in IDX_SETS:
        prefix = "train" if part == "train" else "t10k"
        return [
            _idx_file(folder, f"{prefix}-{kind}", title, name) for kind in ("images-idx3-ubyte", "labels-idx1-ubyte")
        ]
    spec = CIFAR_SETS[name]
    if (folder / spec.folder).is_dir():
        folder = folder / spec.folder
    wanted = spec.train_files if part == "train" else spec.test_files
    missing = [f for f in wanted if not (folder / f).is_file()]
    if missing:
        if any((folder / marker).exists() for marker in spec.pickled):
            raise DataError(
                f"{title}: '{folder.name}' holds the Python (pickled) version, which Netwright never reads "
                f"(unpickling can run code); {_get_them(name)}"
            )
        raise DataError(f"{title}: {', '.join(missing)} not found in '{folder}'; {_get_them(name)}")
    return [folder / f for f in wanted]


def _idx_file(folder: Path, stem: str, title: str, name: str) -> Path:
    for candidate in (folder / stem, folder / f"{stem}.gz", folder / stem.replace("-idx", ".idx")):
        if candidate.is_file():
            return candidate
    raise DataError(f"{title}: {stem}.gz (or {stem}) not found in '{folder}'; {_get_them(name)}")


def _get_them(name: str) -> str:
    where = (IDX_SETS.get(name) or CIFAR_SETS[name]).where
    return f"get the files from {where} and put them in that folder (Netwright downloads nothing)"


# -- reading --------------------------------------------------------------------------------------


def _describe(name: str, files: list[Path], params: dict[str, Any]) -> DatasetInfo:
    if name in IDX_SETS:
        spec = IDX_SETS[name]
        images = _idx_header(files[0], IDX_IMAGES)
        count = _idx_header(files[1], IDX_LABELS)[0]
        if images[1:] != (28, 28):
            raise DataError(f"'{files[0].name}' holds {images[1]}x{images[2]} images; {spec.title} images are 28x28")
        if images[0] != count:
            raise DataError(f"'{files[0].name}' holds {images[0]} images but '{files[1].name}' {count} labels")
        return DatasetInfo(floats(1, 28, 28), labels(10), "classification", spec.class_names, images[0])
    spec = CIFAR_SETS[name]
    record = spec.label_bytes + CIFAR_PIXELS
    total = 0
    for path in files:
        size = _file_size(path)
        if size == 0 or size % record:
            raise DataError(
                f"'{path.name}' is {size} bytes, not a whole number of {spec.title} records ({record} bytes)"
            )
        total += size // record
    names = _cifar_names(files[0].parent / spec.names_file, 10 if name == "cifar10" else 100)
    return DatasetInfo(floats(3, CIFAR_SIDE, CIFAR_SIDE), labels(len(names)), "classification", names, total)


def _sized(info: DatasetInfo, count: int) -> DatasetInfo:
    return DatasetInfo(info.x, info.y, info.task, info.class_names, count)


def _open(path: Path) -> io.BufferedIOBase:
    try:
        raw = open_regular(path)
    except OSError as exc:
        raise DataError(os_error_message(exc)) from None
    return gzip.GzipFile(fileobj=raw, mode="rb") if path.name.endswith(".gz") else raw


def _idx_header(path: Path, magic: int) -> tuple[int, ...]:
    dims = 3 if magic == IDX_IMAGES else 1
    try:
        with _open(path) as handle:
            head = handle.read(4 + 4 * dims)
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        raise DataError(f"'{path.name}' cannot be read as an IDX file: {exc}") from None
    if len(head) < 4 + 4 * dims or struct.unpack(">I", head[:4])[0] != magic:
        kind = "images (magic 2051)" if magic == IDX_IMAGES else "labels (magic 2049)"
        raise DataError(f"'{path.name}' is not an IDX file of {kind}")
    return struct.unpack(f">{dims}I", head[4:])


def _read_idx(path: Path, magic: int) -> np.ndarray:
    dims = _idx_header(path, magic)
    count = int(np.prod(dims))
    check_size(path.name, count, "would take")
    header = 4 + 4 * len(dims)
    try:
        with _open(path) as handle:
            handle.read(header)
            data = handle.read(count)
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        raise DataError(f"'{path.name}' is damaged: {exc}") from None
    if len(data) != count:
        raise DataError(f"'{path.name}' is cut short: {len(data)} of {count} bytes after its header")
    return np.frombuffer(data, dtype=np.uint8).reshape(dims)


def _read_cifar(path: Path, label_bytes: int) -> tuple[np.ndarray, np.ndarray]:
    record = label_bytes + CIFAR_PIXELS
    try:
        with _open(path) as handle:
            data = handle.read()
    except OSError as exc:
        raise DataError(f"'{path.name}' cannot be read: {exc}") from None
    if not data or len(data) % record:
        raise DataError(f"'{path.name}' is {len(data)} bytes, not a whole number of {record}-byte records")
    rows = np.frombuffer(data, dtype=np.uint8).reshape(-1, record)
    y = rows[:, label_bytes - 1].astype(np.int64)
    x = rows[:, label_bytes:].reshape(-1, 3, CIFAR_SIDE, CIFAR_SIDE)
    return x, y


def _cifar_names(path: Path, count: int) -> tuple[str, ...]:
    """The class names from the archive's names file; numbered names if it is missing."""
    if not path.is_file():
        return tuple(str(i) for i in range(count))
    try:
        with _open(path) as handle:
            text = handle.read(1_000_000).decode("utf-8", "replace")
    except OSError:
        return tuple(str(i) for i in range(count))
    names = tuple(line.strip() for line in text.splitlines() if line.strip())
    if len(names) != count:
        raise DataError(f"'{path.name}' names {len(names)} classes, expected {count}")
    return names


def _file_size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError as exc:
        raise DataError(os_error_message(exc)) from None
