"""Streamed image folders: the same split, pixels, seeds and skipped files as the in-memory path."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from engine.data import DataError, describe, load_dataset, streaming_split
from engine.data.preview import preview_dataset
from engine.data.streaming import STREAM_ABOVE_ENV, ImageFiles, LazyImages, wants_streaming
from engine.data.streaming_split import StreamedImages
from engine.graph import Graph
from engine.training import Trainer

TIMING = ("samples_per_s", "epoch_time")


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    """3 classes x 40 noisy 12x12 grayscale PNGs, class by brightness, plus one file that is no image."""
    root = tmp_path_factory.mktemp("stream") / "shades"
    rng = np.random.default_rng(0)
    for c in range(3):
        (root / f"c{c}").mkdir(parents=True)
        for i in range(40):
            pixels = (rng.random((12, 12)) * 80 + c * 80).astype(np.uint8)
            Image.fromarray(pixels).save(root / f"c{c}" / f"{i:02d}.png")
    (root / "c0" / "zz_bad.png").write_bytes(b"not a png")
    return root


def params(folder: Path, streaming: str, **more) -> dict:
    return {
        "dataset": "image_folder",
        "path": str(folder),
        "image_size": 8,
        "streaming": streaming,
        "stream_workers": 1,
        **more,
    }


def image_graph(data_params: dict, epochs: int = 2) -> Graph:
    graph = Graph(name="streamed")
    graph.add_node("data.Dataset", data_params, node_id="data")
    graph.add_node("layers.Flatten", node_id="flat")
    graph.add_node("layers.Linear", {"out_features": 3}, node_id="fc")
    graph.add_node("losses.CrossEntropy", node_id="loss")
    graph.add_node("optimizers.Adam", node_id="adam")
    for edge in (
        ("data", "x", "flat", "in"),
        ("flat", "out", "fc", "in"),
        ("fc", "out", "loss", "prediction"),
        ("data", "y", "loss", "target"),
        ("loss", "loss", "adam", "losses"),
    ):
        graph.connect(*edge)
    graph.training.update(epochs=epochs, batch_size=16, device="cpu", seed=3)
    return graph


def history(result) -> list[dict]:
    return [{k: v for k, v in row.items() if k not in TIMING} for row in result.history]


def test_streamed_split_and_pixels_equal_the_in_memory_ones(folder):
    settings = {"val_split": 0.25, "test_set": "held_out", "test_split": 0.2, "classes": [2, 0]}
    memory = load_dataset(params(folder, "off", **settings), seed=5)
    streamed = load_dataset(params(folder, "on", **settings), seed=5)
    assert isinstance(streamed.train_x, StreamedImages) and isinstance(memory.train_x, torch.Tensor)
    for split in ("train", "val", "test"):
        lazy, whole = getattr(streamed, f"{split}_x"), getattr(memory, f"{split}_x")
        assert lazy.shape == whole.shape and len(lazy) == len(whole)
        assert torch.equal(lazy[:], whole)  # decoding on demand gives the very same pixels
        assert torch.equal(getattr(streamed, f"{split}_y"), getattr(memory, f"{split}_y"))
    assert torch.equal(streamed.val_x[torch.tensor([3, 0])], memory.val_x[[3, 0]])
    assert (
        streamed.skipped
        == memory.skipped
        == ("'shades/c0/zz_bad.png' is not a readable image (UnidentifiedImageError)",)
    )
    again = load_dataset(params(folder, "on", **settings), seed=5)
    assert again.fingerprint == streamed.fingerprint != load_dataset(params(folder, "on", **settings), 6).fingerprint


def test_training_on_a_streamed_folder_repeats_the_in_memory_run_exactly(folder):
    """Same seed, same order, same augmentation: streaming changes where pixels come from, nothing else."""
    settings = {"test_set": "held_out", "augment_crop": 1, "augment_noise": 0.05}
    trainers = {mode: Trainer(image_graph(params(folder, mode, **settings))) for mode in ("off", "on")}
    results = {mode: trainer.fit() for mode, trainer in trainers.items()}
    assert trainers["on"].data.train_x._shared["loader"] is not None  # the batches came through the DataLoader
    assert history(results["on"]) == history(results["off"])
    assert results["on"].test_metrics == results["off"].test_metrics


def test_auto_streams_only_above_the_memory_budget(folder, monkeypatch):
    info = describe(params(folder, "auto"))  # 120 images x 8 x 8 x 4 bytes = 30 KB decoded
    assert not wants_streaming(params(folder, "auto"), info)
    monkeypatch.setenv(STREAM_ABOVE_ENV, "0.01")  # 10 KB
    assert wants_streaming(params(folder, "auto"), info)
    assert isinstance(load_dataset(params(folder, "auto")).train_x, StreamedImages)
    assert not wants_streaming(params(folder, "off"), info)
    with pytest.raises(DataError, match="streaming is 'sometimes'"):
        wants_streaming(params(folder, "sometimes"), info)


def test_an_image_that_fails_to_decode_while_streaming_is_skipped_and_named(tmp_path):
    """A cut-off JPEG passes the header check; its batch goes on without it, the run too."""
    root = tmp_path / "photos"
    rng = np.random.default_rng(1)
    for c in range(3):
        (root / f"c{c}").mkdir(parents=True)
        for i in range(10):
            Image.fromarray((rng.random((64, 64)) * 255).astype(np.uint8)).save(root / f"c{c}" / f"{i}.jpg")
    whole = (root / "c1" / "3.jpg").read_bytes()
    (root / "c1" / "3.jpg").write_bytes(whole[: len(whole) // 2])
    graph = image_graph(params(root, "on", val_split=0.0), epochs=1)
    trainer = Trainer(graph)
    assert trainer.data.skipped == () and len(trainer.data.train_x) == 30
    with pytest.warns(RuntimeWarning, match=r"'photos/c1/3.jpg' is not a readable image"):
        result = trainer.fit()
    assert result.status == "completed"
    assert trainer.data.train_x.skipped == ["'photos/c1/3.jpg' is not a readable image (OSError)"]


def test_lazy_images_select_like_an_array_without_decoding(folder):
    raw_x = load_dataset(params(folder, "on")).train_x.lazy
    assert isinstance(raw_x, LazyImages)
    picked = raw_x[np.array([4, 1])]
    assert isinstance(picked, LazyImages) and picked.shape == (2, 1, 8, 8)
    assert isinstance(raw_x[raw_x.indices % 2 == 0], LazyImages)
    assert np.array_equal(np.asarray(picked)[1], np.asarray(raw_x[1:2])[0])
    with pytest.raises(TypeError, match="float32"):
        raw_x.astype(np.int64)


def test_a_daemonic_process_decodes_on_threads_the_same_batches(folder, monkeypatch):
    """The editor's training child is daemonic and may not start DataLoader workers: threads decode instead."""
    data = load_dataset(params(folder, "on"), seed=0)
    inputs = {"x": data.train_x, "y": data.train_y}
    order = torch.randperm(len(data.train_y), generator=torch.Generator().manual_seed(4))
    by_processes = list(streaming_split.stream_batches(inputs, order, 16))
    data.train_x.close()
    monkeypatch.setattr(streaming_split, "may_start_processes", lambda: False)
    by_threads = list(streaming_split.stream_batches(inputs, order, 16))
    assert data.train_x._shared["loader"] is None  # no DataLoader (no worker process) was made
    assert len(by_threads) == len(by_processes) == 6
    for a, b in zip(by_threads, by_processes, strict=True):
        assert torch.equal(a["x"], b["x"]) and torch.equal(a["y"], b["y"])
    assert torch.equal(torch.cat([b["x"] for b in by_threads]), data.train_x[order])


def test_the_preview_of_a_streamed_folder_decodes_only_its_samples(folder):
    streamed, whole = preview_dataset(params(folder, "on")), preview_dataset(params(folder, "off"))
    assert isinstance(streamed.samples, np.ndarray) and np.array_equal(streamed.samples, whole.samples)
    assert streamed.class_counts == whole.class_counts and streamed.num_samples == whole.num_samples == 120
    assert streamed.warnings == whole.warnings  # the unreadable file is named in both


def test_the_preview_decodes_only_the_samples_it_shows(folder, monkeypatch):
    """The Data panel and the node's thumbnail read a folder of any size without decoding it whole."""
    decoded: list[int] = []
    original = ImageFiles.decode
    monkeypatch.setattr(ImageFiles, "decode", lambda self, index: (decoded.append(index), original(self, index))[1])
    shown = preview_dataset(params(folder, "off"), count=6)
    assert len(shown.samples) == 6 and len(decoded) == 6


def test_the_preview_draws_an_image_that_fails_to_decode_black_and_names_it(tmp_path):
    root = tmp_path / "photos"
    rng = np.random.default_rng(2)
    for c in range(2):
        (root / f"c{c}").mkdir(parents=True)
        for i in range(3):
            Image.fromarray((rng.random((64, 64)) * 255).astype(np.uint8)).save(root / f"c{c}" / f"{i}.jpg")
    whole = (root / "c1" / "0.jpg").read_bytes()
    (root / "c1" / "0.jpg").write_bytes(whole[: len(whole) // 2])  # passes the header check
    shown = preview_dataset(params(root, "off"))
    assert len(shown.samples) == 6 and int((shown.samples == 0).all(axis=(1, 2, 3)).sum()) == 1
    assert shown.warnings[0] == "1 unreadable files were skipped: 'photos/c1/0.jpg' is not a readable image (OSError)"
