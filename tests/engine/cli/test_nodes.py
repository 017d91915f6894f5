import subprocess
import sys
from pathlib import Path

from engine.registry import catalog
from engine.registry.reference import catalog_markdown

ROOT = Path(__file__).resolve().parents[3]


def test_docs_node_catalog_is_up_to_date():
    """docs/node-catalog.md is generated; regenerate with `python -m engine nodes --markdown`."""
    assert (ROOT / "docs" / "node-catalog.md").read_text() == catalog_markdown(catalog())


def test_reference_lists_every_type_with_its_parameters():
    text = catalog_markdown(catalog())
    for node_type in catalog():
        assert f"`{node_type.type_id}`" in text
        for param in node_type.params:
            assert f"| `{param.name}` |" in text
    assert "| `out_features` | `64` | whole number >= 1, <= 1,000,000 |" in text


def test_nodes_command_lists_summaries():
    result = subprocess.run(
        [sys.executable, "-m", "engine", "nodes"], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0
    lines = result.stdout.splitlines()
    assert len([line for line in lines if line.startswith("  ")]) == len(catalog())
    assert any(
        line.split()[0] == "layers.Linear" and "fully connected" in line for line in lines if line.startswith("  ")
    )


def test_output_piped_into_a_reader_that_leaves_ends_quietly(tmp_path):
    """`netwright summary big.json | head -1`: no BrokenPipeError traceback, the shell's 141."""
    from engine.graph import Graph, save_graph

    graph = Graph(name="long")
    graph.add_node("data.Input", {"shape": [8]}, node_id="x")
    previous = "x"
    for i in range(3000):  # a summary far longer than a pipe's buffer
        graph.add_node("activations.ReLU", node_id=f"relu{i}")
        graph.connect(previous, "out", f"relu{i}", "in")
        previous = f"relu{i}"
    path = tmp_path / "long.json"
    save_graph(graph, path)
    command = f"{sys.executable} -m engine summary {path} | head -1"
    result = subprocess.run(
        ["bash", "-o", "pipefail", "-c", command], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.stdout.count("\n") == 1
    assert "Traceback" not in result.stderr and "BrokenPipeError" not in result.stderr, result.stderr
    assert result.returncode == 141
