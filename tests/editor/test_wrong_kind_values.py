"""A graph file with values of the wrong kind opens whole: every node and edge drawn, nothing raised in a
slot, the odd value kept in the graph and reported on its node (pytest-qt fails a test on any exception
raised inside a Qt slot)."""

from __future__ import annotations

import copy
import json
import math

import pytest

from editor.files import EXAMPLES_DIR
from engine.graph.layout import usable_position
from engine.registry import catalog

WRONG_VALUES = {
    "int": ["12", 1.5, None, [1], {"n": 1}, True, 1e300, 2**40],
    "float": ["0.1", "abc", None, True, [0.1], {"v": 1}, "nan"],
    "bool": ["yes", 1, None],
    "choice": [3, None, ["a"], {"a": 1}],
    "str": [3, None, ["x"], {"a": 1}],
    "path": [3, None, ["x"]],
    "ints": ["3", 3, [1.5], ["a"], None, [[1]]],
    "node_ids": ["fc1", [1], None, 3],
}
EXAMPLES = ("cnn_digits.json", "gan_digits.json", "mlp_digits.json", "transfer_digits.json")


def _documents() -> dict[str, dict]:
    return {name: json.loads((EXAMPLES_DIR / name).read_text(encoding="utf-8")) for name in EXAMPLES}


def _wrong_kind_cases() -> list[tuple[str, str, int, str, object]]:
    """For every parameter kind the examples hold: each wrong value in the first parameter of that kind."""
    registry, cases, seen = catalog(), [], set()
    for name, doc in _documents().items():
        for index, node in enumerate(doc["nodes"]):
            for param in registry.get(registry.resolve(node["type"])).params:
                if param.kind in seen:
                    continue
                seen.add(param.kind)
                cases += [(param.kind, name, index, param.name, value) for value in WRONG_VALUES[param.kind]]
    assert seen == set(WRONG_VALUES), f"the examples lack a parameter of kind {set(WRONG_VALUES) - seen}"
    return cases


def _open(window, tmp_path, doc: dict):
    path = tmp_path / "odd.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    window.files.new_file()
    assert window.files.load_path(path, remember=False)
    window.live.run_now()
    return path


def _drawn(window) -> tuple[int, int]:
    nodes = window.canvas.node_graph.all_nodes()
    return len(nodes), sum(len(port.connected_ports()) for node in nodes for port in node.output_ports())


@pytest.mark.parametrize(
    ("kind", "example", "index", "param", "value"),
    _wrong_kind_cases(),
    ids=lambda v: v if isinstance(v, str) else repr(v),
)
def test_a_parameter_of_the_wrong_kind_opens_the_whole_graph(window, tmp_path, kind, example, index, param, value):
    doc = copy.deepcopy(_documents()[example])
    doc["nodes"][index]["params"][param] = value
    _open(window, tmp_path, doc)
    assert _drawn(window) == (len(doc["nodes"]), len(doc["edges"]))
    node_id = doc["nodes"][index]["id"]
    assert window.document.graph.nodes[node_id].params[param] == value  # kept as written
    window.properties.show_node(node_id)  # its form shows without raising either


def test_the_footer_shows_a_wrong_value_as_written_and_the_node_reports_it(window, tmp_path):
    doc = copy.deepcopy(_documents()["mlp_digits.json"])
    adam = next(n for n in doc["nodes"] if n["type"] == "optimizers.Adam")
    adam["params"]["lr"] = "0.1"
    _open(window, tmp_path, doc)
    view = window.canvas.canvas_node(adam["id"]).view
    assert view.footer == 'lr "0.1"' and view.severity == "error"


POSITIONS = ["a", None, [1], {"x": 1}, True, float("nan"), float("inf"), "1e999", 1e308, -1e9]


@pytest.mark.parametrize("value", POSITIONS, ids=repr)
@pytest.mark.parametrize("key", ["x", "y"])
def test_a_position_that_is_not_a_number_is_drawn_apart_and_noted(window, tmp_path, key, value):
    doc = copy.deepcopy(_documents()["cnn_digits.json"])
    doc["nodes"][0]["ui"][key] = value
    _open(window, tmp_path, doc)
    assert _drawn(window) == (len(doc["nodes"]), len(doc["edges"]))
    node_id = doc["nodes"][0]["id"]
    view = window.canvas.canvas_node(node_id).view
    assert view.severity == "warning" and "is not two numbers" in view.notes[0]
    assert "is not two numbers" in view.toolTip()
    x, y = window.canvas.canvas_node(node_id).pos()
    others = [usable_position(n["ui"]) for n in doc["nodes"][1:]]
    assert math.isfinite(x) and y > max(p[1] for p in others)  # below the others, not on top of one
    written = window.document.graph.nodes[node_id].ui[key]
    assert written == value or (written != written and value != value)  # kept as written (NaN is NaN)
    # moving it stores a position and the note goes
    window.canvas._on_nodes_moved({window.canvas.canvas_node(node_id).view: (x, y)})
    assert usable_position(window.document.graph.nodes[node_id].ui) is not None
    assert view.notes == [] and view.severity is None


TRAINING = {
    "epochs": ["ten", None, 1.5, [3]],
    "batch_size": ["a", {"n": 1}],
    "seed": [-1, "x", 2**40],
    "device": [3, "tpu"],
    "mixed_precision": ["yes", 1],
    "grad_clip": ["a", None],
    "schedule": [1, "exp"],
    "monitor": [3, None, ["val_loss"]],
    "min_delta": ["a"],
    "restore_best_weights": ["no"],
    "bogus": [1],
}


@pytest.mark.parametrize(
    ("name", "value"), [(n, v) for n, values in TRAINING.items() for v in values], ids=lambda v: repr(v)
)
def test_a_training_setting_of_the_wrong_kind_is_reported_not_raised(window, tmp_path, name, value):
    doc = copy.deepcopy(_documents()["mlp_digits.json"])
    doc["training"][name] = value
    _open(window, tmp_path, doc)
    assert _drawn(window) == (len(doc["nodes"]), len(doc["edges"]))
    assert any(p.node_id is None and name in p.message for p in window.live.analysis.errors)
    assert window.document.graph.training[name] == value


def test_a_node_that_cannot_be_drawn_leaves_the_rest_of_the_canvas_whole(window, tmp_path, monkeypatch):
    import editor.canvas.canvas as canvas_module

    original = canvas_module.node_footer

    def footer(node_type, params):
        if node_type.type_id == "layers.Dropout":
            raise RuntimeError("a bug of ours")
        return original(node_type, params)

    monkeypatch.setattr(canvas_module, "node_footer", footer)
    doc = _documents()["mlp_digits.json"]
    _open(window, tmp_path, doc)
    assert _drawn(window) == (len(doc["nodes"]), len(doc["edges"]))
    dropout = next(n["id"] for n in doc["nodes"] if n["type"] == "layers.Dropout")
    assert window.canvas.canvas_node(dropout).view.notes == ["could not be drawn in full (RuntimeError: a bug of ours)"]
