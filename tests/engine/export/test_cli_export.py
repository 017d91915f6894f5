"""`python -m engine export`: prints the verification figure; user mistakes are one line and exit 2."""

from __future__ import annotations

from pathlib import Path

import pytest
from safetensors.torch import save_file

from engine.cli import main
from engine.compiler import build_modules
from engine.graph import save_graph
from tests.engine.conftest import make_mlp
from tests.engine.export.graphs import two_headed


@pytest.fixture
def mlp_files(tmp_path):
    graph = make_mlp()
    save_graph(graph, tmp_path / "mlp.json")
    save_file(build_modules(graph).state_dict(), str(tmp_path / "weights.safetensors"))
    return tmp_path / "mlp.json", tmp_path / "weights.safetensors"


def test_export_prints_the_difference_and_exits_0(mlp_files, tmp_path, capsys):
    graph, weights = mlp_files
    code = main(
        ["export", str(graph), "--weights", str(weights), "--format", "torchscript", "-o", str(tmp_path / "m.ts")]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert "max abs diff 0 from the compiled model, verified" in out
    assert "TorchScript is legacy" in out


def test_python_export_writes_weights_beside_it(mlp_files, tmp_path, capsys):
    graph, weights = mlp_files
    assert (
        main(
            [
                "export",
                str(graph),
                "--weights",
                str(weights),
                "--format",
                "python",
                "-o",
                str(tmp_path / "out" / "model.py"),
            ]
        )
        == 0
    )
    assert (tmp_path / "out" / "model.safetensors").is_file()


@pytest.mark.parametrize(
    "make_args, message",
    [
        (lambda g, w, t: ["missing.json"], "missing.json: no such file"),
        (lambda g, w, t: [str(g), "--weights", str(t / "none.safetensors")], "no such weights file"),
        (lambda g, w, t: [str(g), "--weights", str(w), "--output", "nope"], "no node with id 'nope'"),
        (lambda g, w, t: [str(t / "two.json")], "--output fc2 exports"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(make_args, message, mlp_files, tmp_path, capsys):
    save_graph(two_headed(), tmp_path / "two.json")
    graph, weights = mlp_files
    code = main(["export", *make_args(graph, weights, tmp_path), "--format", "onnx", "-o", str(tmp_path / "m.onnx")])
    err = capsys.readouterr().err
    assert code == 2
    assert message in err and err.count("\n") == 1


def test_a_gan_names_the_generator(capsys, tmp_path):
    example = Path(__file__).resolve().parents[3] / "resources" / "examples" / "gan_ring.json"
    assert main(["export", str(example), "--format", "pt", "-o", str(tmp_path / "g.pt")]) == 2
    assert "--output g_out exports the generator alone" in capsys.readouterr().err
    assert main(["export", str(example), "--format", "pt", "--output", "g_out", "-o", str(tmp_path / "g.pt")]) == 0
