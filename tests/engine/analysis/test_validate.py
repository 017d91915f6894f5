"""Validation: each kind of problem is found, on the right node, with a message that teaches."""

import pytest

from engine.analysis import analyze, validate
from engine.graph import Graph
from engine.registry.fixes import Connect, InsertNode, SetParam
from tests.engine.conftest import make_mlp


def messages(graph, node_id=None):
    return [p.message for p in validate(graph) if node_id is None or p.node_id == node_id]


def test_a_correct_graph_has_no_problems(mlp):
    assert validate(mlp) == []


def test_every_edge_gets_a_shape(mlp):
    analysis = analyze(mlp)
    shapes = {str(e): str(analysis.edge_spec(e)) for e in mlp.edges}
    assert shapes == {
        "data.x -> fc1.in": "B x 64",
        "fc1.out -> relu1.in": "B x 32",
        "relu1.out -> fc2.in": "B x 32",
        "fc2.out -> loss.prediction": "B x 10",
        "data.y -> loss.target": "B labels (10 classes)",
        "loss.loss -> adam.losses": "scalar",
    }


def test_linear_after_an_image_says_insert_flatten_with_the_arithmetic():
    graph = make_mlp()
    graph.nodes["data"].params["dataset"] = "digits_images"
    [problem] = validate(graph)
    assert problem.node_id == "fc1" and problem.node_title == "Linear" and problem.severity == "error"
    assert problem.message == (
        "Linear `fc1` gets [B, 1, 8, 8] but needs a flat [B, features] input: insert Flatten (1 x 8 x 8 = 64 features)"
    )
    assert problem.fix == InsertNode("layers.Flatten", node="fc1")


def test_problems_downstream_of_a_broken_node_do_not_cascade():
    graph = make_mlp()
    graph.nodes["data"].params["dataset"] = "digits_images"
    assert [p.node_id for p in validate(graph)] == ["fc1"]


def test_cycle_is_reported_with_its_path(mlp):
    mlp.connect("relu1", "out", "fc1", "in")
    found = messages(mlp)
    assert any("is part of a cycle (fc1 -> relu1 -> fc1)" in m for m in found)


def test_unconnected_target_offers_a_quick_fix(mlp):
    edge = next(e for e in mlp.edges if e.dst_port == "target")
    mlp.disconnect(edge)
    [problem] = [p for p in validate(mlp) if p.node_id == "loss"]
    assert "required input `target`" in problem.message
    assert "connect the Dataset's `y` (`data.y`)" in problem.hint
    assert problem.fix == Connect("data", "y", "loss", "target")


def test_unknown_type_is_reported_per_node_not_a_crash(mlp):
    mlp.add_node("layers.Linear", node_id="x1").type_id = "layers.Quantum"
    mlp.add_node("layers.Linear", node_id="x2").type_id = "layers.Warp"
    problems = validate(mlp)
    unknown = {p.node_id: p.message for p in problems if "unknown node type" in p.message}
    assert set(unknown) == {"x1", "x2"}
    assert "'layers.Quantum'" in unknown["x1"]


def test_bad_parameter_value_and_unknown_parameter(mlp):
    mlp.nodes["fc1"].params["out_features"] = 0
    mlp.nodes["fc2"].params["units"] = 3
    found = messages(mlp)
    assert (
        "Linear `fc1` has a bad value for out_features: must be at least 1, received 0: change it in the properties panel"
        in found
    )
    assert any("Linear `fc2` has a bad value for units" in m and "no parameter 'units'" in m for m in found)


def test_two_edges_into_a_single_input(mlp):
    mlp.connect("data", "x", "relu1", "in")
    assert any("has 2 edges into input `in`, which takes one" in m for m in messages(mlp, "relu1"))


def test_wrong_port_names(mlp):
    mlp.connect("data", "z", "fc2", "bias")
    found = messages(mlp)
    assert any("Dataset `data` has no output `z` (outputs: x, y)" in m for m in found)
    assert any("Linear `fc2` has no input `bias` (inputs: in)" in m for m in found)


def test_loss_without_optimizer_is_a_warning(mlp):
    mlp.remove_node("adam")
    [problem] = validate(mlp)
    assert problem.severity == "warning" and problem.node_id == "loss"
    assert "not connected to an optimizer" in problem.message


def test_optimizer_without_loss_is_an_error(mlp):
    mlp.add_node("optimizers.Adam", node_id="lonely")
    [problem] = validate(mlp)
    assert problem.node_id == "lonely" and problem.is_error and "has no loss to minimize" in problem.message


def test_model_with_no_path_from_data_to_loss():
    graph = Graph()
    graph.add_node("data.Dataset", node_id="data")
    graph.add_node("losses.CrossEntropy", node_id="loss")
    graph.connect("data", "y", "loss", "target")
    graph.connect("data", "y", "loss", "prediction")
    found = messages(graph, "loss")
    assert any("gets class labels [B]" in m for m in found)


def test_class_count_mismatch_offers_to_fix_out_features(mlp):
    mlp.nodes["fc2"].params["out_features"] = 7
    [problem] = validate(mlp)
    assert problem.node_id == "loss"
    assert "gets 7 scores per sample but the target has 10 classes" in problem.message
    assert "set out_features of the last Linear layer to 10" in problem.message
    assert problem.fix == SetParam("fc2", "out_features", 10)


def test_optimizer_scope_must_name_existing_nodes(mlp):
    mlp.nodes["adam"].params["scope"] = ["fc1", "ghost", "relu1"]
    problems = {p.message: p.severity for p in validate(mlp)}
    assert any("`ghost` in its scope, but no node has that id" in m for m in problems)
    assert any("`relu1` in its scope, but ReLU has no weights" in m and s == "warning" for m, s in problems.items())


def test_second_dataset_is_refused(mlp):
    mlp.add_node("data.Dataset", node_id="data2")
    assert any("is a second Dataset" in m for m in messages(mlp, "data2"))


def test_training_settings_are_checked_and_unknown_ones_refused(mlp):
    mlp.training["epochs"] = 0
    mlp.training["warp_speed"] = True
    found = messages(mlp)
    assert (
        "The training block has a bad value for epochs: must be at least 1, received 0: change it in the training settings"
        in found
    )
    assert any("unknown setting 'warp_speed'" in m for m in found)


@pytest.mark.parametrize("severity_order", [["error", "warning"]])
def test_errors_come_before_warnings(mlp, severity_order):
    mlp.remove_node("adam")
    mlp.nodes["fc1"].params["out_features"] = -1
    severities = [p.severity for p in validate(mlp)]
    assert severities == sorted(severities, key=severity_order.index)


def gan_like(scoped: bool):
    from pathlib import Path

    from engine.graph import load_graph

    graph = load_graph(Path(__file__).resolve().parents[3] / "resources" / "examples" / "gan_ring.json")
    if not scoped:
        for opt in ("d_opt", "g_opt"):
            graph.nodes[opt].params["scope"] = []
    return graph


def test_overlapping_optimizer_scopes_are_a_warning():
    assert validate(gan_like(scoped=True)) == []
    [problem] = validate(gan_like(scoped=False))
    assert problem.node_id == "g_opt" and problem.severity == "warning"
    assert problem.message.startswith(
        "Adam `g_opt` updates g_fc1, g_fc2, g_out, d_fc1, d_fc2, d_out, which Adam `d_opt` updates too"
    )


def test_optimizer_with_nothing_to_update_is_an_error():
    graph = Graph()
    graph.add_node("data.Dataset", node_id="data")
    graph.add_node("layers.Linear", {"out_features": 10}, node_id="fc1")
    graph.add_node("merge.Detach", node_id="stop")
    graph.add_node("losses.CrossEntropy", node_id="loss")
    graph.add_node("optimizers.SGD", node_id="sgd")
    graph.connect("data", "x", "fc1", "in")
    graph.connect("fc1", "out", "stop", "in")
    graph.connect("stop", "out", "loss", "prediction")
    graph.connect("data", "y", "loss", "target")
    graph.connect("loss", "loss", "sgd", "losses")
    [problem] = validate(graph)
    assert problem.node_id == "sgd" and "has no weights to update" in problem.message
