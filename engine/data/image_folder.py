"""The user's image folder: one subfolder per class, read with Pillow.

describe only lists the folders; read opens every image, converts it to grayscale or
RGB, resizes it to image_size square (aspect ratio is not kept) and scales pixels to [0, 1].
An image's header is not trusted: one that claims more than MAX_IMAGE_PIXELS pixels (a
decompression bomb: a small file that unpacks to gigabytes) is refused before it is decoded.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from engine.data.files import check_size, open_regular, user_path
from engine.data.info import DataError, DatasetInfo, RawDataset
from engine.data.read_cache import ReadCache
from engine.registry.spec import floats, labels

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff")
# Larger images are refused unread: 8192 x 8192, far above any image_size (at most 512).
MAX_IMAGE_PIXELS = 8192 * 8192

_CACHE = ReadCache()


def describe_image_folder(params: dict[str, Any]) -> DatasetInfo:
    root = user_path(params, "folder")
    classes = _listing(root)
    channels = 3 if params["color"] == "rgb" else 1
    size = params["image_size"]
    total = sum(len(files) for files in classes.values())
    return DatasetInfo(floats(channels, size, size), labels(len(classes)), "classification", tuple(classes), total)


def read_image_folder(params: dict[str, Any], seed: int) -> RawDataset:
    root = user_path(params, "folder")
    info = describe_image_folder(params)
    mode = "RGB" if params["color"] == "rgb" else "L"
    size = params["image_size"]
    check_size(root.name, info.num_samples * int(np.prod(info.x.dims)) * 4, "would take")
    x = np.empty((info.num_samples, *info.x.dims), dtype=np.float32)
    y = np.empty(info.num_samples, dtype=np.int64)
    i = 0
    skipped: list[str] = []  # one damaged file among thousands must not stop a run: skip it and say so
    for label, (name, files) in enumerate(_listing(root).items()):
        kept = 0
        for file in files:
            try:
                pixels = _pixels(root, file, mode, size)
            except DataError as exc:
                skipped.append(str(exc))
                continue
            x[i] = (pixels.reshape(size, size, -1).transpose(2, 0, 1)) / 255.0
            y[i] = label
            i += 1
            kept += 1
        if not kept:
            raise DataError(f"class folder '{root.name}/{name}' has no readable images ({skipped[-1]})")
    if skipped:
        info = DatasetInfo(info.x, info.y, info.task, info.class_names, i)
    identity = {"image_size": size, "color": params["color"], "classes": list(info.class_names), "skipped": skipped}
    return RawDataset(x[:i], y[:i], info, identity=identity, skipped=tuple(skipped))


def _pixels(root: Path, file: str, mode: str, size: int) -> np.ndarray:
    """One image as a [size, size(, channels)] uint8 array; DataError for anything unreadable or too large."""
    from PIL import Image, UnidentifiedImageError

    label = f"{root.name}/{file}"
    try:
        with open_regular(root / file) as handle, Image.open(handle) as image:
            width, height = image.size
            if width * height > MAX_IMAGE_PIXELS:
                raise DataError(_too_large(label, width, height))
            return np.asarray(image.convert(mode).resize((size, size), Image.BILINEAR))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise DataError(_too_large(label)) from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:  # Pillow raises all of these
        raise DataError(f"'{label}' is not a readable image ({exc.__class__.__name__})") from None


def _too_large(label: str, width: int | None = None, height: int | None = None) -> str:
    claimed = f" claims {width} x {height} pixels" if width is not None else " claims too many pixels"
    limit = f"{MAX_IMAGE_PIXELS:,}"
    return f"'{label}'{claimed}; images over {limit} pixels are refused (a decompression bomb?)"


def _listing(root: Path) -> dict[str, list[str]]:
    """Class name -> image paths relative to root, sorted; cached until a folder changes."""
    subfolders = sorted(
        (e for e in os.scandir(root) if e.is_dir() and not e.name.startswith(".")), key=lambda e: e.name
    )
    key = (str(root.resolve()), root.stat().st_mtime_ns, tuple((e.name, e.stat().st_mtime_ns) for e in subfolders))
    return _CACHE.get(key, lambda: _list_classes(root, [e.name for e in subfolders]), root.name)


def _list_classes(root: Path, subfolders: list[str]) -> dict[str, list[str]]:
    if not subfolders:
        loose = sum(1 for e in os.scandir(root) if e.name.lower().endswith(IMAGE_SUFFIXES))
        found = f" (it holds {loose} images directly)" if loose else ""
        raise DataError(
            f"folder '{root.name}' has no class subfolders{found}: put each class's "
            f"images in its own subfolder, e.g. {root.name}/cat/ and {root.name}/dog/"
        )
    classes: dict[str, list[str]] = {}
    for name in subfolders:
        files = sorted(
            e.name for e in os.scandir(root / name) if e.is_file() and e.name.lower().endswith(IMAGE_SUFFIXES)
        )
        if not files:
            kinds = ", ".join(IMAGE_SUFFIXES)
            raise DataError(f"class folder '{root.name}/{name}' has no images ({kinds})")
        classes[name] = [f"{name}/{f}" for f in files]
    return classes
