"""Commands refuse what they cannot honour, in one line and exit 2, before writing anything: outputs that
would overwrite their own inputs, weights that are not finite, a --batch-size a full-batch optimizer ignores."""

from __future__ import annotations

import json

import pytest
import torch

from engine.cli import main
from engine.compiler import build_modules
from engine.graph import save_graph
from engine.runs.record import run_record
from engine.training.trainer import Trainer
from engine.weights import write_weights
from tests.engine.conftest import make_mlp
from tests.engine.importers.test_pytorch_import import MODELS


@pytest.fixture
def files(tmp_path):
    graph = make_mlp(hidden=8)
    graph.training.update(epochs=1, device="cpu")
    save_graph(graph, tmp_path / "g.json")
    write_weights(build_modules(graph).state_dict(), tmp_path / "w.safetensors")
    (tmp_path / "m.onnx").write_bytes(b"not read: refused before")
    (tmp_path / "link.json").symlink_to(tmp_path / "g.json")
    return tmp_path


def _contents(folder) -> dict[str, bytes]:
    """The files a user keeps there (not the run folder's lock file)."""
    return {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file() and not p.name.startswith(".")}


def _run(capsys, *args: str) -> tuple[int, str]:
    code = main([str(a) for a in args])
    return code, capsys.readouterr().err


OVERWRITES = {
    "export over the graph": ("export", "g.json", "--format", "safetensors", "-o", "g.json"),
    "export through a link": ("export", "g.json", "--format", "pt", "-o", "link.json"),
    "export over its weights": ("export", "g.json", "--weights", "w.safetensors", "--format", "pt2", "-o", "w.safetensors"),
    "python export beside over the weights": ("export", "g.json", "--weights", "w.safetensors", "--format", "python", "-o", "w.py"),
    "import weights over the graph": ("import", "weights", "g.json", "--weights", "w.safetensors", "-o", "g.json"),
    "import weights over the weights": ("import", "weights", "g.json", "--weights", "w.safetensors", "-o", "w.safetensors"),
    "import onnx over the model": ("import", "onnx", "m.onnx", "-o", "m.onnx"),
    "import pytorch beside over the weights": (
        "import", "pytorch", str(MODELS), "--class", "SmallCNN", "--input-shape", "1,8,8", "--weights", "w.safetensors", "-o", "w.json",
    ),
    "import pytorch over the source": ("import", "pytorch", str(MODELS), "--class", "SmallCNN", "--input-shape", "1,8,8", "-o", str(MODELS)),
    "train over the graph": ("train", "run.json", "--out", "."),
    "train over its init weights": ("train", "g.json", "--out", ".", "--init-weights", "weights.safetensors"),
}  # fmt: skip


@pytest.mark.parametrize("args", OVERWRITES.values(), ids=OVERWRITES.keys())
def test_an_output_that_would_overwrite_an_input_is_refused(files, capsys, monkeypatch, args):
    monkeypatch.chdir(files)
    (files / "run.json").write_bytes((files / "g.json").read_bytes())
    (files / "weights.safetensors").write_bytes((files / "w.safetensors").read_bytes())
    before = _contents(files)
    source = MODELS.read_bytes()
    code, err = _run(capsys, *args)
    assert code == 2 and err.count("\n") == 1
    assert "would overwrite the" in err and "this command reads" in err
    assert _contents(files) == before
    assert MODELS.read_bytes() == source


def _nan_weights(path, suffix: str):
    state = build_modules(make_mlp(hidden=8)).state_dict()
    state["fc2.weight"][0, 0] = float("nan")
    target = path / f"nan{suffix}"
    torch.save(state, target) if suffix == ".pt" else write_weights(state, target)
    return target


ENTRY_POINTS = {
    "train --init-weights": ("train", "g.json", "--out", "run", "--init-weights", "{w}", "--no-progress"),
    "export --weights": ("export", "g.json", "--weights", "{w}", "--format", "onnx", "-o", "m2.onnx"),
    "import weights": ("import", "weights", "g.json", "--weights", "{w}", "-o", "matched.safetensors"),
}


@pytest.mark.parametrize("suffix", [".safetensors", ".pt"])
@pytest.mark.parametrize("args", ENTRY_POINTS.values(), ids=ENTRY_POINTS.keys())
def test_every_weights_entry_point_refuses_nan_naming_the_tensor(files, capsys, monkeypatch, args, suffix):
    monkeypatch.chdir(files)
    weights = _nan_weights(files, suffix)
    code, err = _run(capsys, *(a.format(w=weights) for a in args))
    assert code == 2 and err.count("\n") == 1
    assert f"{weights}: weights that are not finite: fc2.weight (1 NaN of 80 values)" in err
    assert "learning rate" not in err
    assert not any((files / name).exists() for name in ("m2.onnx", "matched.safetensors", "run/weights.safetensors"))
    assert not (files / "run" / "run.json").exists()


def _gradient_descent(tmp_path):
    graph = make_mlp(hidden=8)
    graph.nodes["adam"].type_id = "optimizers.GradientDescent"
    graph.nodes["adam"].params = {"lr": 0.1}
    graph.training.update(epochs=1, device="cpu")
    save_graph(graph, tmp_path / "gd.json")
    return graph


def test_batch_size_with_a_full_batch_optimizer_is_refused_not_ignored(tmp_path, capsys):
    _gradient_descent(tmp_path)
    code, err = _run(capsys, "train", tmp_path / "gd.json", "--out", tmp_path / "run", "--batch-size", "64")
    assert code == 2 and err.count("\n") == 1
    assert "--batch-size 64 would be ignored: optimizer `adam` takes full-batch steps" in err
    assert not (tmp_path / "run" / "run.json").exists()


def test_the_run_record_says_which_batch_size_a_full_batch_run_applied(tmp_path):
    graph = _gradient_descent(tmp_path)
    graph.training["batch_size"] = 32  # the graph's setting, which full-batch steps do not use
    trainer = Trainer(graph)
    record = json.loads(json.dumps(run_record(graph, trainer, "completed", None, 0.0)))
    assert record["settings"]["batch_size"] == record["plan"]["batch_size"] == len(trainer.data.train_x)
    assert record["plan"]["full_batch"] is True
