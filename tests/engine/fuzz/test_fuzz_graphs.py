"""Property-based fuzzing: loading and validation raise only their documented errors, and a
graph that validates also compiles and runs with the shapes validation promised."""

import contextlib
import json

import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.analysis import analyze
from engine.compiler import compile_graph, input_name
from engine.graph import Graph, GraphFileError, dumps_graph, loads_graph
from engine.graph.fileformat import graph_to_document
from engine.registry import catalog
from tests.engine.conftest import make_mlp

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)
TYPE_IDS = sorted(t.type_id for t in catalog())
OP_TYPES = sorted(t.type_id for t in catalog() if t.role == "op")


@settings(max_examples=300, deadline=None)
@given(JSON)
def test_random_json_only_raises_graph_file_error(value):
    with contextlib.suppress(GraphFileError):
        loads_graph(json.dumps(value))


def _paths(doc, prefix=()):
    yield prefix
    if isinstance(doc, dict):
        for key, value in doc.items():
            yield from _paths(value, (*prefix, key))
    elif isinstance(doc, list):
        for index, value in enumerate(doc):
            yield from _paths(value, (*prefix, index))


VALID_DOC = graph_to_document(make_mlp())
PATHS = [p for p in _paths(VALID_DOC) if p]


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(PATHS), JSON)
def test_mutated_documents_load_or_fail_cleanly_and_validation_never_crashes(path, value):
    doc = json.loads(json.dumps(VALID_DOC))
    target = doc
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    try:
        graph = loads_graph(json.dumps(doc))
    except GraphFileError as exc:
        assert "\n" not in str(exc)
        return
    analyze(graph)  # must not raise, whatever the values
    assert dumps_graph(loads_graph(dumps_graph(graph))) == dumps_graph(graph)


@st.composite
def random_graphs(draw):
    graph = Graph()
    registry = catalog()
    count = draw(st.integers(1, 8))
    for _ in range(count):
        node_type = registry.get(draw(st.sampled_from(TYPE_IDS)))
        params = {}
        for param in node_type.params:
            if draw(st.integers(0, 9)) == 0:
                params[param.name] = draw(JSON)
        graph.add_node(node_type.type_id, params)
    ids = list(graph.nodes)
    ports = ["in", "out", "x", "y", "a", "b", "prediction", "target", "loss", "losses", "like"]
    for _ in range(draw(st.integers(0, 12))):
        src, dst = draw(st.sampled_from(ids)), draw(st.sampled_from(ids))
        graph.connect(src, draw(st.sampled_from(ports)), dst, draw(st.sampled_from(ports)))
    return graph


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(random_graphs())
def test_validation_of_random_graphs_never_crashes(graph):
    analysis = analyze(graph)
    assert all(p.severity in ("error", "warning", "info") for p in analysis.problems)


@st.composite
def random_chains(draw):
    """An Input of random shape followed by a chain of random single-input layers."""
    graph = Graph()
    rank = draw(st.integers(1, 3))
    shape = [draw(st.integers(1, 4))] + [draw(st.integers(4, 12)) for _ in range(rank - 1)]
    graph.add_node("data.Input", {"shape": shape}, node_id="source")
    previous = "source"
    for _ in range(draw(st.integers(1, 4))):
        type_id = draw(st.sampled_from(OP_TYPES))
        node_type = catalog().get(type_id)
        if [p.name for p in node_type.inputs if not p.optional] != ["in"]:
            continue
        node = graph.add_node(type_id)
        graph.connect(previous, "out", node.id, "in")
        previous = node.id
    return graph, previous


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(random_chains())
def test_a_chain_that_validates_compiles_and_runs_with_the_inferred_shape(chain):
    graph, last = chain
    analysis = analyze(graph)
    if analysis.errors:
        return
    model = compile_graph(graph, last, analysis=analysis).eval()
    source = analysis.specs[("source", "out")]
    with torch.no_grad():
        out = model(**{input_name(graph, "source", "out"): torch.randn(2, *source.dims)})
    expected = analysis.specs[(last, catalog().get(graph.nodes[last].type_id).outputs[0].name)]
    assert tuple(out.shape) == (2, *expected.dims)
