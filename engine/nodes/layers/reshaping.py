"""Flatten and Reshape: rearrange the numbers of each sample, no weights."""

from __future__ import annotations

from math import prod

from engine.nodes.checks import (
    flat_features,
    require_batched,
)
from engine.nodes.layers.common import IN, OUT, SIZE_MAX
from engine.registry import (
    LayerCode,
    NodeType,
    NoImport,
    OnnxImport,
    OnnxMapping,
    Param,
    PyTorchImport,
    ShapeError,
    TensorSpec,
    Unmapped,
    register,
)
from engine.registry.codegen import plain
from engine.registry.traits import LINEAR_MAP

# --- Reshaping -------------------------------------------------------------------------------


def _infer_flatten(params, inputs):
    x = inputs["in"]
    require_batched(x)
    if x.rank == 1:
        raise ShapeError(
            f"gets {x.bracket()}, one value per sample: there is nothing to flatten",
            "remove the Flatten, or use a Reshape to [1] to get [B, 1]",
        )
    return {"out": TensorSpec((x.features,), x.dtype, True, x.num_classes)}


def _build_flatten(params, inputs):
    import torch.nn as nn

    return nn.Flatten()


def _flatten_params(m) -> dict:
    if m.start_dim != 1 or m.end_dim != -1:
        raise Unmapped(f"flattens dims {m.start_dim} to {m.end_dim}; Netwright's Flatten keeps the batch only")
    return {}


def _flatten_from_onnx(op) -> OnnxMapping:
    if int(op.attrs.get("axis", 1)) != 1:
        raise Unmapped("flattens from an axis other than 1; Netwright's Flatten keeps the batch only")
    return OnnxMapping()


register(
    NodeType(
        type_id="layers.Flatten",
        title="Flatten",
        aliases=("vectorize", "ravel"),
        category="layers",
        help=(
            "Turns each sample into one long vector, keeping the batch: [B, 16, 4, 4] becomes "
            "[B, 256]. Put it between the convolutional part of a CNN and its Linear head, which "
            "needs flat features. It has no weights; it only changes how the numbers are arranged."
        ),
        inputs=IN,
        outputs=OUT,
        params=(),
        infer=_infer_flatten,
        build=_build_flatten,
        traits=(LINEAR_MAP,),
        codegen=plain("Flatten"),
        # torch.flatten and x.view(B, -1) are recognised by comparing shapes, in the importer
        pytorch_import=PyTorchImport(modules=("Flatten",), module_params=_flatten_params),
        onnx_import=OnnxImport(ops=("Flatten",), map=_flatten_from_onnx),
    )
)


def _infer_reshape(params, inputs):
    x = inputs["in"]
    require_batched(x)
    shape = list(params["shape"])
    wanted = "[" + ", ".join(str(d) for d in shape) + "]"
    if 0 in shape:
        raise ShapeError(
            f"has shape {wanted} with a 0, but every axis needs at least one value",
            "use -1 for the one axis whose size should be computed",
        )
    if shape.count(-1) > 1:
        raise ShapeError(
            f"has shape {wanted} with more than one -1; only one axis can be computed",
            "give every axis a size except one",
        )
    have = f"{flat_features(x)} values per sample" if x.dims else "1 value per sample"
    known = prod(d for d in shape if d != -1)
    if -1 in shape:
        if x.features % known:
            raise ShapeError(
                f"gets {x.bracket()} ({have}) but the other axes of {wanted} hold {known}, "
                f"and {x.features} / {known} is not a whole number",
                f"choose sizes whose product divides {x.features}",
            )
        shape[shape.index(-1)] = x.features // known
    elif known != x.features:
        product = " x ".join(str(d) for d in shape)
        raise ShapeError(
            f"gets {x.bracket()} ({have}) but shape {wanted} holds {product} = {known}",
            f"the sizes must multiply to {x.features}; write -1 for one axis to have it computed",
        )
    return {"out": TensorSpec(tuple(shape), x.dtype, True, x.num_classes)}


def _build_reshape(params, inputs):
    from engine.nodes.modules import Reshape

    return Reshape(tuple(params["shape"]))


def _reshape_code(c) -> list[str]:
    sizes = ", ".join(str(s) for s in c.params["shape"])
    return [f"{c.node_id} = {c.x}.reshape({c.x}.shape[0], {sizes})"]


FROM_SHAPES = (
    "no per-call mapping: the importers compare the shapes before and after view, reshape, flatten, "
    "squeeze, unsqueeze (PyTorch) or Reshape (ONNX) and add a Reshape or Flatten node"
)


register(
    NodeType(
        type_id="layers.Reshape",
        title="Reshape",
        aliases=("view",),
        category="layers",
        help=(
            "Rearranges the values of each sample into a new shape, keeping the batch: [B, 784] "
            "with shape 1, 28, 28 becomes [B, 1, 28, 28], ready for a Conv2d. The batch axis is "
            "never written; one axis may be -1 and is then computed from the others. The sizes "
            "must multiply to the number of values per sample; nothing is added or dropped, and "
            "no weights are learned."
        ),
        inputs=IN,
        outputs=OUT,
        params=(
            Param(
                "shape",
                "ints",
                [-1],
                "Size of each sample after reshaping, without B; one entry may be -1.",
                minimum=-1,
                maximum=SIZE_MAX,
                min_length=1,
            ),
        ),
        traits=(LINEAR_MAP,),
        infer=_infer_reshape,
        build=_build_reshape,
        codegen=LayerCode(forward=_reshape_code),
        pytorch_import=NoImport(FROM_SHAPES),
        onnx_import=NoImport(FROM_SHAPES),
    )
)
