"""The 28x28 example reads MNIST's file layout; what it ships are stand-ins its script rebuilds exactly."""

from __future__ import annotations

import gzip
import importlib.util

import pytest

from engine.data import describe
from engine.training.trainer import Trainer
from tests.examples.conftest import EXAMPLES, example

STANDIN = EXAMPLES / "data" / "mnist_standin"


def _build_script():
    spec = importlib.util.spec_from_file_location("build_mnist_standin", EXAMPLES.parent / "build_mnist_standin.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_shipped_standin_files_are_what_the_script_writes():
    script = _build_script()
    images, labels = script.standin_images()
    parts = {"train": slice(0, script.TRAIN), "t10k": slice(script.TRAIN, None)}
    for prefix, rows in parts.items():
        for kind, array in (("images-idx3-ubyte", images[rows]), ("labels-idx1-ubyte", labels[rows])):
            shipped = gzip.decompress((STANDIN / f"{prefix}-{kind}.gz").read_bytes())
            assert shipped == script.idx_bytes(array), (
                f"{prefix}-{kind}.gz differs: run resources/build_mnist_standin.py"
            )


def test_the_example_reads_the_mnist_layout_and_says_the_files_are_stand_ins():
    graph = example("mnist_cnn")
    params = graph.resolved_params("data")
    info = describe(params)
    assert params["dataset"] == "mnist" and info.x.dims == (1, 28, 28) and info.num_samples == 600
    text = graph.description
    assert "NOT MNIST" in text and "stand-in" in text and "set the Dataset's path" in text
    assert "ossci-datasets.s3.amazonaws.com/mnist" in text


@pytest.mark.slow  # trained to its target
def test_mnist_cnn_reaches_its_target_and_scores_the_test_files(one_torch_thread):
    graph = example("mnist_cnn")
    assert graph.training["epochs"] <= 5
    trainer = Trainer(graph)
    result = trainer.fit()
    assert max(row["val_acc"] for row in result.history) >= 0.90
    assert trainer.data.test_source == "test_files" and result.test_metrics["test_samples"] == 150
    assert result.test_metrics["test_acc"] >= 0.80
