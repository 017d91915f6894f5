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
from engine.registry import NodeType, Param, ShapeError, register

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
        return {"out": x.with_dims(x.dims[0], *sizes)}

    return infer


def _pool_build(kind: str):
    def build(params, inputs):
        import torch.nn as nn

        k, s, p = params["kernel_size"], params["stride"], params["padding"]
        if kind == "MaxPool1d":
            return nn.MaxPool1d(k, s, p, dilation=params["dilation"])
        if kind == "MaxPool2d":
            return nn.MaxPool2d(k, s, p, dilation=params["dilation"])
        return nn.AvgPool2d(k, s, p)

    return build


POOL_PARAMS = (kernel_param(2), stride_param(2), padding_param())
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
        category="layers",
        help="Max pooling along a signal [B, channels, length]. " + MAX_POOL_HELP,
        inputs=IN,
        outputs=OUT,
        params=POOL_PARAMS + (DILATION,),
        infer=_pool_infer(1),
        build=_pool_build("MaxPool1d"),
    )
)

register(
    NodeType(
        type_id="layers.MaxPool2d",
        title="MaxPool2d",
        category="layers",
        help="Max pooling over an image [B, channels, height, width]. " + MAX_POOL_HELP,
        inputs=IN,
        outputs=OUT,
        params=POOL_PARAMS + (DILATION,),
        infer=_pool_infer(2),
        build=_pool_build("MaxPool2d"),
    )
)

register(
    NodeType(
        type_id="layers.AvgPool2d",
        title="AvgPool2d",
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
    )
)


def _infer_adaptive_pool(params, inputs):
    x = inputs["in"]
    require_spatial(x, 2)
    return {"out": x.with_dims(x.dims[0], params["output_height"], params["output_width"])}


def _build_adaptive_pool(params, inputs):
    import torch.nn as nn

    return nn.AdaptiveAvgPool2d((params["output_height"], params["output_width"]))


register(
    NodeType(
        type_id="layers.AdaptiveAvgPool2d",
        title="AdaptiveAvgPool2d",
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


register(
    NodeType(
        type_id="layers.Upsample",
        title="Upsample",
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
    )
)
