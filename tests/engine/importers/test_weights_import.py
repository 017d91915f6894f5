"""Transfer learning: a weights file matched onto a graph's layers by id, then by name and shape."""

from __future__ import annotations

import pytest
import torch
from safetensors.torch import load_file, save_file

from engine.cli import main
from engine.compiler import build_modules
from engine.graph import save_graph
from engine.importers import match_weights
from tests.engine.conftest import make_mlp


def test_matching_by_id_then_by_name_and_shape():
    graph = make_mlp(hidden=32)  # fc1 [32, 64], fc2 [10, 32]
    graph.nodes["fc2"].params["out_features"] = 5  # a new head: nothing in the file fits it
    tensors = {
        "fc1.weight": torch.ones(32, 64),
        "fc1.bias": torch.ones(32),  # same id and shape
        "encoder.layers.2.weight": torch.full((10, 32), 2.0),
        "encoder.layers.2.bias": torch.zeros(10),
        "extra.weight": torch.zeros(3, 3),
    }
    report = match_weights(graph, tensors)
    assert [(m.key, m.source, m.how) for m in report.matched] == [
        ("fc1.weight", "fc1.weight", "id"),
        ("fc1.bias", "fc1.bias", "id"),
    ]
    assert set(report.unmatched) == {"fc2.weight", "fc2.bias"}
    assert "no unused layer in the file has weight of shape [5, 32]" in report.unmatched["fc2.weight"]
    assert report.unused == ["encoder.layers.2.bias", "encoder.layers.2.weight", "extra.weight"]
    assert (report.tensors["fc1.weight"] == 1).all()

    graph.nodes["fc2"].params["out_features"] = 10  # now the renamed layer fits by name and shape
    report = match_weights(graph, tensors)
    assert ("fc2.weight", "encoder.layers.2.weight", "name and shape") in [
        (m.key, m.source, m.how) for m in report.matched
    ]
    assert (report.tensors["fc2.weight"] == 2).all()
    assert not report.unmatched


def test_a_shape_mismatch_says_both_shapes():
    graph = make_mlp(hidden=16)
    report = match_weights(graph, {"fc1.weight": torch.zeros(32, 64), "fc1.bias": torch.zeros(32)})
    assert report.unmatched["fc1.weight"] == "the file's fc1.weight has shape [32, 64], the graph needs [16, 64]"


def test_cli_writes_weights_that_load_into_the_graph(tmp_path, capsys):
    graph = make_mlp()
    save_graph(graph, tmp_path / "g.json")
    source = {k: v + 1 for k, v in build_modules(graph).state_dict().items()}
    save_file(source, str(tmp_path / "pre.safetensors"))
    code = main(
        [
            "import",
            "weights",
            str(tmp_path / "g.json"),
            "--weights",
            str(tmp_path / "pre.safetensors"),
            "-o",
            str(tmp_path / "w.safetensors"),
        ]
    )
    out = capsys.readouterr().out
    assert code == 0 and "matched 4 of 4 tensors" in out and "fc1.weight <- fc1.weight (by id)" in out
    build_modules(graph).load_state_dict(load_file(str(tmp_path / "w.safetensors")))
    assert (
        main(
            [
                "import",
                "weights",
                str(tmp_path / "g.json"),
                "--weights",
                str(tmp_path / "no.safetensors"),
                "-o",
                str(tmp_path / "x.safetensors"),
            ]
        )
        == 2
    )


def _resnet_and_its_graph():
    from engine.importers import import_module
    from tests.engine.importers.models import zoo

    torch.manual_seed(0)
    model = zoo.ResNet().eval()
    with torch.no_grad():  # every tensor distinct, so a swap shows in the output
        for value in model.state_dict().values():
            if value.is_floating_point():
                value.uniform_(0.5, 1.5)
    return model, import_module(model, (3, 16, 16), blocks=False).graph


def test_layers_of_equal_shapes_are_matched_by_module_path_never_swapped():
    model, graph = _resnet_and_its_graph()
    state = model.state_dict()
    # layer2.0's bn2 and its downsample's BatchNorm have the same shapes: order alone would swap them
    assert state["layer2.0.bn2.weight"].shape == state["layer2.0.downsample.1.weight"].shape
    report = match_weights(graph, {f"module.{k}": v for k, v in state.items()})  # as DataParallel saves them
    assert not report.unmatched and not report.unused
    for match in report.matched:
        assert match.how == "module path"
        assert match.key.rsplit(".", 1)[0] == match.source.removeprefix("module.").rsplit(".", 1)[0].replace(".", "_")
    from engine.compiler import compile_graph

    module = compile_graph(graph, "fc")
    module.load_state_dict(report.tensors)
    x = torch.randn(2, 3, 16, 16)
    with torch.no_grad():
        assert float((module.eval()(x) - model(x)).abs().max()) <= 1e-5


def test_equal_shapes_without_names_that_tie_them_are_an_error_not_a_guess():
    from engine.weights import WeightsMatchError

    model, graph = _resnet_and_its_graph()
    graph.rename_node("layer2_0_bn2", "norm_a")
    graph.rename_node("layer2_0_downsample_1", "norm_b")
    with pytest.raises(WeightsMatchError) as caught:
        match_weights(graph, model.state_dict())
    message = str(caught.value)
    assert message.startswith("cannot match 2 layers of the graph without guessing")
    assert "norm_a (" in message and "norm_b (" in message and "layer2.0.downsample.1" in message


def test_weights_saved_from_the_python_export_match_back_by_module_path(tmp_path):
    import importlib.util

    from engine.export import export_model
    from engine.importers import import_module
    from tests.engine.importers.models import zoo

    torch.manual_seed(0)
    result = import_module(zoo.ResNet().eval(), (3, 16, 16))  # with blocks: nested classes in the export
    weights = result.save(tmp_path / "resnet.json")
    assert export_model(result.graph, tmp_path / "resnet.py", "python", weights=weights).ok
    spec = importlib.util.spec_from_file_location("exported_resnet", tmp_path / "resnet.py")
    exported = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(exported)
    state = exported.load_model().state_dict()  # keys like layer1.layer1_0.conv1.weight
    assert any(key.startswith("layer1.layer1_0.") for key in state)
    report = match_weights(result.graph, state)
    assert not report.unmatched and not report.unused
    assert {m.how for m in report.matched} <= {"id", "module path"}
    for match in report.matched:
        assert torch.equal(report.tensors[match.key], result.weights[match.key])
