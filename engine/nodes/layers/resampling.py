"""Pooling and upsampling: shrink or grow the spatial size of feature maps."""

from __future__ import annotations

from engine.nodes.checks import (
    check_pool_padding,
    check_window,
    require_batched,
    require_float,
)
from engine.nodes.layers.common import (
    DILATION,
    IN,
    OUT,
    kernel_param,
    padding_param,
    require_spatial,
    spatial_axes,
    stride_param,
)
from engine.nodes.mapping import attributes, one, square
from engine.registry import (
    LayerCode,
    NodeType,
    NoImport,
    OnnxImport,
    OnnxMapping,
    Param,
    PyTorchImport,
    ShapeError,
    Unmapped,
    register,
)
from engine.registry.codegen import call, non_default

# --- Pooling ---------------------------------------------------------------------------------


def _pool_infer(spatial: int):
    def infer(params, inputs):
        x = inputs["in"]
        require_spatial(x, spatial)
        check_pool_padding(params["kernel_size"], params["padding"])
        sizes = check_window(
            x,
            spatial_axes(spatial),
            params["kernel_size"],
            params["stride"],
            params["padding"],
            params.get("dilation", 1),
        )
        if params["ceil_mode"]:
            sizes = [
                ceil_window_out(
                    x.dims[axis], params["kernel_size"], params["stride"], params["padding"], params.get("dilation", 1)
                )
                for axis in spatial_axes(spatial)
            ]
        return {"out": x.with_dims(x.dims[0], *sizes)}

    return infer


def ceil_window_out(size: int, kernel: int, stride: int, padding: int, dilation: int = 1) -> int:
    """Output length with ceil_mode: a last, partial window counts, unless it would start in the right padding."""
    out = -(-(size + 2 * padding - dilation * (kernel - 1) - 1) // stride) + 1
    if (out - 1) * stride >= size + padding:
        out -= 1
    return out


def _pool_build(kind: str):
    def build(params, inputs):
        import torch.nn as nn

        k, s, p, ceil = params["kernel_size"], params["stride"], params["padding"], params["ceil_mode"]
        if kind == "MaxPool1d":
            return nn.MaxPool1d(k, s, p, dilation=params["dilation"], ceil_mode=ceil)
        if kind == "MaxPool2d":
            return nn.MaxPool2d(k, s, p, dilation=params["dilation"], ceil_mode=ceil)
        return nn.AvgPool2d(k, s, p, ceil_mode=ceil)

    return build


MAX_POOL_ARGS = ("input", "kernel_size", "stride", "padding", "dilation", "ceil_mode", "return_indices")
AVG_POOL_ARGS = ("input", "kernel_size", "stride", "padding", "ceil_mode", "count_include_pad", "divisor_override")


def _pool_params(kind: str, bound: dict) -> dict:
    """A pooling call's (or module's) arguments as this node's params."""
    if bound.get("return_indices"):
        raise Unmapped("returns the indices of the maxima (return_indices); Netwright's pooling returns the values")
    kernel = square(bound["kernel_size"], "kernel_size")
    stride = bound.get("stride")
    params = {
        "kernel_size": kernel,
        "stride": kernel if stride in (None, (), []) else square(stride, "stride"),
        "padding": square(bound.get("padding", 0), "padding"),
        "ceil_mode": bool(bound.get("ceil_mode", False)),
    }
    if kind == "AvgPool2d":
        if bound.get("divisor_override") or (params["padding"] and bound.get("count_include_pad") is False):
            raise Unmapped("uses divisor_override or count_include_pad=False")
    else:
        params["dilation"] = square(bound.get("dilation", 1), "dilation")
    return params


def _pool_code(kind: str) -> LayerCode:
    def make(c) -> str:
        p = c.params
        extra = non_default(
            padding=(p["padding"], 0), dilation=(p.get("dilation", 1), 1), ceil_mode=(p["ceil_mode"], False)
        )
        return call(f"nn.{kind}", kernel_size=p["kernel_size"], stride=p["stride"], **extra)

    return LayerCode(make)


def _pool_pytorch(kind: str, function: str) -> PyTorchImport:
    signature = AVG_POOL_ARGS if kind == "AvgPool2d" else MAX_POOL_ARGS
    return PyTorchImport(
        modules=(kind,),
        module_params=lambda m: _pool_params(kind, attributes(m, signature)),
        functions=(function,),
        signature=signature,
        function_params=lambda b: _pool_params(kind, b),
    )


def _pool_onnx(op_type: str, spatial: int) -> OnnxImport:
    def mapping(op) -> OnnxMapping | None:
        kernel = list(op.attrs["kernel_shape"])
        if len(kernel) != spatial:
            return None  # another dimensionality's pool
        if len(op.outputs) > 1 and op.outputs[1]:
            raise Unmapped("returns the indices of the maxima; Netwright's pooling returns the values")
        params = {
            "kernel_size": one(kernel, "kernel_shape"),
            "stride": one(op.attrs.get("strides", [1] * spatial), "strides"),
            "padding": one(op.attrs.get("pads", [0] * 2 * spatial), "pads"),
            "ceil_mode": bool(int(op.attrs.get("ceil_mode", 0))),
        }
        if op_type == "MaxPool":
            params["dilation"] = one(op.attrs.get("dilations", [1] * spatial), "dilations")
        elif params["padding"] and not int(op.attrs.get("count_include_pad", 0)):
            raise Unmapped("pads without counting the padding in the average")
        return OnnxMapping(params)

    return OnnxImport(ops=(op_type,), map=mapping)


CEIL_MODE = Param(
    "ceil_mode",
    "bool",
    False,
    "Round the output size up: a last window that only partly fits still gives an output (GoogLeNet, SqueezeNet).",
    advanced=True,
)
POOL_PARAMS = (kernel_param(2), stride_param(2), padding_param(), CEIL_MODE)
MAX_POOL_HELP = (
    "Keeps the largest value in each window, so a feature that was found anywhere in the window "
    "survives while the size shrinks (kernel_size 2, stride 2 halves it). It has no weights. "
    "Pooling makes the network cheaper and a little tolerant to small shifts; pooling too often "
    "shrinks the input to nothing, and the node shows the arithmetic when that happens."
)

register(
    NodeType(
        type_id="layers.MaxPool1d",
        title="MaxPool1d",
        aliases=("pooling", "max pooling", "downsample"),
        category="layers",
        help="Max pooling along a signal [B, channels, length]. " + MAX_POOL_HELP,
        inputs=IN,
        outputs=OUT,
        params=POOL_PARAMS + (DILATION,),
        infer=_pool_infer(1),
        build=_pool_build("MaxPool1d"),
        codegen=_pool_code("MaxPool1d"),
        pytorch_import=_pool_pytorch("MaxPool1d", "max_pool1d"),
        onnx_import=_pool_onnx("MaxPool", 1),
    )
)

register(
    NodeType(
        type_id="layers.MaxPool2d",
        title="MaxPool2d",
        aliases=("pooling", "max pooling", "downsample"),
        category="layers",
        help="Max pooling over an image [B, channels, height, width]. " + MAX_POOL_HELP,
        inputs=IN,
        outputs=OUT,
        params=POOL_PARAMS + (DILATION,),
        infer=_pool_infer(2),
        build=_pool_build("MaxPool2d"),
        codegen=_pool_code("MaxPool2d"),
        pytorch_import=_pool_pytorch("MaxPool2d", "max_pool2d"),
        onnx_import=_pool_onnx("MaxPool", 2),
    )
)

register(
    NodeType(
        type_id="layers.AvgPool2d",
        title="AvgPool2d",
        aliases=("pooling", "average pooling", "mean pooling", "downsample"),
        category="layers",
        help=(
            "Average pooling over an image [B, channels, height, width]: each output is the mean "
            "of a window, so the size shrinks (kernel_size 2, stride 2 halves it) and the image is "
            "smoothed. It has no weights. Max pooling usually works better inside a CNN because it "
            "keeps the strongest response; averaging keeps weak and strong alike. Padded zeros "
            "count in the average at the borders."
        ),
        inputs=IN,
        outputs=OUT,
        params=POOL_PARAMS,
        infer=_pool_infer(2),
        build=_pool_build("AvgPool2d"),
        codegen=_pool_code("AvgPool2d"),
        pytorch_import=_pool_pytorch("AvgPool2d", "avg_pool2d"),
        onnx_import=_pool_onnx("AveragePool", 2),
    )
)


def _infer_adaptive_pool(params, inputs):
    x = inputs["in"]
    require_spatial(x, 2)
    return {"out": x.with_dims(x.dims[0], params["output_height"], params["output_width"])}


def _build_adaptive_pool(params, inputs):
    import torch.nn as nn

    return nn.AdaptiveAvgPool2d((params["output_height"], params["output_width"]))


def _adaptive_params(size) -> dict:
    h, w = (size, size) if isinstance(size, int) else tuple(size)
    if h is None or w is None:
        raise Unmapped("keeps an input size (None in output_size)")
    return {"output_height": h, "output_width": w}


def _global_average(op) -> OnnxMapping:
    if op.rank(0) != 4:
        raise Unmapped("averages a tensor that is not an image [B, channels, height, width]")
    return OnnxMapping({"output_height": 1, "output_width": 1})


register(
    NodeType(
        type_id="layers.AdaptiveAvgPool2d",
        title="AdaptiveAvgPool2d",
        aliases=("global average pooling", "gap", "pooling"),
        category="layers",
        help=(
            "Averages each channel down to a fixed output size, whatever the input size: torch picks "
            "the windows for you. With output 1 x 1 it is global average pooling, which turns "
            "[B, C, H, W] into [B, C, 1, 1] and, after a Flatten, feeds a classifier with one "
            "number per channel. Modern CNNs end this way instead of flattening large maps, which "
            "needs far fewer weights and overfits less."
        ),
        inputs=IN,
        outputs=OUT,
        params=(
            Param("output_height", "int", 1, "Height of every output map.", minimum=1, maximum=4096),
            Param("output_width", "int", 1, "Width of every output map.", minimum=1, maximum=4096),
        ),
        infer=_infer_adaptive_pool,
        build=_build_adaptive_pool,
        codegen=LayerCode(lambda c: f"nn.AdaptiveAvgPool2d(({c.params['output_height']}, {c.params['output_width']}))"),
        pytorch_import=PyTorchImport(
            modules=("AdaptiveAvgPool2d",),
            module_params=lambda m: _adaptive_params(m.output_size),
            functions=("adaptive_avg_pool2d",),
            signature=("input", "output_size"),
            function_params=lambda b: _adaptive_params(b["output_size"]),
        ),
        onnx_import=OnnxImport(ops=("GlobalAveragePool",), map=_global_average),
    )
)


# --- Resizing --------------------------------------------------------------------------------


def _infer_upsample(params, inputs):
    x = inputs["in"]
    require_batched(x)
    require_float(x)
    scale = params["scale_factor"]
    if x.rank == 4 or (x.rank == 3 and params["mode"] == "nearest"):
        return {"out": x.with_dims(x.dims[0], *(d * scale for d in x.dims[1:]))}
    if x.rank == 3:
        raise ShapeError(
            f"gets {x.bracket()} but bilinear mode needs images [B, channels, height, width]",
            "use mode nearest for a signal [B, channels, length]",
        )
    raise ShapeError(
        f"gets {x.bracket()} but needs [B, channels, height, width] (or [B, channels, length])",
        "add a Reshape that gives the input a channel axis",
    )


def _build_upsample(params, inputs):
    import torch.nn as nn

    if params["mode"] == "bilinear":
        return nn.Upsample(scale_factor=params["scale_factor"], mode="bilinear", align_corners=False)
    return nn.Upsample(scale_factor=params["scale_factor"], mode="nearest")


def _upsample_code(c) -> str:
    if c.params["mode"] == "bilinear":
        return call("nn.Upsample", scale_factor=c.params["scale_factor"], mode="bilinear", align_corners=False)
    return call("nn.Upsample", scale_factor=c.params["scale_factor"], mode="nearest")


def _upsample_params(m) -> dict:
    scale = m.scale_factor
    scale = scale[0] if isinstance(scale, tuple) and len(set(scale)) == 1 else scale
    if (
        m.size is not None
        or scale is None
        or float(scale) != int(scale)
        or m.mode not in ("nearest", "bilinear")
        or m.align_corners
    ):
        raise Unmapped("needs a whole scale_factor, mode nearest or bilinear, align_corners off")
    return {"scale_factor": int(scale), "mode": m.mode}


register(
    NodeType(
        type_id="layers.Upsample",
        title="Upsample",
        aliases=("upsampling", "resize", "interpolate"),
        category="layers",
        help=(
            "Makes images (or signals) larger by a whole factor without learning anything: "
            "[B, C, 7, 7] with scale_factor 2 becomes [B, C, 14, 14]. Mode nearest repeats each "
            "pixel, bilinear blends neighbours smoothly. Followed by a Conv2d it is the usual way "
            "a decoder or generator grows an image, without the checkerboard patterns a "
            "ConvTranspose2d can leave."
        ),
        inputs=IN,
        outputs=OUT,
        params=(
            Param("scale_factor", "int", 2, "How many times larger each spatial side becomes.", minimum=1, maximum=16),
            Param(
                "mode",
                "choice",
                "nearest",
                "nearest: repeat pixels; bilinear: interpolate (images only).",
                choices=("nearest", "bilinear"),
            ),
        ),
        infer=_infer_upsample,
        build=_build_upsample,
        codegen=LayerCode(_upsample_code),
        pytorch_import=PyTorchImport(modules=("Upsample",), module_params=_upsample_params),
        onnx_import=NoImport("the ONNX Resize operator exporters emit for it is not mapped yet"),
    )
)
