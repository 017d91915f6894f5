"""The contract every node type in the catalog keeps: params, help, shape rule and builder agree,
its generated Python imports back as the same node, its ONNX export imports back, torch counts
its parameters as the analysis does, and it says how it is imported or why not.

The sample table is keyed by type id and checked against the catalog, so a new node type
without sample inputs fails here instead of going untested.
"""

from __future__ import annotations

import re

import pytest
import torch

from engine.analysis.parameters import count_parameters
from engine.compiler import class_name
from engine.export.exporter import export_model
from engine.export.model_part import model_part
from engine.export.python_source import python_source
from engine.graph import Graph
from engine.importers.common import compiled_with_weights
from engine.importers.onnx_model import import_onnx
from engine.importers.pytorch import import_module
from engine.registry import (
    SCALAR,
    NodeType,
    NoImport,
    OnnxImport,
    PyTorchImport,
    TensorSpec,
    catalog,
    floats,
    labels,
)


def ids(*dims: int, num_classes: int) -> TensorSpec:
    """Integer ids [B, *dims] with `num_classes` distinct values."""
    return TensorSpec(dims, "long", True, num_classes)


ACTIVATION_CASES = [({}, {"in": floats(4, 5)}), ({}, {"in": floats(2, 3, 3)})]
REGRESSION_CASES = [
    ({}, {"prediction": floats(3), "target": floats(3)}),
    ({}, {"prediction": floats(2, 4), "target": floats(2, 4)}),
]
CLASS_CASES = [({}, {"prediction": floats(4), "target": labels(4)})]
OPTIMIZER_CASES = [({}, {"losses": [SCALAR]}), ({}, {"losses": [SCALAR, SCALAR]})]
RECURRENT_CASES = [
    ({}, {"in": floats(5, 4)}),
    (
        {"output": "all_steps", "num_layers": 2, "dropout": 0.2, "bidirectional": True, "hidden_size": 6},
        {"in": floats(5, 4)},
    ),
    ({"bidirectional": True, "hidden_size": 3}, {"in": floats(7, 2)}),
]

# type id -> list of (params other than the defaults, input specs); the first uses the defaults.
CASES: dict[str, list[tuple[dict, dict]]] = {
    "data.Dataset": [({}, {}), ({"dataset": "digits_images"}, {})],
    "data.Input": [({}, {}), ({"shape": [12], "dtype": "long", "num_classes": 30}, {})],
    "data.Noise": [({}, {})],
    "layers.Linear": [({}, {"in": floats(20)}), ({"out_features": 3, "bias": False}, {"in": floats(5, 7)})],
    "layers.Conv1d": [
        ({}, {"in": floats(2, 16)}),
        ({"stride": 2, "padding": 1, "dilation": 2, "bias": False}, {"in": floats(3, 11)}),
        ({"groups": 2, "out_channels": 6}, {"in": floats(4, 9)}),
    ],
    "layers.Conv2d": [
        ({}, {"in": floats(1, 8, 8)}),
        ({"out_channels": 4, "kernel_size": 5, "stride": 2, "padding": 2, "dilation": 2}, {"in": floats(3, 13, 9)}),
        ({"groups": 4, "out_channels": 8, "padding": 1}, {"in": floats(4, 6, 6)}),  # depthwise, 2 filters each
    ],
    "layers.ConvTranspose2d": [
        ({}, {"in": floats(4, 5, 5)}),
        ({"kernel_size": 4, "stride": 2, "padding": 1, "output_padding": 1}, {"in": floats(2, 3, 4)}),
        ({"stride": 1, "dilation": 3, "output_padding": 2}, {"in": floats(2, 3, 4)}),
        ({"groups": 2, "out_channels": 4}, {"in": floats(4, 3, 3)}),
    ],
    "layers.MaxPool1d": [
        ({}, {"in": floats(3, 10)}),
        ({"kernel_size": 3, "padding": 1, "dilation": 2}, {"in": floats(2, 9)}),
        ({"ceil_mode": True}, {"in": floats(2, 9)}),
    ],
    "layers.MaxPool2d": [
        ({}, {"in": floats(3, 9, 8)}),
        ({"kernel_size": 3, "stride": 1, "padding": 1}, {"in": floats(2, 5, 5)}),
        ({"kernel_size": 3, "ceil_mode": True}, {"in": floats(2, 8, 7)}),
        ({"ceil_mode": True, "padding": 1}, {"in": floats(1, 5, 5)}),  # the last window would start in the padding
    ],
    "layers.AvgPool2d": [
        ({}, {"in": floats(3, 8, 8)}),
        ({"kernel_size": 3, "padding": 1}, {"in": floats(1, 7, 6)}),
        ({"ceil_mode": True}, {"in": floats(2, 7, 7)}),
    ],
    "layers.AdaptiveAvgPool2d": [
        ({}, {"in": floats(5, 7, 6)}),
        ({"output_height": 2, "output_width": 3}, {"in": floats(2, 8, 9)}),
    ],
    "layers.Flatten": [({}, {"in": floats(2, 3, 4)}), ({}, {"in": ids(2, 3, num_classes=5)})],
    "layers.Reshape": [
        ({}, {"in": floats(2, 3, 4)}),
        ({"shape": [4, -1, 2]}, {"in": floats(24)}),
        ({"shape": [1, 28, 28]}, {"in": floats(784)}),
    ],
    "layers.Dropout": [({}, {"in": floats(10)}), ({"p": 0.1}, {"in": floats(2, 3, 4)})],
    "layers.Scale": [({}, {"in": floats(4)}), ({"factor": -3.0}, {"in": floats(2, 3)})],
    "layers.Shift": [({}, {"in": floats(4)}), ({"offset": -0.25}, {"in": floats(2, 3)})],
    "layers.Transpose": [
        ({}, {"in": floats(3, 5)}),
        ({"dim0": -1, "dim1": 0}, {"in": floats(2, 3, 4)}),
        ({}, {"in": ids(4, 6, num_classes=7)}),
    ],
    "layers.Mean": [
        ({}, {"in": floats(5, 4)}),
        ({"dims": [1, 2], "keepdim": True}, {"in": floats(3, 4, 5)}),
        ({"dims": [-1, 0]}, {"in": floats(3, 2)}),
    ],
    "layers.PositionalEmbedding": [({}, {"in": floats(5, 4)})],
    "layers.SelfAttention": [({}, {"in": floats(5, 4)}), ({"num_heads": 4, "bias": False}, {"in": floats(3, 8)})],
    "layers.TransformerEncoderLayer": [
        ({}, {"in": floats(5, 4)}),
        (
            {"num_heads": 4, "feedforward": 16, "activation": "gelu", "norm_first": True, "dropout": 0.0},
            {"in": floats(3, 8)},
        ),
    ],
    "layers.Slice": [
        ({}, {"in": floats(3, 5)}),
        ({"dim": 0, "start": 4, "end": 0}, {"in": floats(6, 2, 2)}),
        ({"dim": -1, "start": -3, "end": -1}, {"in": floats(2, 7)}),
    ],
    "layers.Dropout2d": [({}, {"in": floats(3, 4, 4)}), ({"p": 0.1}, {"in": floats(2, 3, 5)})],
    "layers.ChannelShuffle": [({}, {"in": floats(4, 3, 3)}), ({"groups": 3}, {"in": floats(6, 2, 5)})],
    "layers.TorchModule": [
        ({}, {"in": floats(4, 6, 6)}),  # GroupNorm: weights
        ({"module": "Softplus", "arguments": '{"beta": 2.0}', "in_shape": [5], "out_shape": [5]}, {"in": floats(5)}),
        (
            {
                "module": "PixelShuffle",
                "arguments": '{"upscale_factor": 2}',
                "in_shape": [8, 3, 3],
                "out_shape": [2, 6, 6],
            },
            {"in": floats(8, 3, 3)},
        ),
    ],
    "layers.Pad": [
        ({}, {"in": floats(2, 5, 5)}),
        ({"mode": "reflect", "left": 2, "right": 1, "top": 0, "bottom": 3}, {"in": floats(3, 4, 6)}),
        ({"mode": "replicate", "top": 0, "bottom": 0, "left": 3}, {"in": floats(2, 7)}),
        ({"mode": "constant", "value": 1.5, "right": 0}, {"in": floats(1, 3, 3)}),
    ],
    "layers.BatchNorm1d": [({}, {"in": floats(6)}), ({"affine": False, "momentum": 0.5}, {"in": floats(4, 5)})],
    "layers.BatchNorm2d": [({}, {"in": floats(3, 4, 4)})],
    "layers.LayerNorm": [({}, {"in": floats(5, 6)}), ({"affine": False, "eps": 1e-3}, {"in": floats(6)})],
    "layers.Embedding": [({}, {"in": ids(7, num_classes=12)}), ({"embedding_dim": 3}, {"in": ids(num_classes=4)})],
    "layers.RNN": RECURRENT_CASES + [({"nonlinearity": "relu"}, {"in": floats(3, 2)})],
    "layers.LSTM": RECURRENT_CASES,
    "layers.GRU": RECURRENT_CASES,
    "layers.Upsample": [
        ({}, {"in": floats(2, 3, 4)}),
        ({"mode": "bilinear", "scale_factor": 3}, {"in": floats(1, 2, 5)}),
        ({}, {"in": floats(2, 5)}),
    ],
    "activations.ReLU": ACTIVATION_CASES,
    "activations.LeakyReLU": ACTIVATION_CASES,
    "activations.Sigmoid": ACTIVATION_CASES,
    "activations.Tanh": ACTIVATION_CASES,
    "activations.Softmax": ACTIVATION_CASES + [({"dim": 0}, {"in": floats(3, 2, 2)})],
    "activations.LogSoftmax": ACTIVATION_CASES + [({"dim": 1}, {"in": floats(3, 2, 2)})],
    "activations.GELU": ACTIVATION_CASES + [({"approximate": "tanh"}, {"in": floats(3)})],
    "activations.ELU": ACTIVATION_CASES,
    "activations.PReLU": ACTIVATION_CASES + [({"per_channel": True, "initial_slope": 0.1}, {"in": floats(4, 5)})],
    "losses.CrossEntropy": CLASS_CASES,
    "losses.Hinge": CLASS_CASES + [({"p": "2", "margin": 0.5}, {"prediction": floats(3), "target": labels(3)})],
    "losses.MSE": REGRESSION_CASES,
    "losses.L1": REGRESSION_CASES,
    "losses.Huber": REGRESSION_CASES,
    "losses.BCEWithLogits": [
        ({}, {"prediction": floats(1), "target": labels(2)}),
        ({}, {"prediction": floats(4), "target": floats(4)}),
    ],
    "losses.KLDivergence": [
        ({}, {"prediction": floats(5), "target": floats(5)}),
        ({}, {"prediction": floats(3), "target": labels(3)}),
    ],
    "merge.Add": [({}, {"a": floats(3, 4), "b": floats(3, 4)})],
    "merge.Multiply": [({}, {"a": floats(3, 4), "b": floats(3, 4)})],
    "merge.Concat": [
        ({}, {"a": floats(2, 4), "b": floats(3, 4)}),
        ({"dim": -1}, {"a": floats(2, 4), "b": floats(2, 1), "c": floats(2, 2), "d": floats(2, 3)}),
        ({"dim": 1}, {"a": floats(2, 4), "b": floats(2, 1), "c": floats(2, 2)}),
        ({"dim": -1}, {"a": floats(3, 2), "b": floats(3, 2)}),
        ({}, {"a": floats(3)}),  # one input passes through (DenseNet's first layer joins a list of one)
        (
            {"dim": 0},
            {"a": floats(1, 3), "b": floats(2, 3), "c": floats(1, 3), "d": floats(1, 3), "more": [floats(3, 3)] * 3},
        ),
    ],
    "merge.Detach": [({}, {"in": floats(4)})],
    "merge.RealFakeBatch": [
        ({}, {"real": floats(2), "fake": floats(2)}),
        ({}, {"real": floats(1, 8, 8), "fake": floats(1, 8, 8)}),
    ],
    "merge.ConstantLike": [
        ({}, {"like": labels(3)}),
        ({"value": 0.0}, {"like": floats(2, 3)}),
        ({"value": -2.5}, {"like": ids(4, num_classes=9)}),
    ],
    **{
        f"optimizers.{name}": OPTIMIZER_CASES
        for name in ("GradientDescent", "SGD", "Momentum", "Adam", "AdamW", "RMSprop", "Adagrad")
    },
}
# Element-wise activations all take the same samples: a new one needs no entry above.
for _type in catalog():
    if _type.category == "activations":
        CASES.setdefault(_type.type_id, ACTIVATION_CASES)
# Nodes whose output is deliberately cut off from the gradient of their inputs.
NO_GRADIENT = {"merge.Detach", "merge.ConstantLike"}
BATCH = 3

TYPE_IDS = [t.type_id for t in catalog()]
CASE_IDS = [(type_id, i) for type_id, cases in CASES.items() for i in range(len(cases))]


def sample(spec: TensorSpec) -> torch.Tensor:
    shape = (BATCH, *spec.dims) if spec.batched else spec.dims
    if spec.is_labels:
        return torch.randint(0, spec.num_classes, shape)
    return torch.randn(shape, requires_grad=True)


def assert_matches(tensor: torch.Tensor, spec: TensorSpec) -> None:
    expected = (BATCH, *spec.dims) if spec.batched else spec.dims
    assert tuple(tensor.shape) == expected, f"real {tuple(tensor.shape)} vs inferred {spec}"
    if spec.is_labels:
        assert tensor.dtype == torch.int64
    else:
        assert tensor.is_floating_point()


@pytest.mark.parametrize("type_id", TYPE_IDS)
def test_every_type_has_samples(type_id):
    assert CASES.get(type_id), f"add sample inputs for {type_id} to CASES"
    assert CASES[type_id][0][0] == {}, "the first case must use the default params"


def test_samples_name_only_registered_types():
    assert set(CASES) <= set(TYPE_IDS)


@pytest.mark.parametrize("type_id", TYPE_IDS)
def test_defaults_are_valid(type_id):
    node_type = catalog().get(type_id)
    for param in node_type.params:
        assert param.check(param.default) == param.default
        if param.kind == "choice":
            assert len(param.choices) >= 2
        if param.kind in ("int", "float"):
            assert param.minimum is not None and param.maximum is not None, f"{param.name} needs a range"
    canonical, errors = node_type.check_params(node_type.default_params())
    assert errors == []
    assert canonical == node_type.default_params()
    assert ("trainable" in node_type.param_index) == node_type.has_weights


def sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.!?])\s+", text.strip()) if len(s.split()) >= 3]


@pytest.mark.parametrize("type_id", TYPE_IDS)
def test_help_teaches(type_id):
    node_type = catalog().get(type_id)
    assert len(sentences(node_type.help)) >= 3, node_type.help
    assert len(node_type.summary) >= 20 and not node_type.summary.endswith(("e.g.", "i.e.")), node_type.summary
    for param in node_type.params:
        assert len(param.description) >= 15 and param.description.endswith((".", ")")), param.name
    for port in node_type.inputs + node_type.outputs:
        assert port.description, f"port {port.name} needs a description"


@pytest.mark.parametrize("type_id", TYPE_IDS)
def test_builder_matches_role(type_id):
    node_type: NodeType = catalog().get(type_id)
    assert (node_type.build is None) == (node_type.role in ("source", "optimizer"))
    if node_type.role == "loss":
        assert "weight" in node_type.param_index
        assert [p.name for p in node_type.outputs] == ["loss"]


@pytest.mark.parametrize(("type_id", "case"), CASE_IDS, ids=[f"{t}-{i}" for t, i in CASE_IDS])
def test_inferred_shapes_match_torch(type_id, case):
    node_type: NodeType = catalog().get(type_id)
    overrides, inputs = CASES[type_id][case]
    params, errors = node_type.check_params(overrides)
    assert errors == []
    outputs = node_type.infer(params, inputs)
    assert set(outputs) == {p.name for p in node_type.outputs}
    assert all(isinstance(spec, TensorSpec) for spec in outputs.values())
    if node_type.build is None:
        return
    if node_type.role == "loss":
        assert outputs["loss"] == SCALAR

    torch.manual_seed(case)
    module = node_type.build(params, inputs)
    assert isinstance(module, torch.nn.Module)
    if case == 0:  # default params: weights exactly when the type says so
        assert any(True for _ in module.parameters()) == node_type.has_weights
    args = [  # a multiple port's list: one argument per connected edge, in order
        sample(spec)
        for port in node_type.inputs
        if port.name in inputs
        for spec in (inputs[port.name] if isinstance(inputs[port.name], list) else [inputs[port.name]])
    ]
    for mode in ("train", "eval"):
        module.train(mode == "train")
        result = module(*args)
        results = result if len(outputs) > 1 else (result,)
        assert len(results) == len(node_type.outputs)  # a tuple in output-port order
        for out, port in zip(results, node_type.outputs, strict=True):
            spec = outputs[port.name]
            if spec.batched and len(outputs) > 1 and out.shape[0] != BATCH:
                assert out.shape[0] == 2 * BATCH  # real + fake rows stacked along the batch
                out = out[:BATCH]
            assert_matches(out, spec)
        out = results[0]

    floats_in = [a for a in args if a.is_floating_point()]
    if type_id in NO_GRADIENT:
        assert not out.requires_grad
    elif floats_in:
        out.float().sum().backward()
        assert all(a.grad is not None for a in floats_in), "a gradient must reach every float input"


# -- import mappings, round trips through exported files, parameter counts -------------------------


@pytest.mark.parametrize("type_id", TYPE_IDS)
def test_import_mapping_or_its_absence_is_explicit(type_id):
    node_type = catalog().get(type_id)
    for field, mapping in (("pytorch_import", node_type.pytorch_import), ("onnx_import", node_type.onnx_import)):
        assert mapping is not None, f"set {field} on {type_id}: its mapping, or NoImport('why there is none')"
        if isinstance(mapping, NoImport):
            assert len(mapping.reason.split()) >= 5, f"{type_id}.{field}: say why there is no mapping"
    pytorch = node_type.pytorch_import
    if isinstance(pytorch, PyTorchImport):
        assert pytorch.modules or pytorch.functions, "a PyTorchImport names module classes or traced calls"
        for name in pytorch.modules:
            assert isinstance(getattr(torch.nn, name, None), type), f"torch.nn has no class {name}"
    if isinstance(node_type.onnx_import, OnnxImport):
        assert node_type.onnx_import.ops, "an OnnxImport names the operators it maps"


def test_no_two_types_claim_the_same_module_or_call():
    index = catalog().import_index()  # raises when two entries claim one name
    assert index.modules["Linear"].type_id == "layers.Linear"
    assert index.functions["relu"].type_id == "activations.ReLU"
    assert {t.type_id for t in index.onnx_ops["Conv"]} == {"layers.Conv1d", "layers.Conv2d"}


def one_input_cases(type_id: str, float_only: bool = True) -> list[int]:
    """The cases whose inputs all have one spec, so a single model input can feed every port."""
    found = []
    for i, (_, inputs) in enumerate(CASES[type_id]):
        specs = list(inputs.values())
        if specs and all(s == specs[0] for s in specs) and specs[0].dims and not (float_only and specs[0].is_labels):
            found.append(i)
    return found


def tiny_graph(type_id: str, case: int) -> tuple[Graph, TensorSpec]:
    """Input -> the node (every connected port fed by the input) ; the node is the output."""
    overrides, inputs = CASES[type_id][case]
    spec = next(iter(inputs.values()))
    graph = Graph(name="tiny")
    params = {"shape": list(spec.dims)}
    if spec.is_labels:
        params |= {"dtype": "long", "num_classes": spec.num_classes}
    graph.add_node("data.Input", params, node_id="x")
    graph.add_node(type_id, overrides, node_id="node")
    for port in inputs:
        graph.connect("x", "out", "node", port)
    return graph, spec


def generated_module(graph: Graph) -> tuple[torch.nn.Module, torch.nn.Module]:
    """The `python` export's module (our own generated code, run here) with the compiled graph's weights."""
    part = model_part(graph, "node")
    namespace: dict = {"__name__": "generated"}
    exec(compile(python_source(part, "w.safetensors"), "generated.py", "exec"), namespace)
    model = namespace[class_name(graph.name)]()
    model.load_state_dict(part.program.state_dict())
    return model.eval(), part.program


def has_mapping(type_id: str, field: str) -> bool:
    return isinstance(getattr(catalog().get(type_id), field), (PyTorchImport, OnnxImport))


OPS = [t.type_id for t in catalog() if t.role == "op"]
PYTHON_ROUND_TRIPS = [
    (t, i) for t in OPS if has_mapping(t, "pytorch_import") for i in one_input_cases(t, float_only=False)
]
ONNX_ROUND_TRIPS = [t for t in OPS if has_mapping(t, "onnx_import")]
COUNTED = [t for t in OPS if catalog().get(t).has_weights]


@pytest.mark.parametrize("type_id", [t for t in OPS if has_mapping(t, "pytorch_import")])
def test_an_importable_type_has_a_round_trip_case(type_id):
    assert one_input_cases(type_id, float_only=False), f"add a CASES entry for {type_id} whose inputs share one spec"


@pytest.mark.parametrize(("type_id", "case"), PYTHON_ROUND_TRIPS, ids=[f"{t}-{i}" for t, i in PYTHON_ROUND_TRIPS])
def test_generated_python_imports_back_as_the_same_node(type_id, case):
    torch.manual_seed(case)
    graph, spec = tiny_graph(type_id, case)
    model, program = generated_module(graph)
    # ids for an Embedding: the importer feeds ids too, as the model's first layer tells it
    x = torch.randint(0, spec.num_classes, (BATCH, *spec.dims)) if spec.is_labels else torch.randn(BATCH, *spec.dims)
    with torch.no_grad():
        torch.testing.assert_close(model(x), program(x))
    result = import_module(model, spec.dims)  # refuses a graph whose outputs differ from the model's
    imported = [n for n in result.graph.nodes.values() if n.type_id != "data.Input"]
    assert [n.type_id for n in imported] == [type_id]
    expected, _ = catalog().get(type_id).check_params(CASES[type_id][case][0])
    assert imported[0].params == expected


def single_op_file(path, op_type: str, dims: tuple[int, ...]) -> None:
    """An ONNX file holding one parameterless operator, for an op torch's exporter writes differently."""
    from onnx import TensorProto, helper, save

    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["B", *dims])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["B", *dims])
    graph = helper.make_graph([helper.make_node(op_type, ["x"], ["y"])], "tiny", [x], [y])
    save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 20)]), str(path))


@pytest.mark.slow  # about a second per type: torch's ONNX exporter and onnxruntime
@pytest.mark.parametrize("type_id", ONNX_ROUND_TRIPS)
def test_onnx_export_imports_back_with_the_same_outputs(type_id, tmp_path):
    onnx = pytest.importorskip("onnx")
    pytest.importorskip("onnxscript")
    graph, spec = tiny_graph(type_id, one_input_cases(type_id, float_only=False)[0])
    part = model_part(graph, "node")
    path = tmp_path / "tiny.onnx"
    exported = export_model(graph, path, "onnx")
    assert exported.ok, exported.message
    ops = catalog().get(type_id).onnx_import.ops
    if not {n.op_type for n in onnx.load(str(path)).graph.node} & set(ops):
        # torch decomposed it (GELU on a traced graph becomes Div, Erf, Mul): check the op itself
        single_op_file(path, ops[0], spec.dims)
    result = import_onnx(path)
    assert type_id in {n.type_id for n in result.graph.nodes.values()}
    imported = compiled_with_weights(result.graph, result.output, result.weights)
    x = torch.randint(0, spec.num_classes, (BATCH, *spec.dims)) if spec.is_labels else torch.randn(BATCH, *spec.dims)
    with torch.no_grad():
        torch.testing.assert_close(imported(x), part.program(x), atol=1e-5, rtol=1e-4)


@pytest.mark.parametrize("type_id", COUNTED)
def test_parameter_count_is_torchs(type_id):
    cases = one_input_cases(type_id, float_only=False)
    assert cases, f"add a CASES entry for {type_id} whose inputs all share one spec"
    for case in cases:
        graph, _ = tiny_graph(type_id, case)
        model, _ = generated_module(graph)
        assert count_parameters(graph)["node"].total == sum(p.numel() for p in model.parameters())


@pytest.mark.parametrize("type_id", [t for t in OPS if has_mapping(t, "pytorch_import")])
def test_the_builder_builds_the_module_class_the_type_imports(type_id):
    """layers.Conv1d builds an nn.Conv1d, layers.Conv2d an nn.Conv2d: what a type imports is what it builds."""
    node_type = catalog().get(type_id)
    modules = node_type.pytorch_import.modules
    if not modules:
        return  # imported from calls only (merge.Add from a + b): built as our own module
    overrides, inputs = CASES[type_id][0]
    module = node_type.build(node_type.check_params(overrides)[0], inputs)
    assert isinstance(module, tuple(getattr(torch.nn, name) for name in modules)), type(module).__name__


def test_the_convolution_builder_follows_the_dimensionality():
    from engine.nodes.layers.conv import _conv_build

    params = catalog().get("layers.Conv2d").default_params()
    for spatial, name in ((1, "Conv1d"), (2, "Conv2d"), (3, "Conv3d")):
        module = _conv_build(spatial)(params, {"in": floats(2, *([6] * spatial))})
        assert type(module) is getattr(torch.nn, name)
