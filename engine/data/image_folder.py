"""The user's image folder: one subfolder per class, read with Pillow.

describe only lists the folders; read opens every image, converts it to grayscale or
RGB, resizes it to image_size square (aspect ratio is not kept) and scales pixels to [0, 1].
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from engine.data.files import ReadCache, user_path
from engine.data.info import DataError, DatasetInfo, RawDataset
from engine.registry.spec import floats, labels

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff")

_CACHE = ReadCache()


def describe_image_folder(params: dict[str, Any]) -> DatasetInfo:
    root = user_path(params, "folder")
    classes = _listing(root)
    channels = 3 if params["color"] == "rgb" else 1
    size = params["image_size"]
    total = sum(len(files) for files in classes.values())
    return DatasetInfo(floats(channels, size, size), labels(len(classes)), "classification", tuple(classes), total)


def read_image_folder(params: dict[str, Any], seed: int) -> RawDataset:
    from PIL import Image, UnidentifiedImageError

    root = user_path(params, "folder")
    info = describe_image_folder(params)
    mode = "RGB" if params["color"] == "rgb" else "L"
    size = params["image_size"]
    x = np.empty((info.num_samples, *info.x.dims), dtype=np.float32)
    y = np.empty(info.num_samples, dtype=np.int64)
    i = 0
    for label, files in enumerate(_listing(root).values()):
        for file in files:
            try:
                with Image.open(root / file) as image:
                    pixels = np.asarray(image.convert(mode).resize((size, size), Image.BILINEAR))
            except (UnidentifiedImageError, OSError) as exc:
                raise DataError(f"'{root.name}/{file}' is not a readable image ({exc.__class__.__name__})") from None
            x[i] = (pixels.reshape(size, size, -1).transpose(2, 0, 1)) / 255.0
            y[i] = label
            i += 1
    identity = {"image_size": size, "color": params["color"], "classes": list(info.class_names)}
    return RawDataset(x, y, info, identity=identity)


def _listing(root: Path) -> dict[str, list[str]]:
    """Class name -> image paths relative to root, sorted; cached until a folder changes."""
    subfolders = sorted(
        (e for e in os.scandir(root) if e.is_dir() and not e.name.startswith(".")), key=lambda e: e.name
    )
    key = (str(root.resolve()), root.stat().st_mtime_ns, tuple((e.name, e.stat().st_mtime_ns) for e in subfolders))
    return _CACHE.get(key, lambda: _list_classes(root, [e.name for e in subfolders]))


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
