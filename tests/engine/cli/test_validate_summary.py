"""`python -m engine validate|summary`: exit codes and one-line errors, in a real subprocess."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from engine.graph import save_graph
from tests.engine.conftest import make_mlp

ROOT = Path(__file__).resolve().parents[3]


def engine_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "engine", *args], cwd=ROOT, capture_output=True, text=True, timeout=120
    )


@pytest.fixture
def mlp_file(tmp_path):
    path = tmp_path / "mlp.json"
    save_graph(make_mlp(), path)
    return path


def test_validate_ok(mlp_file):
    result = engine_cli("validate", str(mlp_file))
    assert result.returncode == 0
    assert result.stdout.strip() == f"OK: {mlp_file} is valid (6 nodes, 6 edges)"


def test_validate_lists_one_line_per_problem(tmp_path):
    graph = make_mlp()
    graph.nodes["data"].params["dataset"] = "digits_images"
    graph.nodes["fc2"].params["out_features"] = 0
    path = tmp_path / "broken.json"
    save_graph(graph, path)
    result = engine_cli("validate", str(path))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert lines == [
        "fc1: Linear `fc1` gets [B, 1, 8, 8] but needs a flat [B, features] input: insert Flatten (1 x 8 x 8 = 64 features)",
        "fc2: Linear `fc2` has a bad value for out_features: must be at least 1, received 0: change it in the properties panel",
    ]


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (None, "no such file"),
        ("{oops", "not valid JSON"),
        (json.dumps({"format_version": 42, "nodes": [], "edges": []}), "newer Netwright (format 42"),
        (json.dumps({"format_version": 2, "nodes": []}), "missing the required field 'edges'"),
    ],
)
@pytest.mark.parametrize("command", ["validate", "summary"])
def test_bad_files_exit_2_with_one_line(tmp_path, content, expected, command):
    path = tmp_path / "net.json"
    if content is not None:
        path.write_text(content)
    result = engine_cli(command, str(path))
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith(f"error: {path}: ")
    assert expected in result.stderr
    assert "Traceback" not in result.stderr


def test_summary_table(mlp_file):
    result = engine_cli("summary", str(mlp_file))
    assert result.returncode == 0, result.stderr
    rows = {line.split()[0]: line for line in result.stdout.splitlines() if line.split()}
    assert "B x 32" in rows["fc1"] and rows["fc1"].rstrip().endswith("2,080")
    assert rows["fc2"].rstrip().endswith("330")
    assert "Total params: 2,410" in result.stdout
    assert "Trainable params: 2,410" in result.stdout


def test_summary_counts_frozen_parameters(tmp_path):
    graph = make_mlp()
    graph.nodes["fc1"].params["trainable"] = False
    path = tmp_path / "frozen.json"
    save_graph(graph, path)
    result = engine_cli("summary", str(path))
    assert "Trainable params: 330" in result.stdout and "Frozen params: 2,080" in result.stdout
