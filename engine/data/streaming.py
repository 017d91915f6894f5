"""Image folders larger than memory: images are listed and checked up front, decoded batch by batch.

`streaming: auto` streams a folder whose decoded size (N x channels x size x size x 4 bytes) is
over the memory budget (NETWRIGHT_STREAM_ABOVE_MB, default 1024); `on` always streams, `off` never.

A streamed folder is read as `LazyImages`: the same listing, the same split (load_dataset splits
labels, which are known from the folder names) and the same pixels as the in-memory path, but no
pixel is decoded until a batch needs it. Every file's header is checked first (format, size, and
Pillow's `verify`, which walks the file without decoding it), so an unreadable file is skipped and
named before the split, as the in-memory path does. After the split, each split's images become
`StreamedImages` (engine/data/streaming_split.py), which the trainer reads through a DataLoader
with worker processes.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from engine.data.files import open_regular, user_path
from engine.data.image_folder import (
    MAX_IMAGE_PIXELS,
    _listing,
    _pixels,
    _too_large,
    describe_image_folder,
    read_image_folder,
)
from engine.data.info import DataError, DatasetInfo, RawDataset

STREAM_ABOVE_ENV = "NETWRIGHT_STREAM_ABOVE_MB"
STREAM_ABOVE_MB_DEFAULT = 1024
STREAMING_CHOICES = ("auto", "on", "off")


def stream_budget_bytes() -> int:
    """Decoded image folders above this many bytes are streamed when `streaming` is auto."""
    text = os.environ.get(STREAM_ABOVE_ENV, "").strip()
    try:
        megabytes = float(text) if text else STREAM_ABOVE_MB_DEFAULT
    except ValueError:
        megabytes = STREAM_ABOVE_MB_DEFAULT
    return int(max(megabytes, 0) * 1024 * 1024)


def decoded_bytes(info: DatasetInfo) -> int:
    """What the folder takes once decoded into float32 pixels."""
    return (info.num_samples or 0) * int(np.prod(info.x.dims)) * 4


def wants_streaming(params: dict[str, Any], info: DatasetInfo) -> bool:
    return streams(params, decoded_bytes(info))


def streams(params: dict[str, Any], nbytes: int) -> bool:
    """The `streaming` setting for data that takes `nbytes` decoded: auto streams above the memory budget."""
    mode = params.get("streaming", "auto")
    if mode not in STREAMING_CHOICES:
        raise DataError(f"streaming is {mode!r}; expected one of {', '.join(STREAMING_CHOICES)}")
    if mode == "auto":
        return nbytes > stream_budget_bytes()
    return mode == "on"


def worker_count(params: dict[str, Any]) -> int:
    """`stream_workers`, or with 0 one worker per core but one (for the training loop), at most 8."""
    asked = int(params.get("stream_workers", 0))
    if asked > 0:
        return asked
    return max(1, min(8, (os.cpu_count() or 1) - 1))


@dataclass(frozen=True)
class ImageFiles:
    """What a worker needs to decode any image of the folder: plain data, so it pickles for spawn."""

    root: str
    files: tuple[str, ...]  # relative to root, as the listing names them
    mode: str  # Pillow's L or RGB
    size: int
    workers: int

    def decode(self, index: int) -> np.ndarray:
        """One image as float32 [C, size, size] in [0, 1], exactly as the in-memory path stores it."""
        pixels = _pixels(Path(self.root), self.files[index], self.mode, self.size)
        return (pixels.reshape(self.size, self.size, -1).transpose(2, 0, 1) / 255.0).astype(np.float32)

    @property
    def sample_shape(self) -> tuple[int, int, int]:
        return (3 if self.mode == "RGB" else 1, self.size, self.size)


class LazyImages:
    """The images of a folder selected by index, before decoding: indexes like a numpy array of them.

    Indexing (an int array, a boolean mask or a slice) selects images without reading any; load_dataset
    splits it like the arrays of an in-memory dataset. `np.asarray` decodes the selection.
    """

    def __init__(self, files: ImageFiles, indices: np.ndarray):
        self.files = files
        self.indices = np.asarray(indices, dtype=np.int64)

    def __len__(self) -> int:
        return len(self.indices)

    @property
    def shape(self) -> tuple[int, ...]:
        return (len(self.indices), *self.files.sample_shape)

    @property
    def ndim(self) -> int:
        return 4

    @property
    def dtype(self) -> np.dtype:
        return np.dtype(np.float32)

    def __getitem__(self, key) -> LazyImages:
        return LazyImages(self.files, self.indices[key])

    def astype(self, dtype) -> LazyImages:
        if np.dtype(dtype) != np.float32:
            raise TypeError(f"streamed images are float32, not {np.dtype(dtype)}")
        return self

    def __array__(self, dtype=None, copy=None) -> np.ndarray:
        out = np.empty(self.shape, dtype=np.float32)
        for row, index in enumerate(self.indices):
            out[row] = self.files.decode(int(index))
        return out if dtype is None else out.astype(dtype)

    def decode_for_preview(self) -> tuple[np.ndarray, list[str]]:
        """The images, black for one that passed the header check but does not decode; and why each failed."""
        out = np.zeros(self.shape, dtype=np.float32)
        problems = []
        for row, index in enumerate(self.indices):
            try:
                out[row] = self.files.decode(int(index))
            except DataError as exc:
                problems.append(str(exc))
        return out, problems

    def digest(self) -> bytes:
        """Stands for the pixels in a fingerprint: the files (names, sizes, modification times) and settings."""
        digest = hashlib.sha256(f"{self.files.mode}{self.files.size}".encode())
        root = Path(self.files.root)
        for index in self.indices:
            name = self.files.files[int(index)]
            st = (root / name).stat()
            digest.update(f"{name}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
        return digest.digest()


def read_image_folder_source(params: dict[str, Any], seed: int) -> RawDataset:
    """The image folder's source read: decoded whole, or listed for streaming (the `streaming` setting)."""
    if wants_streaming(params, describe_image_folder(params)):
        return read_image_folder_lazily(params)
    return read_image_folder(params, seed)


def read_image_folder_for_preview(params: dict[str, Any], seed: int) -> RawDataset:
    """The data preview's read: listed and checked as for streaming, so only the samples shown are decoded."""
    return read_image_folder_lazily(params)


def read_image_folder_lazily(params: dict[str, Any]) -> RawDataset:
    """The folder's labels and its checked files; pixels are decoded later, batch by batch."""
    root = user_path(params, "folder")
    info = describe_image_folder(params)
    mode = "RGB" if params["color"] == "rgb" else "L"
    files: list[str] = []
    labels: list[int] = []
    skipped: list[str] = []
    for label, (name, names) in enumerate(_listing(root).items()):
        kept = 0
        for file in names:
            if problem := header_problem(root, file):
                skipped.append(problem)
                continue
            files.append(file)
            labels.append(label)
            kept += 1
        if not kept:
            raise DataError(f"class folder '{root.name}/{name}' has no readable images ({skipped[-1]})")
    if skipped:
        info = replace(info, num_samples=len(files))
    image_files = ImageFiles(str(root), tuple(files), mode, int(params["image_size"]), worker_count(params))
    identity = {
        "image_size": image_files.size,
        "color": params["color"],
        "classes": list(info.class_names),
        "skipped": skipped,
        "streamed": True,
    }
    x = LazyImages(image_files, np.arange(len(files)))
    return RawDataset(x, np.asarray(labels, dtype=np.int64), info, identity=identity, skipped=tuple(skipped))  # type: ignore[arg-type]


def header_problem(root: Path, file: str) -> str | None:
    """Why the image cannot be read, from its header and structure without decoding pixels; None if fine."""
    from PIL import Image, UnidentifiedImageError

    label = f"{root.name}/{file}"
    try:
        with open_regular(root / file) as handle, Image.open(handle) as image:
            width, height = image.size
            if width * height > MAX_IMAGE_PIXELS:
                return _too_large(label, width, height)
            image.verify()
    except DataError as exc:
        return str(exc)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        return _too_large(label)
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:  # Pillow raises all of these
        return f"'{label}' is not a readable image ({exc.__class__.__name__})"
    return None
