"""Shape checks shared by node types; each raises ShapeError with a message that teaches."""

from __future__ import annotations

from engine.registry import ShapeError, TensorSpec
from engine.registry.fixes import ShapeFix


def require_float(spec: TensorSpec, port: str = "input") -> None:
    if spec.is_labels:
        raise ShapeError(
            f"gets class labels {spec.bracket()} on `{port}` but needs float features",
            "labels are whole-number class ids; feed them to a loss's target, or to an Embedding",
        )


def require_batched(spec: TensorSpec, port: str = "input") -> None:
    if not spec.batched:
        raise ShapeError(
            f"gets a single value on `{port}` but needs a batch of samples [B, ...]",
            "connect a data source or a layer output, not a loss",
        )


def require_rank(spec: TensorSpec, rank: int, layout: str, hint: str = "", fix: ShapeFix | None = None) -> None:
    """Fail unless the tensor has `rank` dims including the batch (`layout` like "[B, C, H, W]")."""
    require_batched(spec)
    require_float(spec)
    if spec.rank != rank:
        raise ShapeError(f"gets {spec.bracket()} but needs {layout}", hint, fix)


def flat_features(spec: TensorSpec) -> str:
    """`8 x 4 x 4 = 128`: the arithmetic behind flattening a tensor."""
    if len(spec.dims) <= 1:
        return str(spec.features)
    return " x ".join(str(d) for d in spec.dims) + f" = {spec.features}"


def axis_of(spec: TensorSpec, dim: int, param: str = "dim") -> int:
    """The torch dim for `dim` counted after the batch (0 = first axis after B, -1 = last).

    Raises ShapeError when the tensor has no such axis.
    """
    count = len(spec.dims)
    if not -count <= dim < count:
        valid = f"0 to {count - 1}, or -1 to -{count}" if count else "none: it has no axis after B"
        raise ShapeError(
            f"gets {spec.bracket()}, which has {count} axes after the batch, but {param} is {dim}",
            f"{param} counts the axes after B: valid values are {valid}",
        )
    return dim + 1 if dim >= 0 else dim


def window_out(size: int, kernel: int, stride: int, padding: int, dilation: int = 1) -> int:
    """Output length of a convolution or pooling window along one axis (floor division)."""
    return (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1


def window_arithmetic(size: int, kernel: int, stride: int, padding: int, dilation: int = 1) -> str:
    """`floor((28 + 2 x 0 - 5) / 2) + 1 = 12`: how a window op computes one output size."""
    reach = f"{dilation} x ({kernel} - 1) - 1" if dilation != 1 else f"{kernel}"
    out = window_out(size, kernel, stride, padding, dilation)
    return f"floor(({size} + 2 x {padding} - {reach}) / {stride}) + 1 = {out}"


def check_window(
    spec: TensorSpec, axes: tuple[int, ...], kernel: int, stride: int, padding: int, dilation: int = 1
) -> list[int]:
    """Output sizes of a window op over the spatial `axes` of `spec`, or ShapeError if one is < 1."""
    out = []
    for axis in axes:
        size = spec.dims[axis]
        length = window_out(size, kernel, stride, padding, dilation)
        if length < 1:
            raise ShapeError(
                f"gets {spec.bracket()}: a window of {kernel} does not fit in {size} "
                f"({window_arithmetic(size, kernel, stride, padding, dilation)})",
                "use a smaller kernel, more padding, or remove an earlier pooling layer",
            )
        out.append(length)
    return out


def check_pool_padding(kernel: int, padding: int) -> None:
    """Pooling pads with values that never win, so torch allows at most half a window of it."""
    if padding > kernel // 2:
        raise ShapeError(
            f"has padding {padding} but a pooling window of {kernel} allows at most {kernel // 2} "
            f"(half the kernel, rounded down)",
            f"set padding to {kernel // 2} or less, or use a larger kernel_size",
        )


def transpose_out(size: int, kernel: int, stride: int, padding: int, output_padding: int = 0, dilation: int = 1) -> int:
    """Output length of a transposed convolution along one axis."""
    return (size - 1) * stride - 2 * padding + dilation * (kernel - 1) + output_padding + 1


def transpose_arithmetic(
    size: int, kernel: int, stride: int, padding: int, output_padding: int = 0, dilation: int = 1
) -> str:
    """`(4 - 1) x 2 - 2 x 0 + (2 - 1) + 0 + 1 = 8`: how a transposed convolution grows an axis."""
    reach = f"{dilation} x ({kernel} - 1)" if dilation != 1 else f"({kernel} - 1)"
    out = transpose_out(size, kernel, stride, padding, output_padding, dilation)
    return f"({size} - 1) x {stride} - 2 x {padding} + {reach} + {output_padding} + 1 = {out}"
