"""Shape rules teach: messages say what was received and expected, show the arithmetic, and hint."""

from __future__ import annotations

import itertools
import math
import re

import pytest

from engine.nodes.checks import transpose_arithmetic, transpose_out, window_arithmetic, window_out
from engine.registry import SCALAR, ShapeError, TensorSpec, catalog, floats, labels
from engine.registry.fixes import InsertNode, SetUpstreamParam


def infer(type_id: str, inputs: dict, **params):
    node_type = catalog().get(type_id)
    canonical, errors = node_type.check_params(params)
    assert errors == []
    return node_type.infer(canonical, inputs)


def shape_error(type_id: str, inputs: dict, **params) -> ShapeError:
    with pytest.raises(ShapeError) as info:
        infer(type_id, inputs, **params)
    return info.value


def evaluate(arithmetic: str) -> tuple[int, int]:
    """Both sides of `floor((9 + 2 x 1 - 3) / 2) + 1 = 5`, the left one computed."""
    left, right = arithmetic.rsplit(" = ", 1)
    expression = left.replace(" x ", " * ")
    assert re.fullmatch(r"[\d\s()+\-*/floor]+", expression), expression
    return eval(expression, {"__builtins__": {}, "floor": math.floor}), int(right)


def test_window_arithmetic_is_the_formula_it_claims():
    for size, kernel, stride, padding, dilation in itertools.product(
        (1, 5, 28), (1, 2, 3, 5), (1, 2, 3), (0, 1, 2), (1, 2)
    ):
        computed, shown = evaluate(window_arithmetic(size, kernel, stride, padding, dilation))
        assert computed == shown == window_out(size, kernel, stride, padding, dilation)


def test_transpose_arithmetic_is_the_formula_it_claims():
    for size, kernel, stride, padding, dilation in itertools.product((1, 4, 7), (1, 2, 4), (1, 2), (0, 1), (1, 3)):
        computed, shown = evaluate(transpose_arithmetic(size, kernel, stride, padding, 0, dilation))
        assert computed == shown == transpose_out(size, kernel, stride, padding, 0, dilation)


def test_linear_after_an_image_names_the_flatten_and_its_arithmetic():
    error = shape_error("layers.Linear", {"in": floats(8, 4, 4)})
    assert "gets [B, 8, 4, 4]" in error.message and "[B, features]" in error.message
    assert error.hint == "insert Flatten (8 x 4 x 4 = 128 features)"
    assert error.fix == InsertNode("layers.Flatten")


def test_conv_that_does_not_fit_shows_the_arithmetic():
    error = shape_error("layers.Conv2d", {"in": floats(1, 4, 4)}, kernel_size=5)
    assert "gets [B, 1, 4, 4]" in error.message
    assert "floor((4 + 2 x 0 - 5) / 1) + 1 = 0" in error.message
    assert "smaller kernel" in error.hint


def test_conv_output_follows_the_formula():
    out = infer("layers.Conv2d", {"in": floats(1, 28, 28)}, out_channels=6, kernel_size=5, stride=2)["out"]
    assert out == floats(6, 12, 12)  # floor((28 - 5) / 2) + 1 = 12
    out = infer("layers.Conv1d", {"in": floats(2, 20)}, kernel_size=3, dilation=3, padding=1)["out"]
    assert out == floats(16, 16)  # floor((20 + 2 - 3 x 2 - 1) / 1) + 1 = 16


def test_conv2d_on_flat_pixels_offers_a_reshape_to_a_square_image():
    error = shape_error("layers.Conv2d", {"in": floats(784)})
    assert "needs [B, channels, height, width]" in error.message
    assert "Reshape to [1, 28, 28]" in error.hint
    assert error.fix == InsertNode("layers.Reshape", params={"shape": [1, 28, 28]})
    assert "Reshape to [1, 8, 8]" in shape_error("layers.Conv2d", {"in": floats(8, 8)}).hint
    assert "2-D version" in shape_error("layers.Conv1d", {"in": floats(1, 8, 8)}).hint


def test_conv_transpose_grows_the_image_and_checks_output_padding():
    out = infer("layers.ConvTranspose2d", {"in": floats(4, 7, 7)}, out_channels=2, kernel_size=4, padding=1)["out"]
    assert out == floats(2, 14, 14)
    error = shape_error("layers.ConvTranspose2d", {"in": floats(4, 7, 7)}, output_padding=2)
    assert "output_padding 2" in error.message and "stride (2)" in error.message


def test_pool_padding_is_limited_to_half_the_window():
    error = shape_error("layers.MaxPool2d", {"in": floats(1, 9, 9)}, kernel_size=3, padding=2)
    assert "padding 2" in error.message and "at most 1" in error.message


def test_pooling_too_often_shows_where_it_runs_out():
    error = shape_error("layers.MaxPool2d", {"in": floats(8, 1, 1)})
    assert "floor((1 + 2 x 0 - 2) / 2) + 1 = 0" in error.message


def test_reshape_checks_the_product():
    error = shape_error("layers.Reshape", {"in": floats(8, 8)}, shape=[1, 28, 28])
    assert "[B, 8, 8] (8 x 8 = 64 values per sample)" in error.message
    assert "1 x 28 x 28 = 784" in error.message and "multiply to 64" in error.hint
    error = shape_error("layers.Reshape", {"in": floats(10)}, shape=[-1, 3])
    assert "10 / 3 is not a whole number" in error.message
    assert "only one axis" in shape_error("layers.Reshape", {"in": floats(10)}, shape=[-1, -1]).message
    assert infer("layers.Reshape", {"in": floats(2, 6)}, shape=[3, -1])["out"] == floats(3, 4)


def test_class_count_mismatch_names_both_counts_and_the_fix():
    for loss in ("losses.CrossEntropy", "losses.Hinge", "losses.KLDivergence"):
        error = shape_error(loss, {"prediction": floats(5), "target": labels(10)})
        assert error.message == "gets 5 scores per sample but the target has 10 classes"
        assert error.fix == SetUpstreamParam("prediction", "out_features", 10) and "out_features" in error.hint


def test_cross_entropy_needs_labels_and_flat_scores():
    assert (
        "needs class labels"
        in shape_error("losses.CrossEntropy", {"prediction": floats(3), "target": floats(3)}).message
    )
    assert (
        "[B, classes]" in shape_error("losses.CrossEntropy", {"prediction": floats(3, 4), "target": labels(3)}).message
    )


@pytest.mark.parametrize("loss", ["losses.MSE", "losses.L1", "losses.Huber"])
def test_regression_losses_refuse_class_labels(loss):
    name = loss.split(".")[1]
    error = shape_error(loss, {"prediction": floats(10), "target": labels(10)})
    assert "class labels [B]" in error.message
    assert error.hint.startswith(f"class labels into {name}: use CrossEntropy")


def test_regression_prediction_and_target_must_match():
    error = shape_error("losses.MSE", {"prediction": floats(1), "target": TensorSpec(())})
    assert "prediction [B, 1] and target [B]" in error.message and "[B, B]" in error.message
    assert error.fix == InsertNode("layers.Reshape", port="target", params={"shape": [1]})
    error = shape_error("losses.Huber", {"prediction": floats(4), "target": floats(2)})
    assert error.hint == "set out_features of the last Linear layer to 2"


def test_bce_takes_two_class_labels_only_with_one_score():
    assert infer("losses.BCEWithLogits", {"prediction": floats(1), "target": labels(2)}) == {"loss": SCALAR}
    assert "CrossEntropy" in shape_error("losses.BCEWithLogits", {"prediction": floats(1), "target": labels(3)}).hint
    assert "[B, 1]" in shape_error("losses.BCEWithLogits", {"prediction": floats(2), "target": labels(2)}).message


def test_recurrent_layers_explain_sequences_and_dropout():
    error = shape_error("layers.LSTM", {"in": floats(32)})
    assert "needs a sequence [B, time steps, features]" in error.message
    assert "Reshape to [32, 1]" in error.hint and error.fix == InsertNode("layers.Reshape", params={"shape": [32, 1]})
    error = shape_error("layers.GRU", {"in": floats(4, 6)}, dropout=0.3)
    assert "num_layers is 1" in error.message
    assert infer("layers.GRU", {"in": floats(9, 4)}, hidden_size=5, bidirectional=True)["out"] == floats(10)
    assert infer("layers.RNN", {"in": floats(9, 4)}, hidden_size=5, output="all_steps")["out"] == floats(9, 5)


def test_embedding_takes_ids_and_knows_their_count():
    out = infer("layers.Embedding", {"in": TensorSpec((7,), "long", True, 50)}, embedding_dim=8)["out"]
    assert out == floats(7, 8)
    assert "use Linear" in shape_error("layers.Embedding", {"in": floats(7)}).hint
    assert "num_classes" in shape_error("layers.Embedding", {"in": TensorSpec((7,), "long")}).hint


def test_concat_names_the_axis_that_differs():
    out = infer("merge.Concat", {"a": floats(16, 8, 8), "b": floats(8, 8, 8)})["out"]
    assert out == floats(24, 8, 8)
    error = shape_error("merge.Concat", {"a": floats(16, 8, 8), "b": floats(8, 4, 4)})
    assert "axis 1 (after B) is 8 vs 4" in error.message
    assert infer("merge.Concat", {"a": floats(2, 3), "b": floats(2, 5), "c": floats(2, 1)}, dim=-1)["out"] == floats(
        2, 9
    )


def test_axes_are_counted_after_the_batch():
    error = shape_error("activations.Softmax", {"in": floats(10)}, dim=1)
    assert "has 1 axes after the batch, but dim is 1" in error.message
    assert "0 to 0, or -1 to -1" in error.hint


def test_elementwise_merges_need_equal_shapes():
    error = shape_error("merge.Multiply", {"a": floats(3), "b": floats(4)})
    assert error.message == "gets a = [B, 3] and b = [B, 4], but both inputs must have the same shape"


def test_constant_like_gives_one_value_per_labelled_sample():
    assert infer("merge.ConstantLike", {"like": labels(10)})["out"] == floats(1)
    assert infer("merge.ConstantLike", {"like": floats(3, 2)})["out"] == floats(3, 2)


def test_upsample_bilinear_needs_images():
    assert infer("layers.Upsample", {"in": floats(3, 4, 5)}, scale_factor=3)["out"] == floats(3, 12, 15)
    assert "use mode nearest" in shape_error("layers.Upsample", {"in": floats(3, 4)}, mode="bilinear").hint


def test_batch_norm_points_to_the_right_variant():
    assert "BatchNorm2d" in shape_error("layers.BatchNorm1d", {"in": floats(3, 4, 4)}).hint
    assert "BatchNorm1d" in shape_error("layers.BatchNorm2d", {"in": floats(3)}).hint


def test_momentum_with_nesterov_needs_momentum():
    node_type = catalog().get("optimizers.Momentum")
    params, _ = node_type.check_params({"momentum": 0.0, "nesterov": True})
    with pytest.raises(ShapeError, match="nesterov"):
        node_type.infer(params, {"losses": [SCALAR]})
    with pytest.raises(ShapeError, match="needs a loss"):
        node_type.infer(node_type.default_params(), {"losses": [floats(3)]})


@pytest.mark.parametrize(
    ("type_id", "expected"),
    [
        ("layers.Conv1d", "reshape it to [channels, length]"),
        ("layers.Conv2d", "reshape it to [channels, height, width]"),
    ],
)
def test_wrong_rank_hint_names_the_sample_shape(type_id, expected):
    error = shape_error(type_id, {"in": floats(1, 2, 3, 4)})
    assert error.hint == expected
