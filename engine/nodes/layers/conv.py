"""Convolutions: small learned filters slid over sequences and images."""

from __future__ import annotations

from engine.nodes.checks import (
    check_window,
    transpose_arithmetic,
    transpose_out,
)
from engine.nodes.layers.common import (
    BIAS,
    DILATION,
    IN,
    OUT,
    kernel_param,
    out_channels_param,
    padding_param,
    require_spatial,
    spatial_axes,
    stride_param,
)
from engine.nodes.mapping import one, square
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
from engine.registry.codegen import call, non_default

# --- Convolutions ----------------------------------------------------------------------------


def _conv_infer(spatial: int):
    def infer(params, inputs):
        x = inputs["in"]
        require_spatial(x, spatial)
        check_groups(x, params)
        sizes = check_window(
            x, spatial_axes(spatial), params["kernel_size"], params["stride"], params["padding"], params["dilation"]
        )
        return {"out": x.with_dims(params["out_channels"], *sizes)}

    return infer


def _conv_build(spatial: int):
    def build(params, inputs):
        import torch.nn as nn

        conv = getattr(nn, f"Conv{spatial}d")  # exactly the type's dimensionality (Conv3d is not a Conv2d)
        return conv(
            inputs["in"].dims[0],
            params["out_channels"],
            params["kernel_size"],
            stride=params["stride"],
            padding=params["padding"],
            dilation=params["dilation"],
            groups=params["groups"],
            bias=params["bias"],
        )

    return build


def _conv_code(kind: str) -> LayerCode:
    def make(c) -> str:
        p = c.params
        return call(
            f"nn.{kind}",
            c.spec.dims[0],
            p["out_channels"],
            kernel_size=p["kernel_size"],
            **non_default(
                stride=(p["stride"], 1),
                padding=(p["padding"], 0),
                output_padding=(p.get("output_padding", 0), 0),
                dilation=(p["dilation"], 1),
                groups=(p["groups"], 1),
                bias=(p["bias"], True),
            ),
        )

    return LayerCode(make)


def _conv_params(m) -> dict:
    """The params of a torch.nn convolution (read from its attributes)."""
    if m.padding_mode != "zeros":
        raise Unmapped(
            f"pads with mode {m.padding_mode!r}; put a ReflectionPad or ReplicationPad node before a Conv with padding 0"
        )
    padding = m.padding
    if isinstance(padding, str):
        if padding == "valid":
            padding = 0
        elif all(k % 2 for k in m.kernel_size) and all(s == 1 for s in m.stride):
            padding = tuple(d * (k - 1) // 2 for d, k in zip(m.dilation, m.kernel_size, strict=True))
        else:
            raise Unmapped("uses padding='same' with an even kernel or a stride")
    return {
        "out_channels": m.out_channels,
        "kernel_size": square(m.kernel_size, "kernel_size"),
        "stride": square(m.stride, "stride"),
        "padding": square(padding, "padding"),
        "dilation": square(m.dilation, "dilation"),
        "groups": m.groups,
        "bias": m.bias is not None,
    }


def _conv_import(spatial: int) -> OnnxImport:
    def mapping(op) -> OnnxMapping | None:
        weight = op.const(1)
        if weight.ndim - 2 != spatial:
            return None  # another dimensionality's Conv
        if op.attrs.get("auto_pad", "NOTSET") != "NOTSET":
            raise Unmapped(f"pads with auto_pad {op.attrs['auto_pad']}; Netwright's convolutions take explicit pads")
        bias = op.const(2, required=False)
        params = {
            "out_channels": int(weight.shape[0]),
            "groups": int(op.attrs.get("group", 1)),
            "kernel_size": one(list(weight.shape[2:]), "kernel"),
            "stride": one(op.attrs.get("strides", [1] * spatial), "strides"),
            "padding": one(op.attrs.get("pads", [0] * 2 * spatial), "pads"),
            "dilation": one(op.attrs.get("dilations", [1] * spatial), "dilations"),
            "bias": bias is not None,
        }
        return OnnxMapping(params, {"weight": weight} | ({"bias": bias} if bias is not None else {}), (0,), 1)

    return OnnxImport(ops=("Conv",), map=mapping)


GROUPS = Param(
    "groups",
    "int",
    1,
    "Split the channels into this many groups, each filtered on its own (input channels: depthwise).",
    minimum=1,
    maximum=65536,
    advanced=True,
)


def check_groups(x, params) -> None:
    """Grouped convolution: each group's filters see in/groups channels and make out/groups of them."""
    groups, channels, out = params["groups"], x.dims[0], params["out_channels"]
    if channels % groups == 0 and out % groups == 0:
        return
    if groups == channels:  # the input is right for a depthwise convolution; out_channels is not
        hint = f"for a depthwise convolution set out_channels to a multiple of {channels} (e.g. {channels})"
    else:
        hint = (
            f"groups must divide both; set groups to {channels} for a depthwise convolution (one filter per "
            "channel), or 1 for an ordinary one"
        )
    raise ShapeError(
        f"gets {x.bracket()} with {channels} channels and makes {out}, but groups {groups} must divide "
        f"both (each group filters {channels} / {groups} input channels into {out} / {groups} outputs)",
        hint,
    )


CONV_PARAMS = (out_channels_param(), kernel_param(), stride_param(), padding_param(), DILATION, GROUPS, BIAS)

register(
    NodeType(
        type_id="layers.Conv1d",
        title="Conv1d",
        aliases=("convolution", "conv", "temporal convolution"),
        category="layers",
        help=(
            "A 1-D convolution: slides small learned filters along a signal [B, channels, length] "
            "and outputs one channel per filter. It finds local patterns (a spike, a rising edge) "
            "wherever they occur, with far fewer weights than a Linear layer. Each output length "
            "is floor((length + 2 x padding - kernel_size) / stride) + 1, so without padding the "
            "signal shrinks. A sequence [B, T, F] has time on the wrong axis for it: Conv1d wants "
            "the channels first."
        ),
        inputs=IN,
        outputs=OUT,
        params=CONV_PARAMS,
        infer=_conv_infer(1),
        build=_conv_build(1),
        has_weights=True,
        codegen=_conv_code("Conv1d"),
        pytorch_import=PyTorchImport(modules=("Conv1d",), module_params=_conv_params),
        onnx_import=_conv_import(1),
    )
)

register(
    NodeType(
        type_id="layers.Conv2d",
        title="Conv2d",
        aliases=("convolution", "conv", "cnn", "filter", "kernel"),
        category="layers",
        help=(
            "A 2-D convolution: slides small learned filters (kernel_size x kernel_size) over an "
            "image [B, channels, height, width] and outputs one feature map per filter. The "
            "building block of convolutional networks (CNNs): early layers find edges, later ones "
            "combine them into shapes. Each output side is floor((side + 2 x padding - "
            "kernel_size) / stride) + 1; padding = kernel_size // 2 keeps the size. A flat input "
            "such as [B, 784] must first be reshaped to [1, 28, 28]. With groups > 1 the channels are "
            "split into groups filtered separately (ResNeXt); groups equal to the input channels is the "
            "depthwise convolution of MobileNet, usually followed by a 1x1 Conv2d that mixes channels."
        ),
        inputs=IN,
        outputs=OUT,
        params=CONV_PARAMS,
        infer=_conv_infer(2),
        build=_conv_build(2),
        has_weights=True,
        codegen=_conv_code("Conv2d"),
        pytorch_import=PyTorchImport(modules=("Conv2d",), module_params=_conv_params),
        onnx_import=_conv_import(2),
    )
)


def _infer_conv_transpose(params, inputs):
    x = inputs["in"]
    require_spatial(x, 2)
    check_groups(x, params)
    k, s, p, op, d = (params[n] for n in ("kernel_size", "stride", "padding", "output_padding", "dilation"))
    if op >= max(s, d):
        raise ShapeError(
            f"has output_padding {op} but it must be smaller than stride ({s}) or dilation ({d})",
            "output_padding only picks between output sizes that stride leaves ambiguous; set it to 0",
        )
    sizes = []
    for size in x.dims[1:]:
        out = transpose_out(size, k, s, p, op, d)
        if out < 1:
            raise ShapeError(
                f"gets {x.bracket()}: the output would be empty ({transpose_arithmetic(size, k, s, p, op, d)})",
                "use less padding or a larger kernel_size",
            )
        sizes.append(out)
    return {"out": x.with_dims(params["out_channels"], *sizes)}


def _build_conv_transpose(params, inputs):
    import torch.nn as nn

    return nn.ConvTranspose2d(
        inputs["in"].dims[0],
        params["out_channels"],
        params["kernel_size"],
        stride=params["stride"],
        padding=params["padding"],
        output_padding=params["output_padding"],
        dilation=params["dilation"],
        groups=params["groups"],
        bias=params["bias"],
    )


def _conv_transpose_from_onnx(op) -> OnnxMapping | None:
    """ONNX ConvTranspose stores its weight as torch does, [in, out / groups, k, k]."""
    weight = op.const(1)
    if weight.ndim != 4:
        return None
    if op.attrs.get("auto_pad", "NOTSET") != "NOTSET" or "output_shape" in op.attrs:
        raise Unmapped("sets auto_pad or output_shape; Netwright's ConvTranspose2d takes explicit pads")
    groups = int(op.attrs.get("group", 1))
    bias = op.const(2, required=False)
    params = {
        "out_channels": int(weight.shape[1]) * groups,
        "kernel_size": one(list(weight.shape[2:]), "kernel"),
        "stride": one(op.attrs.get("strides", [1, 1]), "strides"),
        "padding": one(op.attrs.get("pads", [0, 0, 0, 0]), "pads"),
        "output_padding": one(op.attrs.get("output_padding", [0, 0]), "output_padding"),
        "dilation": one(op.attrs.get("dilations", [1, 1]), "dilations"),
        "groups": groups,
        "bias": bias is not None,
    }
    return OnnxMapping(params, {"weight": weight} | ({"bias": bias} if bias is not None else {}), (0,), 1)


def _conv_transpose_params(m) -> dict:
    return _conv_params(m) | {"output_padding": square(m.output_padding, "output_padding")}


register(
    NodeType(
        type_id="layers.ConvTranspose2d",
        title="ConvTranspose2d",
        aliases=("deconvolution", "transposed convolution", "upconvolution", "conv"),
        category="layers",
        help=(
            "A transposed convolution: the learned way to make an image larger, used by decoders, "
            "autoencoders and GAN generators. Each output side is (side - 1) x stride - 2 x padding "
            "+ (kernel_size - 1) + output_padding + 1, so kernel_size 2 with stride 2 doubles it "
            "and kernel_size 4, stride 2, padding 1 doubles it too. When the kernel is not a "
            "multiple of the stride the overlaps can leave checkerboard patterns; Upsample followed "
            "by Conv2d avoids them."
        ),
        inputs=IN,
        outputs=OUT,
        params=(
            out_channels_param(),
            kernel_param(2),
            stride_param(2),
            padding_param(),
            Param(
                "output_padding",
                "int",
                0,
                "Extra rows/columns on one side to reach an exact size (< stride).",
                minimum=0,
                maximum=254,
                advanced=True,
            ),
            DILATION,
            GROUPS,
            BIAS,
        ),
        infer=_infer_conv_transpose,
        build=_build_conv_transpose,
        has_weights=True,
        codegen=_conv_code("ConvTranspose2d"),
        pytorch_import=PyTorchImport(modules=("ConvTranspose2d",), module_params=_conv_transpose_params),
        onnx_import=OnnxImport(ops=("ConvTranspose",), map=_conv_transpose_from_onnx),
    )
)
