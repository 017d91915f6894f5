"""Weight initialisation (engine/registry/weight_init.py) over every registered type with weights.

Every weighted type either takes the `init` choice or says why its weights are not drawn at
random; each scheme reaches every weight matrix of the compiled module; the `python` export
draws the very same numbers for the same seed; and a seeded run starts from the statistics
each scheme documents.
"""

from __future__ import annotations

import math

import pytest
import torch

from engine.compiler import class_name
from engine.export.model_part import model_part
from engine.export.python_source import python_source
from engine.graph import Graph
from engine.registry import catalog
from engine.registry.weight_init import SCHEMES
from engine.training.trainer import Trainer
from tests.engine.nodes.test_contract import CASES, tiny_graph

WEIGHTED = [t.type_id for t in catalog() if t.has_weights]
INITIALISED = [t for t in WEIGHTED if "init" in catalog().get(t).param_index]
DRAWN = [s for s in SCHEMES if s != "default"]


def first_case(type_id: str) -> int:
    """The first sample whose inputs share one spec (a tiny graph can feed it from one input)."""
    for index, (_, inputs) in enumerate(CASES[type_id]):
        specs = list(inputs.values())
        if specs and all(s == specs[0] for s in specs) and specs[0].dims:
            return index
    raise AssertionError(f"add a CASES entry for {type_id} with one input spec")


def graph_with_init(type_id: str, scheme: str, std: float = 0.3) -> Graph:
    graph, _ = tiny_graph(type_id, first_case(type_id))
    graph.nodes["node"].params.update(init=scheme, init_std=std)
    return graph


@pytest.mark.parametrize("type_id", WEIGHTED)
def test_every_weighted_type_takes_an_init_or_has_no_random_weights(type_id):
    node_type = catalog().get(type_id)
    overrides, inputs = CASES[type_id][0]
    module = node_type.build(node_type.check_params(overrides)[0], inputs)
    matrices = [name for name, p in module.named_parameters() if p.dim() >= 2]
    if "init" in node_type.param_index:
        assert node_type.param_index["init"].choices == SCHEMES
        assert matrices, f"{type_id} has no weight matrix for init to draw: set weight_init=False"
        return
    # weight_init=False is only for weights that start at fixed values (a normalization's 1 and 0)
    assert node_type.weight_init is False
    assert not matrices, f"{type_id} has weight matrices {matrices}: give it the init parameter"


@pytest.mark.parametrize("type_id", INITIALISED)
def test_every_scheme_reaches_every_weight_and_the_python_export_draws_the_same(type_id):
    default = dict(model_part(graph_with_init(type_id, "default"), "node").program.node.named_parameters())
    for scheme in DRAWN:
        graph = graph_with_init(type_id, scheme)
        part = model_part(graph, "node", seed=7)
        compiled = dict(part.program.node.named_parameters())
        for name, tensor in compiled.items():
            if tensor.dim() < 2 or scheme == "zeros":
                assert torch.count_nonzero(tensor) == 0, f"{scheme}: {name} should start at zero"
            else:
                assert not torch.equal(tensor, default[name]), f"{scheme} did not redraw {name}"
        namespace: dict = {"__name__": "generated"}
        exec(compile(python_source(part, "w.safetensors"), "generated.py", "exec"), namespace)
        torch.manual_seed(7)
        generated = namespace[class_name(graph.name)]()
        for key, tensor in part.program.state_dict().items():
            torch.testing.assert_close(generated.state_dict()[key], tensor, rtol=0, atol=0, msg=f"{scheme} {key}")


def test_default_leaves_pytorchs_own_initialisation_and_the_export_untouched():
    graph = graph_with_init("layers.Linear", "default")
    source = python_source(model_part(graph, "node"), "w.safetensors")
    assert "init_weights" not in source
    torch.manual_seed(3)
    expected = torch.nn.Linear(20, 64).weight
    torch.testing.assert_close(model_part(graph, "node", seed=3).program.node.weight, expected)


def mlp(init: str, width: int = 256) -> Graph:
    """iris -> fc1 (width) -> ReLU -> fc2 (width) -> ReLU -> out, one epoch of SGD."""
    graph = Graph(name="init_mlp")
    graph.add_node("data.Dataset", {"dataset": "iris"}, node_id="data")
    previous = ("data", "x")
    for node_id, kind, params in (
        ("fc1", "layers.Linear", {"out_features": width, "init": init}),
        ("act1", "activations.ReLU", {}),
        ("fc2", "layers.Linear", {"out_features": width, "init": init}),
        ("act2", "activations.ReLU", {}),
        ("out", "layers.Linear", {"out_features": 3, "init": init}),
    ):
        graph.add_node(kind, params, node_id=node_id)
        graph.connect(*previous, node_id, "in")
        previous = (node_id, "out")
    graph.add_node("losses.CrossEntropy", {}, node_id="loss")
    graph.connect("out", "out", "loss", "prediction")
    graph.connect("data", "y", "loss", "target")
    graph.add_node("optimizers.SGD", {"lr": 0.1}, node_id="opt")
    graph.connect("loss", "loss", "opt", "losses")
    graph.training.update(epochs=1, seed=11, batch_size=16)
    return graph


def test_a_seeded_run_starts_from_each_schemes_documented_statistics():
    fc2 = {}
    for init in ("he_normal", "he_uniform", "xavier_normal", "xavier_uniform", "normal"):
        weight = Trainer(mlp(init)).modules.fc2.weight.detach()
        fc2[init] = weight
        assert float(weight.mean()).__abs__() < 0.003
    # He: std sqrt(2 / fan_in); Xavier: std sqrt(2 / (fan_in + fan_out)); normal: init_std (0.01)
    assert fc2["he_normal"].std().item() == pytest.approx(math.sqrt(2 / 256), rel=0.02)
    assert fc2["he_uniform"].std().item() == pytest.approx(math.sqrt(2 / 256), rel=0.02)
    assert fc2["he_uniform"].abs().max().item() <= math.sqrt(6 / 256)
    assert fc2["xavier_normal"].std().item() == pytest.approx(math.sqrt(2 / 512), rel=0.02)
    assert fc2["xavier_uniform"].std().item() == pytest.approx(math.sqrt(2 / 512), rel=0.02)
    assert fc2["xavier_uniform"].abs().max().item() <= math.sqrt(6 / 512)
    assert fc2["normal"].std().item() == pytest.approx(0.01, rel=0.02)
    # the same seed, the same weights
    torch.testing.assert_close(Trainer(mlp("he_normal")).modules.fc2.weight.detach(), fc2["he_normal"])


def test_zeros_keeps_every_hidden_unit_identical_through_training():
    """The symmetry random initialisation breaks: from all-zero weights, every hidden unit gets the same update."""
    trainer = Trainer(mlp("zeros", width=8))
    trainer.fit()
    for layer in ("fc1", "fc2"):
        weight = trainer.modules.get_submodule(layer).weight.detach()
        assert torch.allclose(weight, weight[:1].expand_as(weight)), f"{layer}'s rows differ"
    # with zero weights after a ReLU nothing reaches fc1: its weights never move
    assert torch.count_nonzero(trainer.modules.fc1.weight) == 0
