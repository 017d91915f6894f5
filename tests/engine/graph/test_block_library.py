"""Built-in blocks, repeating a block in a chain, and the user's block library."""

import json

import pytest

from engine.analysis import analyze
from engine.graph import Graph, GraphError, dumps_graph, loads_graph
from engine.graph.block_library import BlockLibraryError, library_blocks, load_library_block, save_to_library
from engine.graph.blocks import BUILTIN_BLOCKS, builtin_block, insert_block, repeat_block, template_of
from engine.graph.grouping import block_ports, node_path, nodes_in, structure_problems
from engine.graph.migrations import CURRENT_VERSION


def image_graph() -> Graph:
    graph = Graph(name="Blocks")
    graph.add_node("data.Dataset", {"dataset": "digits_images"}, node_id="data")
    return graph


def finish(graph: Graph, last: tuple[str, str]) -> Graph:
    """Flatten -> Linear(10) -> cross-entropy -> Adam after `last`."""
    graph.add_node("layers.Flatten", node_id="flat")
    graph.add_node("layers.Linear", {"out_features": 10}, node_id="head")
    graph.add_node("losses.CrossEntropy", node_id="loss")
    graph.add_node("optimizers.Adam", node_id="adam")
    graph.connect(*last, "flat", "in")
    graph.connect("flat", "out", "head", "in")
    graph.connect("head", "out", "loss", "prediction")
    graph.connect("data", "y", "loss", "target")
    graph.connect("loss", "loss", "adam", "losses")
    return graph


@pytest.mark.parametrize("name", ["conv_bn_relu", "residual", "branch_concat", "mlp"])
def test_every_builtin_block_inserts_a_valid_block(name):
    graph = image_graph()
    source = ("data", "x")
    if name == "residual":  # the skip connection needs as many channels in as out
        source = insert_block(graph, builtin_block("conv_bn_relu", channels=16), [source]).output
    if name == "mlp":
        graph.add_node("layers.Flatten", node_id="pre")
        graph.connect(*source, "pre", "in")
        source = ("pre", "out")
    inserted = insert_block(graph, builtin_block(name), [source])
    finish(graph, inserted.output)
    analysis = analyze(graph)
    assert analysis.errors == [], [str(p) for p in analysis.errors]
    block = inserted.block
    assert block.title == builtin_block(name).title and block.id.startswith(builtin_block(name).prefix)
    assert all(node_id.startswith(block.id + "_") for node_id in block.nodes)
    assert [p.node_id for p in block_ports(graph, block.id).outputs] == [inserted.output[0]]
    assert structure_problems(graph) == []


def test_residual_block_feeds_its_input_to_the_skip_connection():
    graph = image_graph()
    inserted = insert_block(graph, builtin_block("residual", channels=1), [("data", "x")])
    inputs = block_ports(graph, inserted.block.id).inputs
    assert [p.name for p in inputs] == ["res1_conv1.in", "res1_add.b"]
    assert analyze(graph).specs[("res1_relu", "out")].dims == (1, 8, 8)


def test_branch_concat_joins_four_branches_along_channels():
    graph = image_graph()
    inserted = insert_block(graph, builtin_block("branch_concat", channels=4), [("data", "x")])
    assert analyze(graph).specs[inserted.output].dims == (16, 8, 8)


def test_unknown_builtin_and_taken_ids_are_refused():
    with pytest.raises(GraphError, match="no built-in block 'vgg'; expected one of conv_bn_relu"):
        builtin_block("vgg")
    graph = image_graph()
    graph.add_node("activations.ReLU", node_id="cbr1_bn")
    inserted = insert_block(graph, builtin_block("conv_bn_relu"), [("data", "x")])
    assert inserted.block.id == "cbr2"  # cbr1 would clash with the node cbr1_bn
    with pytest.raises(GraphError, match="the id 'cbr1_bn' is taken"):
        insert_block(graph, builtin_block("conv_bn_relu"), block_id="cbr1")
    with pytest.raises(GraphError, match="takes 1 input"):
        insert_block(graph, builtin_block("conv_bn_relu"), [("data", "x"), ("data", "y")])


def test_repeat_chains_copies_and_moves_what_read_the_output():
    graph = image_graph()
    stem = insert_block(graph, builtin_block("conv_bn_relu", channels=8), [("data", "x")])
    first = insert_block(graph, builtin_block("residual", channels=8), [stem.output])
    finish(graph, first.output)
    ids = repeat_block(graph, "res1", 3)
    assert ids == ["res1", "res2", "res3"]
    assert graph.predecessors("res2_conv1") == ["res1_relu"] and graph.predecessors("res3_add") == [
        "res3_bn2",
        "res2_relu",
    ]
    assert graph.predecessors("flat") == ["res3_relu"]
    assert graph.successors("res1_relu") == ["res2_conv1", "res2_add"]
    assert analyze(graph).errors == []
    assert template_of(graph, "res3").graph.nodes == template_of(graph, "res1").graph.nodes


def test_repeat_keeps_copies_in_the_parent_block_and_refuses_what_cannot_chain():
    graph = image_graph()
    outer = insert_block(graph, builtin_block("conv_bn_relu"), [("data", "x")])
    inner = insert_block(graph, builtin_block("conv_bn_relu"), [outer.output], parent=outer.block.id)
    repeat_block(graph, inner.block.id, 2)
    assert graph.blocks["cbr1"].blocks == ["cbr2", "cbr3"]
    assert node_path(graph, "cbr3_conv") == "cbr1/cbr3/cbr3_conv"
    with pytest.raises(GraphError, match="1 or more times"):
        repeat_block(graph, "cbr2", 0)
    graph.add_node("merge.Add", node_id="join")
    graph.connect("data", "x", "join", "a")
    graph.connect("cbr1_conv", "out", "join", "b")
    graph.blocks["cbr1"].nodes.append("join")
    with pytest.raises(GraphError, match="only a block with one input and one output can be chained"):
        repeat_block(graph, "cbr1", 2)


def test_nested_template_round_trips_through_the_library(tmp_path):
    graph = image_graph()
    outer = insert_block(graph, builtin_block("conv_bn_relu", channels=4), [("data", "x")])
    insert_block(graph, builtin_block("residual", channels=4), [outer.output], parent="cbr1")
    path = save_to_library(graph, "cbr1", tmp_path / "blocks", "Stem & residual")
    assert path.name == "Stem_residual.json"
    saved = json.loads(path.read_text())
    assert saved["kind"] == "netwright-block" and saved["inputs"] == [["conv.in"]]
    assert saved["graph"]["format_version"] == CURRENT_VERSION and saved["graph"]["blocks"][0]["id"] == "res1"
    template = load_library_block(path)
    target = image_graph()
    placed = insert_block(target, template, [("data", "x")])
    assert placed.block.id == "cbr1" and target.blocks["cbr1"].blocks == ["cbr1_res1"]
    assert set(nodes_in(target, "cbr1")) == {f"cbr1_{n}" for n in template.graph.nodes}
    finish(target, placed.output)
    assert analyze(target).errors == []
    assert dumps_graph(loads_graph(dumps_graph(target))) == dumps_graph(target)
    found, problems = library_blocks(tmp_path / "blocks")
    assert list(found) == ["Stem_residual"] and problems == []


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{", "not a readable block file (not valid JSON"),
        ('{"kind": "other"}', 'not a Netwright block file (no "kind": "netwright-block")'),
        ('{"kind": "netwright-block", "version": 9}', "block file version 9; this Netwright reads up to 1"),
        ('{"kind": "netwright-block", "version": 1, "graph": []}', "a graph file holds a JSON object"),
        (
            '{"kind": "netwright-block", "version": 1, "inputs": [["ghost.in"]], "outputs": [],'
            ' "graph": {"format_version": 3, "nodes": [], "edges": []}}',
            "names a node that is not in the block",
        ),
    ],
)
def test_a_broken_library_file_is_one_line_naming_it(tmp_path, content, message):
    path = tmp_path / "bad.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(BlockLibraryError, match="bad.json: ") as error:
        load_library_block(path)
    assert message in str(error.value) and "\n" not in str(error.value)
    found, problems = library_blocks(tmp_path)
    assert found == {} and len(problems) == 1 and problems[0].startswith(str(path))


def test_library_write_failure_is_one_line(tmp_path):
    graph = image_graph()
    insert_block(graph, builtin_block("conv_bn_relu"), [("data", "x")])
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(BlockLibraryError, match="cannot be written"):
        save_to_library(graph, "cbr1", blocker / "blocks")


def test_builtin_catalog_is_the_four_of_the_issue():
    assert set(BUILTIN_BLOCKS) == {"conv_bn_relu", "residual", "mlp", "branch_concat"}
    with pytest.raises(GraphError, match="at least one hidden layer"):
        builtin_block("mlp", hidden=[])
