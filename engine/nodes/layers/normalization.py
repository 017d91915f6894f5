"""Dropout and normalization layers: regularize and stabilize training."""

from __future__ import annotations

from engine.nodes.checks import (
    require_batched,
    require_float,
)
from engine.nodes.layers.common import IN, OUT, reshape_fix
from engine.registry import NodeType, Param, ShapeError, register

# --- Regularization and normalization --------------------------------------------------------


def _infer_same_float(params, inputs):
    x = inputs["in"]
    require_batched(x)
    require_float(x)
    return {"out": x}


def _build_dropout(params, inputs):
    import torch.nn as nn

    return nn.Dropout(params["p"])


register(
    NodeType(
        type_id="layers.Dropout",
        title="Dropout",
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
        category="layers",
        help="Batch normalization for [B, features] or [B, channels, length]. " + BATCH_NORM_HELP,
        inputs=IN,
        outputs=OUT,
        params=NORM_PARAMS,
        infer=_infer_batch_norm((2, 3)),
        build=_build_batch_norm("1d"),
        has_weights=True,
    )
)

register(
    NodeType(
        type_id="layers.BatchNorm2d",
        title="BatchNorm2d",
        category="layers",
        help="Batch normalization for images [B, channels, height, width]. " + BATCH_NORM_HELP,
        inputs=IN,
        outputs=OUT,
        params=NORM_PARAMS,
        infer=_infer_batch_norm((4,)),
        build=_build_batch_norm("2d"),
        has_weights=True,
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
    )
)
