"""Dropout and normalization layers: regularize and stabilize training."""

from __future__ import annotations

from engine.nodes.checks import (
    require_batched,
    require_float,
)
from engine.nodes.layers.common import IN, OUT, reshape_fix
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
from engine.registry.traits import LINEAR_MAP, NORMALIZATION

# --- Regularization and normalization --------------------------------------------------------


def _infer_same_float(params, inputs):
    x = inputs["in"]
    require_batched(x)
    require_float(x)
    return {"out": x}


def _build_dropout(params, inputs):
    import torch.nn as nn

    return nn.Dropout(params["p"])


def _batch_norm_code(kind: str) -> LayerCode:
    def make(c) -> str:
        p = c.params
        return call(
            f"nn.{kind}",
            c.spec.dims[0],
            **non_default(eps=(p["eps"], 1e-5), momentum=(p["momentum"], 0.1), affine=(p["affine"], True)),
        )

    return LayerCode(make)


def _batch_norm_params(m) -> dict:
    if not m.track_running_stats or m.momentum is None:
        raise Unmapped("has no running statistics (track_running_stats=False or momentum=None)")
    return {"eps": float(m.eps), "momentum": float(m.momentum), "affine": m.affine}


def _batch_norm_onnx(ranks: tuple[int, ...]) -> OnnxImport:
    def mapping(op) -> OnnxMapping | None:
        if op.rank(0) not in ranks:
            return None  # the other BatchNorm's input
        scale, shift, mean, var = (op.const(i) for i in range(1, 5))
        params = {
            "eps": op.attrs.get("epsilon", 1e-5),
            "momentum": round(1.0 - op.attrs.get("momentum", 0.9), 6),  # ONNX keeps the share of the old average
            "affine": True,
        }
        import numpy as np

        weights = {
            "weight": scale,
            "bias": shift,
            "running_mean": mean,
            "running_var": var,
            "num_batches_tracked": np.array(0, dtype=np.int64),
        }
        return OnnxMapping(params, weights, (0,), 1)

    return OnnxImport(ops=("BatchNormalization",), map=mapping)


def _layer_norm_params(m) -> dict:
    if len(m.normalized_shape) != 1 or (m.elementwise_affine and m.bias is None):
        raise Unmapped("normalizes more than the last axis, or has no bias")
    return {"eps": float(m.eps), "affine": m.elementwise_affine}


def _layer_norm_onnx(op) -> OnnxMapping:
    axis = int(op.attrs.get("axis", -1))
    if axis != -1 and axis != op.rank(0) - 1:
        raise Unmapped("normalizes more than the last axis")
    scale = op.const(1)
    shift = op.const(2, required=False)
    if shift is None:
        import numpy as np

        shift = np.zeros_like(scale)
    return OnnxMapping(
        {"eps": op.attrs.get("epsilon", 1e-5), "affine": True}, {"weight": scale, "bias": shift}, (0,), 1
    )


register(
    NodeType(
        type_id="layers.Dropout",
        title="Dropout",
        aliases=("regularization", "regularisation"),
        category="layers",
        help=(
            "While training, sets a random share p of the values to zero and scales the rest by "
            "1 / (1 - p); in evaluation it does nothing. Units cannot rely on one another, which "
            "fights overfitting: watch the gap between training and validation loss shrink. Too "
            "high a p makes the network underfit and learn slowly. Put it after an activation in "
            "the Linear head, typically with p between 0.2 and 0.5."
        ),
        inputs=IN,
        outputs=OUT,
        params=(
            Param("p", "float", 0.5, "Probability of zeroing each value while training.", minimum=0.0, maximum=0.99),
        ),
        infer=_infer_same_float,
        build=_build_dropout,
        traits=(LINEAR_MAP,),
        codegen=LayerCode(lambda c: call("nn.Dropout", p=c.params["p"])),
        pytorch_import=PyTorchImport(
            modules=("Dropout",),
            module_params=lambda m: {"p": float(m.p)},
            functions=("dropout",),
            signature=("input", "p", "training", "inplace"),
            function_params=lambda b: {"p": float(b.get("p", 0.5))},
        ),
        onnx_import=NoImport(
            "ONNX files hold the inference graph, where dropout does nothing: the importer passes a Dropout op through"
        ),
    )
)

NORM_PARAMS = (
    Param(
        "momentum",
        "float",
        0.1,
        "How fast the running mean and variance follow each batch.",
        minimum=0.0,
        maximum=1.0,
        advanced=True,
    ),
    Param(
        "eps",
        "float",
        1e-5,
        "Added to the variance for numerical stability.",
        minimum=1e-12,
        maximum=1.0,
        advanced=True,
    ),
    Param("affine", "bool", True, "Learn a scale and shift per channel after normalizing."),
)
BATCH_NORM_HELP = (
    "Each channel is normalized to mean 0 and variance 1 over the batch, then scaled and "
    "shifted by learned weights. This keeps activations in a good range so deeper networks "
    "train faster and tolerate larger learning rates. While training it uses the batch's "
    "statistics (a batch of one sample cannot be normalized), in evaluation the running "
    "averages, so training and validation outputs differ slightly."
)


def _infer_batch_norm(spatial: tuple[int, ...]):
    def infer(params, inputs):
        x = inputs["in"]
        require_batched(x)
        require_float(x)
        if x.rank in spatial:
            return {"out": x}
        if spatial == (4,):
            raise ShapeError(
                f"gets {x.bracket()} but needs images [B, channels, height, width]",
                "use BatchNorm1d for [B, features] or [B, channels, length]",
            )
        hint = "use BatchNorm2d for images" if x.rank == 4 else "it normalizes a feature axis: add a Reshape to [1]"
        raise ShapeError(f"gets {x.bracket()} but needs [B, features] or [B, channels, length]", hint)

    return infer


def _build_batch_norm(kind: str):
    def build(params, inputs):
        import torch.nn as nn

        norm = nn.BatchNorm1d if kind == "1d" else nn.BatchNorm2d
        return norm(inputs["in"].dims[0], eps=params["eps"], momentum=params["momentum"], affine=params["affine"])

    return build


register(
    NodeType(
        type_id="layers.BatchNorm1d",
        title="BatchNorm1d",
        aliases=("batch normalization", "normalization", "norm"),
        category="layers",
        help="Batch normalization for [B, features] or [B, channels, length]. " + BATCH_NORM_HELP,
        inputs=IN,
        outputs=OUT,
        params=NORM_PARAMS,
        infer=_infer_batch_norm((2, 3)),
        build=_build_batch_norm("1d"),
        has_weights=True,
        weight_init=False,  # a scale and a shift that start at 1 and 0, not drawn at random
        traits=(NORMALIZATION,),
        codegen=_batch_norm_code("BatchNorm1d"),
        pytorch_import=PyTorchImport(modules=("BatchNorm1d",), module_params=_batch_norm_params),
        onnx_import=_batch_norm_onnx((2, 3)),
    )
)

register(
    NodeType(
        type_id="layers.BatchNorm2d",
        title="BatchNorm2d",
        aliases=("batch normalization", "normalization", "norm"),
        category="layers",
        help="Batch normalization for images [B, channels, height, width]. " + BATCH_NORM_HELP,
        inputs=IN,
        outputs=OUT,
        params=NORM_PARAMS,
        infer=_infer_batch_norm((4,)),
        build=_build_batch_norm("2d"),
        has_weights=True,
        weight_init=False,  # a scale and a shift that start at 1 and 0, not drawn at random
        traits=(NORMALIZATION,),
        codegen=_batch_norm_code("BatchNorm2d"),
        pytorch_import=PyTorchImport(modules=("BatchNorm2d",), module_params=_batch_norm_params),
        onnx_import=_batch_norm_onnx((4,)),
    )
)


def _infer_layer_norm(params, inputs):
    x = inputs["in"]
    require_batched(x)
    require_float(x)
    if x.rank < 2:
        raise ShapeError(
            f"gets {x.bracket()} but needs a feature axis to normalize, [B, ..., features]",
            "add a Reshape to [1] before it, or remove it",
            fix=reshape_fix([1]),
        )
    return {"out": x}


def _build_layer_norm(params, inputs):
    import torch.nn as nn

    return nn.LayerNorm(inputs["in"].dims[-1], eps=params["eps"], elementwise_affine=params["affine"])


register(
    NodeType(
        type_id="layers.LayerNorm",
        title="LayerNorm",
        aliases=("layer normalization", "normalization", "norm"),
        category="layers",
        help=(
            "Normalizes each sample over its last axis to mean 0 and variance 1, then scales and "
            "shifts it by learned weights. Unlike BatchNorm it does not depend on the other samples "
            "in the batch, so it behaves the same in training and evaluation and works with a "
            "batch of one. It is the normalization of transformers and recurrent networks, applied "
            "to every time step of [B, T, F]."
        ),
        inputs=IN,
        outputs=OUT,
        params=(
            NORM_PARAMS[1],
            Param("affine", "bool", True, "Learn a scale and shift per feature after normalizing."),
        ),
        infer=_infer_layer_norm,
        build=_build_layer_norm,
        has_weights=True,
        weight_init=False,  # a scale and a shift that start at 1 and 0, not drawn at random
        traits=(NORMALIZATION,),
        codegen=LayerCode(
            lambda c: call(
                "nn.LayerNorm",
                c.spec.dims[-1],
                **non_default(eps=(c.params["eps"], 1e-5), elementwise_affine=(c.params["affine"], True)),
            )
        ),
        pytorch_import=PyTorchImport(modules=("LayerNorm",), module_params=_layer_norm_params),
        onnx_import=OnnxImport(ops=("LayerNormalization",), map=_layer_norm_onnx),
    )
)
