"""Shape rules of the node types added for real models (grouped convolutions, padding, variadic
Concat, attention, ...): each refusal says what came in, what was expected, and the fix."""

from __future__ import annotations

import pytest

from engine.registry import ShapeError, catalog, floats


def infer(type_id: str, inputs: dict, **params):
    node_type = catalog().get(type_id)
    canonical, errors = node_type.check_params(params)
    assert errors == [], errors
    return node_type.infer(canonical, inputs)


def shape_error(type_id: str, inputs: dict, **params) -> ShapeError:
    with pytest.raises(ShapeError) as info:
        infer(type_id, inputs, **params)
    return info.value


def test_groups_must_divide_both_channel_counts_and_the_hint_names_depthwise():
    error = shape_error("layers.Conv2d", {"in": floats(6, 8, 8)}, groups=4, out_channels=16)
    assert "6 channels" in str(error) and "groups 4 must divide both" in str(error)
    assert "set groups to 6 for a depthwise convolution" in error.hint
    error = shape_error("layers.Conv2d", {"in": floats(6, 8, 8)}, groups=6, out_channels=16)
    assert "out_channels to a multiple of 6" in error.hint
    assert infer("layers.Conv2d", {"in": floats(6, 8, 8)}, groups=6, out_channels=12)["out"] == floats(12, 6, 6)


def test_reflection_needs_a_side_longer_than_the_padding_and_a_signal_has_no_top():
    error = shape_error("layers.Pad", {"in": floats(3, 4, 4)}, mode="reflect", left=4)
    assert "needs a width above that, it is 4" in str(error) and "at most 3" in error.hint
    error = shape_error("layers.Pad", {"in": floats(3, 10)})  # defaults pad every side by 1
    assert "has no height" in str(error) and "set top and bottom to 0" in error.hint
    assert infer("layers.Pad", {"in": floats(3, 4, 4)}, left=2, right=0)["out"] == floats(3, 6, 6)


def test_channel_shuffle_needs_equal_groups():
    error = shape_error("layers.ChannelShuffle", {"in": floats(6, 4, 4)}, groups=4)
    assert "6 channels" in str(error) and "divides 6" in error.hint


def test_heads_must_divide_the_features_and_attention_wants_a_sequence():
    error = shape_error("layers.TransformerEncoderLayer", {"in": floats(5, 6)}, num_heads=4)
    assert "6 features per token" in str(error) and "divides 6" in error.hint
    error = shape_error("layers.SelfAttention", {"in": floats(16)})
    assert "[B, T, features]" in str(error) and "Embedding" in error.hint
