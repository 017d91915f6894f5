"""Writes the stand-in MNIST files in resources/examples/data/mnist_standin/ (run it to rebuild them).

    python resources/build_mnist_standin.py

NOT MNIST. The 28x28 example (mnist_cnn) reads the MNIST layout, but the repository ships no
MNIST and nothing is downloaded, so the tests and a first run read these stand-ins: scikit-learn's
8x8 handwritten digits (bundled with scikit-learn), each scaled up to 20x20 and centred in a
28x28 frame as MNIST centres its digits, written as the four gzipped IDX files MNIST ships
(600 training and 150 test images). The files are the same byte for byte on every run (a fixed
selection, gzip without a time stamp). Point the example's Dataset `path` at a folder holding the
real MNIST files to train on MNIST itself.
"""

from __future__ import annotations

import gzip
import struct
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

OUT = Path(__file__).resolve().parent / "examples" / "data" / "mnist_standin"
TRAIN, TEST = 600, 150
DIGIT_BOX, FRAME = 20, 28  # MNIST: each digit fits a 20x20 box, centred in 28x28


def standin_images() -> tuple[np.ndarray, np.ndarray]:
    """(uint8 [N, 28, 28] images, uint8 [N] labels), the first TRAIN + TEST of scikit-learn's digits."""
    from PIL import Image
    from sklearn.datasets import load_digits

    digits = load_digits()
    count = TRAIN + TEST
    images = np.zeros((count, FRAME, FRAME), dtype=np.uint8)
    margin = (FRAME - DIGIT_BOX) // 2
    for i in range(count):
        small = Image.fromarray((digits.images[i] * (255 / 16)).round().astype(np.uint8))
        images[i, margin : margin + DIGIT_BOX, margin : margin + DIGIT_BOX] = small.resize(
            (DIGIT_BOX, DIGIT_BOX), Image.BILINEAR
        )
    return images, digits.target[:count].astype(np.uint8)


def idx_bytes(array: np.ndarray) -> bytes:
    """An IDX file: magic (unsigned bytes, ndim), each dimension as a big-endian int32, then the data."""
    header = struct.pack(">BBBB", 0, 0, 0x08, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + np.ascontiguousarray(array, dtype=np.uint8).tobytes()


def write_gzip(path: Path, data: bytes) -> None:
    with open(path, "wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=9) as out:
        out.write(data)


def main() -> None:
    images, labels = standin_images()
    OUT.mkdir(parents=True, exist_ok=True)
    parts = {"train": slice(0, TRAIN), "t10k": slice(TRAIN, TRAIN + TEST)}
    for prefix, rows in parts.items():
        write_gzip(OUT / f"{prefix}-images-idx3-ubyte.gz", idx_bytes(images[rows]))
        write_gzip(OUT / f"{prefix}-labels-idx1-ubyte.gz", idx_bytes(labels[rows]))
    print(f"wrote {OUT} ({TRAIN} training and {TEST} test images, 28x28)")


if __name__ == "__main__":
    main()
