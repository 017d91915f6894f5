"""Padding: add borders around signals and images (zeros, a constant, a mirror or the edge)."""

from __future__ import annotations

from engine.nodes.checks import require_batched, require_float
from engine.nodes.layers.common import IN, OUT
from engine.registry import (
    LayerCode,
    NodeType,
    OnnxImport,
    OnnxMapping,
    Param,
    PyTorchImport,
    ShapeError,
    Unmapped,
    register,
)

# mode -> the torch.nn class family (suffix 1d / 2d) and the ONNX Pad mode
TORCH_CLASS = {"zeros": "ZeroPad", "constant": "ConstantPad", "reflect": "ReflectionPad", "replicate": "ReplicationPad"}
ONNX_MODE = {"constant": "constant", "reflect": "reflect", "edge": "replicate"}
SIDES = ("left", "right", "top", "bottom")  # torch's order: the last axis first
MODULES = tuple(f"{family}{n}d" for family in TORCH_CLASS.values() for n in (1, 2))


def _sides(params) -> tuple[int, int, int, int]:
    return tuple(params[s] for s in SIDES)


def _infer_pad(params, inputs):
    x = inputs["in"]
    require_batched(x)
    require_float(x)
    if x.rank not in (3, 4):
        raise ShapeError(
            f"gets {x.bracket()} but pads a signal [B, channels, length] or an image [B, channels, height, width]",
            "add a Reshape that gives the input a channel axis",
        )
    left, right, top, bottom = _sides(params)
    if x.rank == 3 and (top or bottom):
        raise ShapeError(
            f"gets a signal {x.bracket()}, which has no height, but top/bottom are {top}/{bottom}",
            "set top and bottom to 0 (a signal is padded on the left and right of its length)",
        )
    axes = [(x.dims[-1], left, right, "width" if x.rank == 4 else "length")]
    if x.rank == 4:
        axes.append((x.dims[-2], top, bottom, "height"))
    if params["mode"] in ("reflect", "replicate"):
        for size, before, after, name in axes:
            if params["mode"] == "reflect" and max(before, after) >= size:
                raise ShapeError(
                    f"gets {x.bracket()}: reflecting {max(before, after)} values needs a {name} above that, it is {size}",
                    f"pad by at most {size - 1} on each side, or use mode replicate or zeros",
                )
    dims = list(x.dims)
    dims[-1] += left + right
    if x.rank == 4:
        dims[-2] += top + bottom
    return {"out": x.with_dims(*dims)}


def _torch_call(params, spec) -> tuple[str, tuple[int, ...], list[str]]:
    """(class name, padding tuple, extra arguments) of the torch.nn module for these params and input."""
    spatial = len(spec.dims) - 1
    pads = _sides(params)[: 2 * spatial]
    extra = [repr(params["value"])] if params["mode"] == "constant" else []
    return f"{TORCH_CLASS[params['mode']]}{spatial}d", pads, extra


def _build_pad(params, inputs):
    import torch.nn as nn

    name, pads, _ = _torch_call(params, inputs["in"])
    if params["mode"] == "constant":
        return getattr(nn, name)(pads, params["value"])
    return getattr(nn, name)(pads)


def _pad_code(c) -> str:
    name, pads, extra = _torch_call(c.params, c.spec)
    return f"nn.{name}({', '.join([repr(tuple(pads)), *extra])})"


def _params_from(pads, mode: str, value: float) -> dict:
    """Netwright's params from torch's padding tuple (last axis first), mode and fill value."""
    pads = [int(p) for p in pads]
    if len(pads) not in (2, 4) or any(p < 0 for p in pads):
        raise Unmapped(f"pads {pads}; Netwright pads the length of a signal or the height and width of an image")
    if mode == "constant" and value == 0:
        mode = "zeros"
    if mode not in TORCH_CLASS:
        raise Unmapped(f"pads in mode {mode!r}; Netwright has zeros, constant, reflect and replicate")
    pads += [0] * (4 - len(pads))
    return dict(zip(SIDES, pads, strict=True)) | {"mode": mode, "value": float(value) if mode == "constant" else 0.0}


def _module_params(m) -> dict:
    name = next(cls.__name__ for cls in type(m).__mro__ if cls.__name__ in MODULES)  # ZeroPad2d, ReflectionPad1d, ...
    mode = {family: mode for mode, family in TORCH_CLASS.items()}[name[:-2]]
    return _params_from(m.padding, mode, float(getattr(m, "value", 0.0)))


def _function_params(bound: dict) -> dict:
    value = bound.get("value")
    return _params_from(bound["pad"], bound.get("mode", "constant"), 0.0 if value is None else float(value))


def _pad_from_onnx(op) -> OnnxMapping:
    pads = op.const(1)
    mode = ONNX_MODE.get(op.attrs.get("mode", "constant"))
    if mode is None:
        raise Unmapped(f"pads in mode {op.attrs.get('mode')!r}; Netwright has zeros, constant, reflect and replicate")
    if len(op.inputs) > 3 and op.inputs[3]:
        raise Unmapped("pads only some axes (an axes input); Netwright pads the last one or two")
    rank = len(pads) // 2
    begins, ends = [int(p) for p in pads[:rank]], [int(p) for p in pads[rank:]]
    if rank not in (3, 4) or any(begins[:2]) or any(ends[:2]):
        raise Unmapped(f"pads {list(pads)}; Netwright pads only the spatial axes, never the batch or channels")
    value = op.const(2, required=False) if mode == "constant" else None
    value = float(value.reshape(-1)[0]) if value is not None and value.size else 0.0
    torch_order = [p for axis in reversed(range(2, rank)) for p in (begins[axis], ends[axis])]
    return OnnxMapping(_params_from(torch_order, mode, value))


def _side(name: str, where: str) -> Param:
    return Param(name, "int", 1, f"Values added {where}.", minimum=0, maximum=1024)


register(
    NodeType(
        type_id="layers.Pad",
        title="Pad",
        aliases=("padding", "ZeroPad2d", "ReflectionPad2d", "ReplicationPad2d", "border", "reflection pad"),
        category="layers",
        help=(
            "Adds a border around each image (or both ends of each signal): [B, C, 28, 28] padded by 2 "
            "on every side becomes [B, C, 32, 32]. Mode zeros fills with 0 (what a Conv2d's own padding "
            "does), constant with a value you choose, reflect mirrors the image at its edge, and "
            "replicate repeats the edge pixel. Style-transfer and super-resolution networks reflect "
            "before each convolution so the borders do not darken. The sides can differ, which a "
            "Conv2d's padding cannot."
        ),
        inputs=IN,
        outputs=OUT,
        params=(
            Param(
                "mode",
                "choice",
                "zeros",
                "How the border is filled: zeros, a constant value, a mirror of the image, or its edge.",
                choices=("zeros", "constant", "reflect", "replicate"),
            ),
            _side("left", "before the first column (or the start of a signal)"),
            _side("right", "after the last column (or the end of a signal)"),
            _side("top", "above the first row (0 for a signal)"),
            _side("bottom", "below the last row (0 for a signal)"),
            Param(
                "value",
                "float",
                0.0,
                "The fill value of mode constant.",
                minimum=-1e6,
                maximum=1e6,
                applies_when={"mode": ("constant",)},
            ),
        ),
        infer=_infer_pad,
        build=_build_pad,
        codegen=LayerCode(_pad_code),
        pytorch_import=PyTorchImport(
            modules=MODULES,
            module_params=_module_params,
            functions=("pad",),
            signature=("input", "pad", "mode", "value"),
            function_params=_function_params,
        ),
        onnx_import=OnnxImport(ops=("Pad",), map=_pad_from_onnx),
    )
)
