"""Hostile dataset paths and files: pipes, devices, folders, bombs, lying headers, leaking messages.

Each must end in one DataError line, at once, without reading what it should not. The FIFO
tests carry a timeout: reading a pipe with no writer would wait forever.
"""

from __future__ import annotations

import io
import os
import struct
import zipfile
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from engine.data import DataError, describe, load_dataset
from engine.data import files as data_files
from engine.data import image_folder as image_module
from engine.data.files import open_regular

pytestmark = pytest.mark.timeout(60)


def fails(params: dict, *parts: str, load: bool = False) -> str:
    """The DataError message describe (or load_dataset) gives; asserts one line holding each part."""
    with pytest.raises(DataError) as caught:
        load_dataset(params, seed=0) if load else describe(params)
    message = str(caught.value)
    assert "\n" not in message
    for part in parts:
        assert part in message, message
    return message


def write_npz(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def npy_header(shape: tuple[int, ...], descr: str = "<f4") -> bytes:
    stream = io.BytesIO()
    np.lib.format.write_array_header_1_0(stream, {"descr": descr, "fortran_order": False, "shape": shape})
    return stream.getvalue()


def npy(array: np.ndarray) -> bytes:
    stream = io.BytesIO()
    np.save(stream, array)
    return stream.getvalue()


# --- what the path names ------------------------------------------------------------------------


@pytest.mark.parametrize("dataset", ["csv", "npz"])
def test_a_fifo_is_refused_without_opening_it(tmp_path, dataset):
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    fails({"dataset": dataset, "path": str(fifo)}, "'pipe.csv' is a named pipe (FIFO), not a regular file")
    fails({"dataset": dataset, "path": str(fifo)}, "named pipe", load=True)


def test_a_fifo_is_not_a_folder_of_images(tmp_path):
    fifo = tmp_path / "pets"
    os.mkfifo(fifo)
    fails({"dataset": "image_folder", "path": str(fifo)}, "'pets' is a named pipe (FIFO)", "needs a folder")


def test_a_fifo_swapped_in_after_the_check_is_refused_when_opened(tmp_path):
    fifo = tmp_path / "late.csv"
    os.mkfifo(fifo)
    with pytest.raises(DataError, match="'late.csv' is a named pipe"):
        open_regular(fifo)  # opens without blocking, then checks the open descriptor


def test_fifos_and_links_to_devices_in_a_class_folder_are_not_images(tmp_path):
    root = tmp_path / "pets"
    (root / "cat").mkdir(parents=True)
    (root / "dog").mkdir()
    os.mkfifo(root / "cat" / "a.png")
    (root / "cat" / "b.png").symlink_to("/dev/zero")
    Image.new("L", (4, 4)).save(root / "dog" / "d.png")
    fails({"dataset": "image_folder", "path": str(root)}, "class folder 'pets/cat' has no images")


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
@pytest.mark.parametrize("dataset", ["csv", "npz"])
def test_a_device_is_refused_not_read_until_memory_runs_out(tmp_path, dataset):
    fails({"dataset": dataset, "path": "/dev/zero"}, "'zero' is a character device, not a regular file")
    link = tmp_path / "data.csv"
    link.symlink_to("/dev/zero")
    fails({"dataset": dataset, "path": str(link)}, "'data.csv' is a character device", load=True)


def test_a_folder_where_a_file_belongs(tmp_path):
    (tmp_path / "data.npz").mkdir()
    fails({"dataset": "npz", "path": str(tmp_path / "data.npz")}, "'data.npz' is a folder")


# --- bounded reads --------------------------------------------------------------------------------


def test_a_file_over_the_size_limit_is_refused_with_the_way_to_raise_it(tmp_path, monkeypatch):
    path = tmp_path / "big.csv"
    path.write_text("a,label\n" + "1.0,0\n2.0,1\n" * 120_000)  # about 1.4 MB
    monkeypatch.setenv("NETWRIGHT_MAX_DATA_MB", "1")
    fails({"dataset": "csv", "path": str(path)}, "'big.csv' is 1.4 MB", "1.0 MB", "NETWRIGHT_MAX_DATA_MB")
    monkeypatch.setenv("NETWRIGHT_MAX_DATA_MB", "2")
    assert describe({"dataset": "csv", "path": str(path)}).num_samples == 240_000


@pytest.mark.skipif(not Path("/proc/self/maps").exists(), reason="needs Linux /proc")
def test_a_file_reading_past_its_stat_size_is_cut_off(monkeypatch):
    # /proc files are regular files of size 0 that read on: the stat check alone would pass them.
    monkeypatch.setattr(data_files, "max_data_bytes", lambda: 64)
    with open_regular(Path("/proc/self/maps")) as handle, pytest.raises(DataError, match="reads on past 64 bytes"):
        handle.read()


# --- npz headers are not trusted ------------------------------------------------------------------


def test_npz_header_claiming_huge_arrays_is_refused_before_reading(tmp_path):
    path = write_npz(tmp_path / "bomb.npz", {"x.npy": npy_header((10**9, 10**6)), "y.npy": npy(np.zeros(3, np.int64))})
    fails({"dataset": "npz", "path": str(path)}, "'bomb.npz' would take", "NETWRIGHT_MAX_DATA_MB")


def test_npz_whose_data_is_shorter_than_its_header_says(tmp_path):
    short = npy_header((1000, 4)) + np.zeros(10, np.float32).tobytes()
    path = write_npz(tmp_path / "cut.npz", {"x.npy": short, "y.npy": npy(np.zeros(1000, np.float32))})
    info = describe({"dataset": "npz", "path": str(path), "task": "regression"})  # headers alone look fine
    assert info.num_samples == 1000
    fails({"dataset": "npz", "path": str(path), "task": "regression"}, "'cut.npz' is not a readable .npz", load=True)


@pytest.mark.parametrize(
    "x, y, parts",
    [
        (np.zeros((10, 0)), np.zeros(10, np.int64), ["shape [10, 0]", "at least one value"]),
        (np.zeros((2,) * 7), np.zeros(2, np.int64), ["6 dimensions per sample", "at most 4"]),
        (np.zeros((4, 2)), np.array([0, 1, 2, 10**9]), ["label 1000000000", "at most 10000 classes"]),
        (np.zeros((4, 2)), np.array([0, 1, -1, 1]), ["label -1"]),
        (np.zeros((4, 2)), np.array([0.0, 1.0, np.nan, 1.0]), ["array 'y' has 1 sample with NaN", "sample 2"]),
        (np.zeros((4, 2)), np.zeros(4, np.complex64), ["complex64 values"]),
    ],
)
def test_npz_shapes_dtypes_and_labels_are_checked(tmp_path, x, y, parts):
    path = tmp_path / "d.npz"
    np.savez(path, x=x, y=y)
    task = "classification" if y.dtype.kind == "f" else "auto"
    fails({"dataset": "npz", "path": str(path), "task": task}, "'d.npz'", *parts)


def test_npz_object_arrays_are_refused_without_unpickling(tmp_path):
    path = tmp_path / "obj.npz"
    np.savez(path, x=np.array([{"a": 1}, None], dtype=object), y=np.zeros(2, np.int64))
    fails({"dataset": "npz", "path": str(path)}, "'obj.npz' array 'x' holds object values")


@pytest.mark.parametrize(
    "x, task, parts",
    [
        (np.where(np.arange(20)[:, None] == 13, np.nan, 1.0) * np.ones((20, 3)), "auto", ["array 'x' has 1 sample"]),
        (np.full((20, 3), 1e300), "auto", ["array 'x' has 20 samples", "sample 0"]),  # inf as float32
    ],
)
def test_npz_non_finite_features_are_refused_naming_the_first_sample(tmp_path, x, task, parts):
    path = tmp_path / "nan.npz"
    np.savez(path, x=x, y=np.arange(20) % 2)
    message = fails({"dataset": "npz", "path": str(path), "task": task}, *parts, load=True)
    assert "NaN or infinite" in message


def test_npz_array_names_are_not_echoed_unless_they_look_like_names(tmp_path):
    path = write_npz(tmp_path / "a.npz", {"password=hunter2.npy": npy(np.zeros(2))})
    message = fails({"dataset": "npz", "path": str(path)}, "has no array 'x'", "found: 1, names not shown")
    assert "hunter2" not in message


# --- images: decompression bombs ------------------------------------------------------------------


def png_header_only(width: int, height: int) -> bytes:
    """A PNG whose header claims width x height pixels, with no image data: a few dozen bytes."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IEND", b"")


def small_folder(tmp_path: Path) -> Path:
    root = tmp_path / "pets"
    for name in ("cat", "dog"):
        (root / name).mkdir(parents=True)
        Image.new("L", (6, 6), 200).save(root / name / "ok.png")
    return root


def test_an_image_claiming_billions_of_pixels_is_refused_before_decoding(tmp_path):
    root = small_folder(tmp_path)
    (root / "cat" / "bomb.png").write_bytes(png_header_only(100_000, 100_000))
    # refused before decoding, and like any unreadable image skipped and named, not fatal to the run
    skipped = load_dataset({"dataset": "image_folder", "path": str(root)}, 0).skipped
    assert len(skipped) == 1 and "'pets/cat/bomb.png' claims" in skipped[0] and "decompression bomb" in skipped[0]


def test_an_image_over_the_pixel_limit_names_its_size(tmp_path, monkeypatch):
    root = small_folder(tmp_path)
    Image.new("L", (20, 10)).save(root / "dog" / "wide.png")
    monkeypatch.setattr(image_module, "MAX_IMAGE_PIXELS", 100)
    skipped = load_dataset({"dataset": "image_folder", "path": str(root)}, 0).skipped
    assert len(skipped) == 1 and "'pets/dog/wide.png' claims 20 x 10 pixels" in skipped[0]


def test_an_image_folder_too_large_for_memory_is_refused_before_reading(tmp_path, monkeypatch):
    root = small_folder(tmp_path)
    monkeypatch.setenv("NETWRIGHT_MAX_DATA_MB", "1")
    params = {"dataset": "image_folder", "path": str(root), "image_size": 512, "color": "rgb"}
    fails(params, "'pets' would take 6.0 MB", load=True)


# --- CSV: missing targets, and messages that do not leak ---------------------------------------


@pytest.mark.parametrize("marker", ["NA", "n/a", "NaN", "null", "?", "#N/A", ""])
def test_a_missing_target_is_refused_not_made_a_class(write_csv, marker):
    rows = ["a,b,label"] + [f"{i},{i * 2},{'yes' if i % 2 else 'no'}" for i in range(10)]
    rows[4] = f"3,6,{marker}"
    path = write_csv("\n".join(rows) + "\n")
    fails({"dataset": "csv", "path": str(path)}, "target column 'label' has a missing value on line 5")


def test_non_finite_targets_are_refused(write_csv):
    path = write_csv("a,y\n1,0.5\n2,inf\n3,1.5\n")
    fails({"dataset": "csv", "path": str(path)}, "target column 'y' has a value that is not finite on line 3")


def test_none_stays_a_class_name(write_csv):
    rows = ["a,severity"] + [f"{i},{['none', 'mild', 'severe'][i % 3]}" for i in range(9)]
    path = write_csv("\n".join(rows) + "\n")
    assert describe({"dataset": "csv", "path": str(path)}).class_names == ("mild", "none", "severe")


def test_a_missing_feature_value_says_missing(write_csv):
    path = write_csv("a,b,label\n1,NA,0\n2,3,1\n")
    fails({"dataset": "csv", "path": str(path)}, "column 'b' has a missing value on line 2")


@pytest.mark.parametrize(
    "first_line, params",
    [
        ("root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1::/:/sbin/nologin", {}),
        ("-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA", {}),
        ('{"token": "s3cr3t-value", "user": "me"}\n{"token": "other", "user": "you"}', {"target_column": "y"}),
        ("API_KEY=s3cr3t-value,DEBUG=1\nA=b,c=d", {"target_column": "y"}),
        ("id,label\n1,s3cr3t-value\n2,other", {"task": "regression"}),
    ],
)
def test_errors_about_any_file_do_not_echo_its_content(tmp_path, first_line, params):
    path = tmp_path / "secrets"
    path.write_text(first_line + "\n")
    message = fails({"dataset": "csv", "path": str(path), **params}, "'secrets'")
    for secret in ("root:x", "BEGIN", "s3cr3t", "token", "API_KEY"):
        assert secret not in message


def test_a_binary_file_is_not_quoted_either(tmp_path):
    path = tmp_path / "photo.csv"
    Image.new("RGB", (8, 8)).save(path, format="PNG")
    fails({"dataset": "csv", "path": str(path)}, "'photo.csv' is not a CSV text file")
