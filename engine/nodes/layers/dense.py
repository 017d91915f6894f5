"""Dense layers: every output connected to every input."""

from __future__ import annotations

from engine.nodes.checks import (
    flat_features,
    require_batched,
    require_float,
)
from engine.nodes.layers.common import BIAS, IN, OUT, SIZE_MAX, reshape_fix
from engine.registry import NodeType, Param, ShapeError, register
from engine.registry.fixes import InsertNode

# --- Dense -----------------------------------------------------------------------------------


def _infer_linear(params, inputs):
    x = inputs["in"]
    require_batched(x)
    require_float(x)
    if x.rank == 1:
        raise ShapeError(
            f"gets {x.bracket()} (one number per sample, no feature axis) but needs [B, features]",
            "add a Reshape to [1] before it",
            fix=reshape_fix([1]),
        )
    if x.rank > 3:
        raise ShapeError(
            f"gets {x.bracket()} but needs a flat [B, features] input",
            f"insert Flatten ({flat_features(x)} features)",
            fix=InsertNode("layers.Flatten"),
        )
    return {"out": x.with_dims(*x.dims[:-1], params["out_features"])}


def _build_linear(params, inputs):
    import torch.nn as nn

    return nn.Linear(inputs["in"].dims[-1], params["out_features"], bias=params["bias"])


register(
    NodeType(
        type_id="layers.Linear",
        title="Linear",
        category="layers",
        help=(
            "A fully connected (dense) layer: every output is a weighted sum of all inputs plus a "
            "bias, y = xW^T + b. Stacks of Linear layers with activations between them form a "
            "feedforward network (multi-layer perceptron). Without an activation between two "
            "Linear layers they collapse into one, so put a ReLU or Tanh in between. The input "
            "size is taken from the incoming edge; on a sequence [B, T, F] it is applied to each "
            "step."
        ),
        inputs=IN,
        outputs=OUT,
        params=(
            Param("out_features", "int", 64, "Number of outputs (neurons).", minimum=1, maximum=SIZE_MAX),
            BIAS,
        ),
        infer=_infer_linear,
        build=_build_linear,
        has_weights=True,
        legacy_ids=("layers.Dense",),
    )
)
