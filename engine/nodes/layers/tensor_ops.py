"""Tensor operations without weights that models write inline: scale or shift by a constant,
swap two axes, average over axes, take a slice of one axis."""

from __future__ import annotations

from engine.nodes.checks import axis_of, require_batched, require_float
from engine.nodes.layers.common import IN, OUT
from engine.nodes.mapping import after_batch
from engine.registry import (
    LayerCode,
    NodeType,
    OnnxImport,
    OnnxMapping,
    Param,
    PyTorchImport,
    ShapeError,
    TensorSpec,
    Unmapped,
    register,
)

NUMBER = (int, float)


def _float_input(params, inputs):
    x = inputs["in"]
    require_batched(x)
    require_float(x)
    return {"out": x}


def _number(value) -> bool:
    return isinstance(value, NUMBER) and not isinstance(value, bool)


# --- Scale and Shift by a constant ------------------------------------------------------------


def _constant_form(bound: dict, invert: bool, negate: bool) -> float | None:
    """The constant of `x op c` (or `c op x` where op commutes); None when the call is not that form."""
    if set(bound) != {"input", "other"}:
        return None
    a, b = bound["input"], bound["other"]
    if _number(b) and not _number(a):
        c = float(b)
    elif _number(a) and not _number(b) and not (invert or negate):  # 2 * x, 2 + x; never 2 / x or 2 - x
        c = float(a)
    else:
        return None
    if invert:
        if c == 0:
            raise Unmapped("divides by zero")
        return 1.0 / c
    return -c if negate else c


def _reader(key: str, invert: bool = False, negate: bool = False):
    """Reads `x op c` into {key: the constant}, inverted for a division and negated for a subtraction."""

    def read(bound: dict) -> dict | None:
        value = _constant_form(bound, invert, negate)
        return None if value is None else {key: value}

    return read


def _scalar_const(op, negate: bool = False, invert: bool = False) -> OnnxMapping | None:
    """ONNX Mul/Div/Add/Sub of a computed tensor and a stored scalar: which input is the tensor, and c."""
    consts = [i for i in (0, 1) if op.is_const(i)]
    if len(consts) != 1:
        return None  # two computed tensors: Add's or Multiply's
    index = consts[0]
    value = op.const(index)
    if value.size != 1:
        return None  # a stored tensor, not a number: a positional table's, or no node's
    if index == 0 and (negate or invert):
        raise Unmapped("subtracts from or divides a constant (c - x, c / x); Netwright has x - c and x / c")
    c = float(value.reshape(-1)[0])
    if invert:
        if c == 0:
            raise Unmapped("divides by zero")
        c = 1.0 / c
    return OnnxMapping({"value": -c if negate else c}, tensors=(1 - index,))


def _onnx_constant(name: str):
    """`value` from _scalar_const renamed to the type's param."""

    def mapping(op) -> OnnxMapping | None:
        result = _scalar_const(op, negate=op.op_type == "Sub", invert=op.op_type == "Div")
        if result is None:
            return None
        return OnnxMapping({name: result.params["value"]}, tensors=result.tensors)

    return mapping


def _build_scale(params, inputs):
    from engine.nodes.modules import Scale

    return Scale(params["factor"])


def _build_shift(params, inputs):
    from engine.nodes.modules import Shift

    return Shift(params["offset"])


register(
    NodeType(
        type_id="layers.Scale",
        title="Scale",
        aliases=("multiply by constant", "times", "constant multiply", "divide"),
        category="layers",
        help=(
            "Multiplies every value by a fixed number: out = factor x in. Models write it inline, as "
            "0.5 * logvar in a VAE (the log-variance halved before exp gives the standard deviation), "
            "x / sqrt(d) in attention or a residual branch scaled down to keep deep networks stable. "
            "The factor is not learned; use a Linear layer or a BatchNorm for a learned scale. "
            "Division by a constant imports as a Scale by its inverse."
        ),
        inputs=IN,
        outputs=OUT,
        params=(Param("factor", "float", 0.5, "The number every value is multiplied by.", minimum=-1e6, maximum=1e6),),
        infer=_float_input,
        build=_build_scale,
        codegen=LayerCode(forward=lambda c: [f"{c.node_id} = {c.x} * {c.params['factor']!r}"]),
        pytorch_import=PyTorchImport(
            functions=("mul", "imul", "truediv", "div", "itruediv"),
            signature=("input", "other"),
            function_params=_reader("factor"),
            tensor_args=("input", "other"),
            per_call={name: _reader("factor", invert=True) for name in ("truediv", "div", "itruediv")},
        ),
        onnx_import=OnnxImport(ops=("Mul", "Div"), map=_onnx_constant("factor")),
    )
)

register(
    NodeType(
        type_id="layers.Shift",
        title="Shift",
        aliases=("add constant", "offset", "plus", "subtract"),
        category="layers",
        help=(
            "Adds a fixed number to every value: out = in + offset. Models write it inline, as x + 1 "
            "before a log, x - 0.5 to centre pixels in [0, 1] on zero, or 1 + logvar in a VAE's loss. "
            "The offset is not learned; a layer's bias is the learned version. Subtracting a "
            "constant imports as a Shift by its negative."
        ),
        inputs=IN,
        outputs=OUT,
        params=(Param("offset", "float", 1.0, "The number added to every value.", minimum=-1e6, maximum=1e6),),
        infer=_float_input,
        build=_build_shift,
        codegen=LayerCode(forward=lambda c: [f"{c.node_id} = {c.x} + {c.params['offset']!r}"]),
        pytorch_import=PyTorchImport(
            functions=("add", "iadd", "sub", "isub"),
            signature=("input", "other"),
            function_params=_reader("offset"),
            tensor_args=("input", "other"),
            per_call={name: _reader("offset", negate=True) for name in ("sub", "isub")},
        ),
        onnx_import=OnnxImport(ops=("Add", "Sub"), map=_onnx_constant("offset")),
    )
)


# --- Transpose, Mean, Slice ------------------------------------------------------------------------


def _axes(x: TensorSpec, dims: list[int], param: str) -> list[int]:
    """Torch dims (batch counted) for `dims` counted after B; ShapeError when one does not exist."""
    return [axis_of(x, d, param) % x.rank for d in dims]


def _infer_transpose(params, inputs):
    x = inputs["in"]
    require_batched(x)
    a, b = _axes(x, [params["dim0"], params["dim1"]], "dim0/dim1")
    dims = list(x.dims)
    dims[a - 1], dims[b - 1] = dims[b - 1], dims[a - 1]
    return {"out": TensorSpec(tuple(dims), x.dtype, True, x.num_classes)}


def _build_transpose(params, inputs):
    from engine.nodes.modules import Transpose

    return Transpose(*_axes(inputs["in"], [params["dim0"], params["dim1"]], "dim"))


def _transpose_params(bound: dict) -> dict:
    return {"dim0": after_batch(int(bound["dim0"])), "dim1": after_batch(int(bound["dim1"]))}


def _transpose_from_onnx(op) -> OnnxMapping:
    perm = [int(p) for p in op.attrs.get("perm", [])]
    moved = [i for i, p in enumerate(perm) if p != i]
    if len(moved) != 2 or perm[moved[0]] != moved[1] or 0 in moved:
        raise Unmapped(f"permutes the axes as {perm}; Netwright's Transpose swaps two axes after the batch")
    return OnnxMapping({"dim0": moved[0] - 1, "dim1": moved[1] - 1})


def _transpose_code(c) -> list[str]:
    a, b = (axis_of(c.spec, c.params[p]) for p in ("dim0", "dim1"))  # as the user wrote them (-1 stays -1)
    return [f"{c.node_id} = {c.x}.transpose({a}, {b})"]


register(
    NodeType(
        type_id="layers.Transpose",
        title="Transpose",
        aliases=("swap axes", "swapaxes", "permute"),
        category="layers",
        help=(
            "Swaps two axes of each sample: [B, 16, 10] with dims 0 and 1 becomes [B, 10, 16]. A "
            "sequence of features [B, T, F] needs it before a Conv1d, which wants channels first, and "
            "a vision transformer swaps the patches and channels of [B, C, N] into tokens [B, N, C]. "
            "ShuffleNet's channel shuffle is a Reshape, a Transpose and a Reshape. Nothing is learned; "
            "the values are only rearranged."
        ),
        inputs=IN,
        outputs=OUT,
        params=(
            Param("dim0", "int", 0, "First axis to swap, counted after B (-1 is the last).", minimum=-8, maximum=8),
            Param("dim1", "int", 1, "Second axis to swap, counted after B.", minimum=-8, maximum=8),
        ),
        infer=_infer_transpose,
        build=_build_transpose,
        codegen=LayerCode(forward=_transpose_code),
        pytorch_import=PyTorchImport(
            functions=("transpose", "swapaxes"),
            signature=("input", "dim0", "dim1"),
            function_params=_transpose_params,
        ),
        onnx_import=OnnxImport(ops=("Transpose",), map=_transpose_from_onnx),
    )
)


def _infer_mean(params, inputs):
    x = inputs["in"]
    require_batched(x)
    require_float(x)
    axes = {a - 1 for a in _axes(x, params["dims"], "dims")}
    if params["keepdim"]:
        dims = [1 if i in axes else d for i, d in enumerate(x.dims)]
    else:
        dims = [d for i, d in enumerate(x.dims) if i not in axes]
    return {"out": x.with_dims(*dims)}


def _mean_axes(params, spec) -> tuple[int, ...]:
    return tuple(sorted(set(_axes(spec, params["dims"], "dims"))))


def _build_mean(params, inputs):
    from engine.nodes.modules import Mean

    return Mean(_mean_axes(params, inputs["in"]), params["keepdim"])


def _mean_code(c) -> list[str]:
    keep = ", keepdim=True" if c.params["keepdim"] else ""
    dims = tuple(axis_of(c.spec, d, "dims") for d in c.params["dims"])  # as the user wrote them
    return [f"{c.node_id} = {c.x}.mean(dim={dims!r}{keep})"]


def _mean_params(bound: dict) -> dict | None:
    dims = bound.get("dim")
    if dims is None or bound.get("dtype") is not None:
        raise Unmapped("averages over every axis, the batch included, or casts; Netwright averages within samples")
    dims = [dims] if isinstance(dims, int) else list(dims)
    return {"dims": [after_batch(int(d)) for d in dims], "keepdim": bool(bound.get("keepdim", False))}


def _mean_from_onnx(op) -> OnnxMapping:
    axes = op.attrs.get("axes")
    if axes is None and len(op.inputs) > 1 and op.inputs[1]:
        axes = [int(a) for a in op.const(1)]
    if not axes:
        raise Unmapped("averages over every axis, the batch included")
    return OnnxMapping({"dims": [after_batch(int(a)) for a in axes], "keepdim": bool(op.attrs.get("keepdims", 1))})


register(
    NodeType(
        type_id="layers.Mean",
        title="Mean",
        aliases=("average", "reduce mean", "mean pooling", "global average"),
        category="layers",
        help=(
            "Averages each sample over the axes you list: a sequence of token vectors [B, T, F] "
            "averaged over T (dims 0) gives one vector [B, F] per sentence, the usual head of a "
            "transformer text classifier; an image [B, C, H, W] averaged over dims 1, 2 is global "
            "average pooling. keepdim leaves the averaged axes in place with size 1. The batch axis is "
            "never averaged: each sample keeps its own result. Nothing is learned."
        ),
        inputs=IN,
        outputs=OUT,
        params=(
            Param(
                "dims",
                "ints",
                [0],
                "Axes to average over, counted after B (-1 is the last).",
                minimum=-8,
                maximum=8,
                min_length=1,
            ),
            Param("keepdim", "bool", False, "Keep the averaged axes with size 1 instead of removing them."),
        ),
        infer=_infer_mean,
        build=_build_mean,
        codegen=LayerCode(forward=_mean_code),
        pytorch_import=PyTorchImport(
            functions=("mean",),
            signature=("input", "dim", "keepdim", "dtype"),
            function_params=_mean_params,
        ),
        onnx_import=OnnxImport(ops=("ReduceMean",), map=_mean_from_onnx),
    )
)


def _slice_bounds(params, x: TensorSpec) -> tuple[int, int, int]:
    """(torch dim, start, end) with negative positions counted from the end and end 0 meaning the axis's end."""
    dim = axis_of(x, params["dim"]) % x.rank
    size = x.dims[dim - 1]
    start, end = params["start"], params["end"]
    start = max(0, min(size, start + size if start < 0 else start))
    end = size if end == 0 else max(0, min(size, end + size if end < 0 else end))
    return dim, start, end


def _infer_slice(params, inputs):
    x = inputs["in"]
    require_batched(x)
    dim, start, end = _slice_bounds(params, x)
    if end <= start:
        raise ShapeError(
            f"gets {x.bracket()}: positions {params['start']} to {params['end'] or 'the end'} of axis "
            f"{params['dim']} (size {x.dims[dim - 1]}) hold nothing",
            "choose a start before the end; negative positions count from the end, end 0 means the last",
        )
    dims = list(x.dims)
    dims[dim - 1] = end - start
    return {"out": TensorSpec(tuple(dims), x.dtype, True, x.num_classes)}


def _build_slice(params, inputs):
    from engine.nodes.modules import Slice

    return Slice(*_slice_bounds(params, inputs["in"]))


def _slice_code(c) -> list[str]:
    dim = axis_of(c.spec, c.params["dim"])
    start, end = c.params["start"], c.params["end"]
    cut = f"{start or ''}:{end or ''}"
    # as the user counts: x[:, 2:5] for dim 0, x[..., 2:5] for dim -1
    index = ", ".join([":"] * dim + [cut]) if dim >= 0 else ", ".join(["...", cut] + [":"] * (-dim - 1))
    return [f"{c.node_id} = {c.x}[{index}]"]


def _slice_from_index(bound: dict) -> dict | None:
    """`x[:, a:b]`, `x[..., a:b]` on one axis after the batch, step 1."""
    index = bound.get("other")
    if set(bound) != {"input", "other"} or not isinstance(index, tuple) or len(index) < 2:
        return None
    from_end = index[0] is Ellipsis  # x[..., a:b]: the axis counted from the last
    if not from_end and index[0] != slice(None):
        return None  # the batch axis is never cut
    rest = index[1:]
    cut = [(i, s) for i, s in enumerate(rest) if s != slice(None)]
    if len(cut) != 1 or not isinstance(cut[0][1], slice) or cut[0][1].step not in (None, 1):
        return None
    axis, part = cut[0]
    if part.stop == 0 or not all(isinstance(v, (int, type(None))) for v in (part.start, part.stop)):
        return None
    return {"dim": axis - len(rest) if from_end else axis, "start": part.start or 0, "end": part.stop or 0}


def _slice_from_narrow(bound: dict) -> dict:
    start, length = int(bound["start"]), int(bound["length"])
    if start < 0:
        raise Unmapped("narrows from a negative start; write it as a slice x[:, a:b]")
    return {"dim": after_batch(int(bound.get("other", bound.get("dim")))), "start": start, "end": start + length}


def _slice_from_onnx(op) -> OnnxMapping:
    starts, ends = (op.const(i) for i in (1, 2))
    axes = op.const(3, required=False)
    steps = op.const(4, required=False)
    if len(starts) != 1 or (steps is not None and int(steps[0]) != 1):
        raise Unmapped("slices several axes or with a step; Netwright's Slice takes one range of one axis")
    axis = int(axes[0]) if axes is not None else 0
    end = int(ends[0])
    return OnnxMapping({"dim": after_batch(axis), "start": int(starts[0]), "end": 0 if end >= 2**31 - 1 else end})


register(
    NodeType(
        type_id="layers.Slice",
        title="Slice",
        aliases=("narrow", "crop", "split", "chunk", "getitem"),
        category="layers",
        help=(
            "Keeps one range of positions along one axis: with dim 0, start 0 and end 8 an image "
            "[B, 16, 7, 7] becomes its first 8 channels [B, 8, 7, 7], as x[:, 0:8] does. ShuffleNet "
            "splits its channels into two halves this way (two Slices where the code says chunk), "
            "and a U-Net crops a skip connection to fit. Negative positions count from the end and "
            "end 0 means up to the end. Nothing is learned or copied beyond the kept values."
        ),
        inputs=IN,
        outputs=OUT,
        params=(
            Param("dim", "int", 0, "Axis to cut, counted after B (-1 is the last).", minimum=-8, maximum=8),
            Param(
                "start", "int", 0, "First position kept; negative counts from the end.", minimum=-65536, maximum=65536
            ),
            Param(
                "end",
                "int",
                1,
                "Position after the last one kept; negative counts from the end, 0 means to the end.",
                minimum=-65536,
                maximum=65536,
            ),
        ),
        infer=_infer_slice,
        build=_build_slice,
        codegen=LayerCode(forward=_slice_code),
        pytorch_import=PyTorchImport(
            functions=("getitem", "narrow"),
            signature=("input", "other", "start", "length"),  # getitem(x, index); narrow(x, dim, start, length)
            function_params=_slice_from_index,
            per_call={"narrow": _slice_from_narrow},
        ),
        onnx_import=OnnxImport(ops=("Slice",), map=_slice_from_onnx),
    )
)
