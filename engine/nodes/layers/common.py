"""Ports and parameters shared by the layer node types."""

from __future__ import annotations

from math import isqrt

from engine.nodes.checks import (
    require_batched,
    require_float,
)
from engine.registry import Param, Port, ShapeError, TensorSpec
from engine.registry.fixes import InsertNode

IN = (Port("in", "input tensor"),)
OUT = (Port("out", "output tensor"),)
SIZE_MAX = 1_000_000


def out_channels_param(default: int = 16) -> Param:
    return Param(
        "out_channels", "int", default, "Number of filters, i.e. channels of the output.", minimum=1, maximum=65536
    )


def kernel_param(default: int = 3) -> Param:
    return Param("kernel_size", "int", default, "Width of the sliding window (square in 2-D).", minimum=1, maximum=255)


def stride_param(default: int = 1) -> Param:
    return Param("stride", "int", default, "Step between window positions; 2 halves the size.", minimum=1, maximum=255)


def padding_param(default: int = 0) -> Param:
    return Param(
        "padding",
        "int",
        default,
        "Zeros added on each border; kernel_size // 2 keeps the size at stride 1.",
        minimum=0,
        maximum=255,
    )


DILATION = Param(
    "dilation",
    "int",
    1,
    "Spacing between window taps; > 1 sees further with the same weights.",
    minimum=1,
    maximum=64,
    advanced=True,
)
BIAS = Param("bias", "bool", True, "Add a learned bias to each output.")


def reshape_fix(shape: list[int]) -> InsertNode:
    return InsertNode("layers.Reshape", params={"shape": shape})


def require_spatial(x: TensorSpec, spatial: int) -> None:
    """Fail unless x is [B, C, L] (spatial=1) or [B, C, H, W] (spatial=2), with a fitting hint."""
    require_batched(x)
    require_float(x)
    if x.rank == spatial + 2:
        return
    layout = "[B, channels, length]" if spatial == 1 else "[B, channels, height, width]"
    hint, fix = "reshape it to [" + layout.removeprefix("[B, "), None  # the sample's shape: no batch axis
    if spatial == 2 and x.rank == 2 and isqrt(x.features) ** 2 == x.features:
        side = isqrt(x.features)
        hint = f"insert a Reshape to [1, {side}, {side}] (one channel, {side} x {side} = {x.features} pixels)"
        fix = reshape_fix([1, side, side])
    elif spatial == 2 and x.rank == 3:
        hint = f"insert a Reshape to [1, {x.dims[0]}, {x.dims[1]}] to add a channel axis"
        fix = reshape_fix([1, *x.dims])
    elif spatial == 1 and x.rank == 2:
        hint = f"insert a Reshape to [1, {x.dims[0]}] to read the features as a one-channel signal"
        fix = reshape_fix([1, x.dims[0]])
    elif spatial == 1 and x.rank == 4:
        hint = "this is an image: use the 2-D version of this layer"
    raise ShapeError(f"gets {x.bracket()} but needs {layout}", hint, fix)


def spatial_axes(spatial: int) -> tuple[int, ...]:
    return tuple(range(1, spatial + 1))
