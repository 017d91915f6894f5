"""Operations on whole channels of feature maps: drop them (Dropout2d) or interleave groups (ChannelShuffle)."""

from __future__ import annotations

from engine.nodes.layers.common import IN, OUT, require_spatial
from engine.registry import (
    LayerCode,
    NodeType,
    NoImport,
    Param,
    PyTorchImport,
    ShapeError,
    register,
)
from engine.registry.codegen import call


def _infer_image(params, inputs):
    x = inputs["in"]
    require_spatial(x, 2)
    return {"out": x}


def _build_dropout2d(params, inputs):
    import torch.nn as nn

    return nn.Dropout2d(params["p"])


register(
    NodeType(
        type_id="layers.Dropout2d",
        title="Dropout2d",
        aliases=("spatial dropout", "channel dropout", "regularization"),
        category="layers",
        help=(
            "While training, zeroes whole channels of an image [B, C, H, W] at random (each with "
            "probability p) and scales the others by 1 / (1 - p); in evaluation it does nothing. "
            "Neighbouring pixels of a feature map are strongly correlated, so ordinary Dropout "
            "hardly regularizes a convolutional layer: the zeroed pixel is guessed from its "
            "neighbours. Dropping a whole map forces the next layer not to rely on any one filter."
        ),
        inputs=IN,
        outputs=OUT,
        params=(
            Param("p", "float", 0.5, "Probability of zeroing each channel while training.", minimum=0.0, maximum=0.99),
        ),
        infer=_infer_image,
        build=_build_dropout2d,
        codegen=LayerCode(lambda c: call("nn.Dropout2d", p=c.params["p"])),
        pytorch_import=PyTorchImport(
            modules=("Dropout2d",),
            module_params=lambda m: {"p": float(m.p)},
            functions=("dropout2d",),
            signature=("input", "p", "training", "inplace"),
            function_params=lambda b: {"p": float(b.get("p", 0.5))},
        ),
        onnx_import=NoImport(
            "ONNX files hold the inference graph, where dropout does nothing: exporters write Identity or nothing"
        ),
    )
)


def _infer_shuffle(params, inputs):
    x = inputs["in"]
    require_spatial(x, 2)
    channels, groups = x.dims[0], params["groups"]
    if channels % groups:
        raise ShapeError(
            f"gets {x.bracket()} with {channels} channels, which do not split into {groups} equal groups",
            f"use a number of groups that divides {channels}, the groups of the grouped Conv2d before it",
        )
    return {"out": x}


def _build_shuffle(params, inputs):
    import torch.nn as nn

    return nn.ChannelShuffle(params["groups"])


register(
    NodeType(
        type_id="layers.ChannelShuffle",
        title="Channel Shuffle",
        aliases=("shuffle", "shufflenet"),
        category="layers",
        help=(
            "Interleaves the channels of groups: with 2 groups, channels a1 a2 a3 b1 b2 b3 become "
            "a1 b1 a2 b2 a3 b3. ShuffleNet puts it after a grouped convolution, whose groups never "
            "see each other's channels; after the shuffle the next grouped convolution mixes "
            "information across all of them at no cost in weights. The shape is unchanged, and the "
            "channels must split into equal groups."
        ),
        inputs=IN,
        outputs=OUT,
        params=(Param("groups", "int", 2, "Number of channel groups to interleave.", minimum=1, maximum=65536),),
        infer=_infer_shuffle,
        build=_build_shuffle,
        codegen=LayerCode(lambda c: call("nn.ChannelShuffle", c.params["groups"])),
        pytorch_import=PyTorchImport(
            modules=("ChannelShuffle",),
            module_params=lambda m: {"groups": int(m.groups)},
            functions=("channel_shuffle", "native_channel_shuffle"),
            signature=("input", "groups"),
            function_params=lambda b: {"groups": int(b["groups"])},
        ),
        onnx_import=NoImport(
            "ONNX has no channel-shuffle operator: exporters write Reshape, Transpose, Reshape, which import as "
            "those nodes"
        ),
    )
)
