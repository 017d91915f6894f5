"""The command line names nodes inside blocks by their path."""

import json
from pathlib import Path

from tests.engine.cli.test_validate_summary import engine_cli

DATA = Path(__file__).resolve().parents[2] / "data"


def test_summary_lists_nodes_inside_blocks_by_path():
    result = engine_cli("summary", str(DATA / "graph_v3_mlp.json"))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert any(line.startswith("body/hidden/fc1 ") and line.rstrip().endswith("2,080") for line in lines)
    assert any(line.startswith("body/fc2 ") for line in lines) and any(line.startswith("data ") for line in lines)


def test_validate_names_the_path_of_a_bad_node_in_a_block(tmp_path):
    doc = json.loads((DATA / "graph_v3_mlp.json").read_text())
    doc["nodes"][1]["params"]["out_features"] = 0
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(doc))
    result = engine_cli("validate", str(path))
    assert result.returncode == 2
    assert "body/hidden/fc1: Linear `body/hidden/fc1` has a bad value for out_features" in result.stdout + result.stderr
