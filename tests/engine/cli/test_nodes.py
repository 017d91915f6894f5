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
