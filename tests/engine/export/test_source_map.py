"""The live code view's source: the python export's exact text, and the lines each node wrote."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.export.model_part import ExportError
from engine.export.source_map import WEIGHTS_NAME, live_source
from tests.engine.conftest import make_mlp
from tests.engine.export.graphs import digits_cnn, lstm_classifier
from tests.engine.export.test_block_export import residual_cnn

GOLDEN = Path(__file__).parent / "golden"


@pytest.mark.parametrize(
    "name, make", [("digits_mlp", make_mlp), ("digits_cnn", digits_cnn), ("blocks_cnn", residual_cnn)]
)
def test_the_text_is_the_python_export_byte_for_byte(name, make):
    golden = (GOLDEN / f"{name}.py").read_text(encoding="utf-8")
    text = live_source(make()).text
    assert text == golden.replace(f"{name}.safetensors", WEIGHTS_NAME)


def test_each_layer_owns_its_init_and_forward_lines():
    graph = digits_cnn()
    source = live_source(graph)
    rows = source.text.split("\n")
    for node_id in ("conv1", "fc"):
        lines = [rows[i].strip() for i in source.lines[node_id]]
        assert lines[0].startswith(f"self.{node_id} = nn.") and lines[1].startswith(f"{node_id} = self.{node_id}(")
    assert source.nodes_at(source.lines["conv1"][1]) == ["conv1"]
    assert source.nodes_at(0) == []  # the docstring belongs to no node


def test_a_layer_with_several_results_owns_its_call():
    source = live_source(lstm_classifier())
    lstm = next(n for n in source.lines if "lstm" in n)
    rows = [source.text.split("\n")[i] for i in source.lines[lstm]]
    assert any(f"self.{lstm}(" in row for row in rows) and any(f"self.{lstm} = nn.LSTM" in row for row in rows)


def test_lines_of_a_block_class_belong_to_the_nodes_of_every_block_using_it():
    graph = residual_cnn()
    source = live_source(graph)
    rows = source.text.split("\n")
    blocks = [b for b in graph.blocks.values() if not b.blocks]
    assert len(blocks) >= 2
    for block in blocks:
        for node_id in block.nodes:
            assert source.lines.get(node_id), f"{node_id} has no line"
    first, second = graph.blocks["res1"].nodes[0], graph.blocks["res2"].nodes[0]  # two uses of one class
    shared = set(source.lines[first]) & set(source.lines[second])
    assert shared and all(rows[i].startswith("        ") for i in shared)  # inside the shared class


def test_a_graph_that_cannot_be_exported_says_why_in_one_line():
    graph = digits_cnn()
    graph.nodes["conv1"].params["out_channels"] = 0
    with pytest.raises(ExportError) as caught:
        live_source(graph)
    assert "\n" not in str(caught.value) and "conv1" in str(caught.value)
