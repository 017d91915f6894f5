import pytest

from engine.registry import (
    NodeType,
    Param,
    ParamError,
    Port,
    Registry,
    RegistryError,
    TensorSpec,
    catalog,
    floats,
    labels,
)


def toy(type_id: str, legacy: tuple[str, ...] = ()) -> NodeType:
    return NodeType(
        type_id=type_id,
        title="Toy",
        category="layers",
        help="A toy. It does nothing. Really.",
        inputs=(Port("in"),),
        outputs=(Port("out"),),
        params=(),
        infer=lambda p, i: {"out": i["in"]},
        legacy_ids=legacy,
    )


def test_duplicates_and_legacy_ids_are_refused():
    registry = Registry()
    registry.register(toy("layers.Toy", legacy=("layers.OldToy",)))
    with pytest.raises(RegistryError, match="already registered"):
        registry.register(toy("layers.Toy"))
    with pytest.raises(RegistryError, match="'layers.OldToy' is already registered"):
        registry.register(toy("layers.Other", legacy=("layers.OldToy",)))
    assert registry.resolve("layers.OldToy") == "layers.Toy"
    assert registry.get("layers.OldToy").type_id == "layers.Toy"
    with pytest.raises(RegistryError, match="unknown node type 'layers.Nope'"):
        registry.get("layers.Nope")


def test_catalog_covers_the_issue_list():
    wanted = """data.Dataset data.Input data.Noise layers.Linear layers.Conv1d layers.Conv2d layers.ConvTranspose2d
    layers.MaxPool1d layers.MaxPool2d layers.AvgPool2d layers.AdaptiveAvgPool2d layers.Flatten layers.Reshape
    layers.Dropout layers.BatchNorm1d layers.BatchNorm2d layers.LayerNorm layers.Embedding layers.RNN layers.LSTM
    layers.GRU layers.Upsample activations.ReLU activations.LeakyReLU activations.Sigmoid activations.Tanh
    activations.Softmax activations.LogSoftmax activations.GELU activations.ELU merge.Add merge.Concat
    merge.Multiply merge.Detach losses.MSE losses.CrossEntropy losses.BCEWithLogits losses.Hinge losses.Huber
    losses.KLDivergence losses.L1 optimizers.GradientDescent optimizers.SGD optimizers.Momentum optimizers.Adam
    optimizers.AdamW optimizers.RMSprop optimizers.Adagrad""".split()
    registry = catalog()
    assert [t for t in wanted if t not in registry] == []


def test_every_weighted_layer_has_a_trainable_flag_and_optimizers_have_their_common_params():
    for node_type in catalog():
        if node_type.has_weights:
            assert node_type.param_index["trainable"].default is True
        if node_type.role == "optimizer":
            assert {"lr", "weight_decay", "l1", "scope"} <= set(node_type.param_index)


def test_input_sizes_are_never_parameters():
    for node_type in catalog():
        assert not {"in_features", "in_channels", "input_size", "num_features", "num_embeddings"} & set(
            node_type.param_index
        ), node_type.type_id


@pytest.mark.parametrize(
    ("param", "value", "expected"),
    [
        (Param("n", "int", 1, "n", minimum=1, maximum=5), 3.0, 3),
        (Param("x", "float", 1.0, "x"), 2, 2.0),
        (Param("c", "choice", "a", "c", choices=("a", "b")), "b", "b"),
        (Param("s", "ints", [1], "s", minimum=1, min_length=1), (2, 3), [2, 3]),
        (Param("ids", "node_ids", [], "ids"), ("fc1",), ["fc1"]),
    ],
)
def test_params_canonicalize_good_values(param, value, expected):
    assert param.check(value) == expected


@pytest.mark.parametrize(
    ("param", "value", "message"),
    [
        (Param("n", "int", 1, "n", minimum=1, maximum=5), 0, "n: must be at least 1, received 0"),
        (Param("n", "int", 1, "n", minimum=1, maximum=5), 6, "n: must be at most 5, received 6"),
        (Param("n", "int", 1, "n"), True, "expected a whole number, received True"),
        (Param("n", "int", 1, "n"), 1.5, "expected a whole number, received 1.5"),
        (Param("x", "float", 1.0, "x"), float("nan"), "expected a finite number"),
        (Param("x", "float", 1.0, "x"), "1", "expected a number, received '1'"),
        (Param("b", "bool", True, "b"), 1, "expected true or false, received 1"),
        (Param("c", "choice", "a", "c", choices=("a", "b")), "z", "expected one of a, b; received 'z'"),
        (Param("s", "ints", [1], "s", minimum=1, min_length=1), [], "expected at least 1 entries"),
        (Param("s", "ints", [1], "s", minimum=1), [0], "must be at least 1, received 0"),
    ],
)
def test_params_refuse_bad_values_with_a_message(param, value, message):
    with pytest.raises(ParamError) as info:
        param.check(value)
    assert message in str(info.value)


def test_parse_text_reads_what_a_user_types():
    assert Param("s", "ints", [1], "s").parse_text("1 x 28 x 28") == [1, 28, 28]
    assert Param("b", "bool", False, "b").parse_text("yes") is True
    assert Param("f", "float", 0.0, "f").parse_text(" 1e-3 ") == 0.001
    with pytest.raises(ParamError, match="could not read 'abc' as int"):
        Param("n", "int", 1, "n").parse_text("abc")


def test_unknown_parameters_are_errors_not_dropped():
    linear = catalog().get("layers.Linear")
    params, errors = linear.check_params({"out_features": 3, "units": 4})
    assert params == {"out_features": 3, "bias": True, "init": "default", "init_std": 0.01, "trainable": True}
    assert [e.param for e in errors] == ["units"]


def test_tensor_spec_text():
    assert str(floats(16, 4, 4)) == "B x 16 x 4 x 4"
    assert floats(8, 4, 4).bracket() == "[B, 8, 4, 4]"
    assert str(labels(10)) == "B labels (10 classes)"
    assert str(TensorSpec((), batched=False)) == "scalar"
    assert floats(8, 4, 4).features == 128
