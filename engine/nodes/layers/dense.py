"""Dense layers: every output connected to every input."""

from __future__ import annotations

from engine.nodes.checks import (
    flat_features,
    require_batched,
    require_float,
)
from engine.nodes.layers.common import BIAS, IN, OUT, SIZE_MAX, reshape_fix
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
from engine.registry.fixes import InsertNode
from engine.registry.traits import AFFINE

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


def _linear_code(c) -> str:
    return call("nn.Linear", c.spec.dims[-1], c.params["out_features"], **non_default(bias=(c.params["bias"], True)))


def _linear_from_gemm(op) -> OnnxMapping:
    """Gemm computes alpha x A B' + beta x C; with a stored B and C that is a Linear layer."""
    if int(op.attrs.get("transA", 0)):
        raise Unmapped("transposes its input (transA)")
    weight = op.const(1) * op.attrs.get("alpha", 1.0)
    weight = weight if int(op.attrs.get("transB", 0)) else weight.T
    bias = op.const(2, required=False)
    weights = {"weight": weight}
    if bias is not None:
        import numpy as np

        weights["bias"] = np.broadcast_to(bias * op.attrs.get("beta", 1.0), (weight.shape[0],))
    return OnnxMapping({"out_features": int(weight.shape[0]), "bias": bias is not None}, weights, (0,), 1)


register(
    NodeType(
        type_id="layers.Linear",
        title="Linear",
        aliases=("dense", "fully connected", "fc", "perceptron", "affine"),
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
        traits=(AFFINE,),
        legacy_ids=("layers.Dense",),
        codegen=LayerCode(_linear_code),
        pytorch_import=PyTorchImport(
            modules=("Linear",), module_params=lambda m: {"out_features": m.out_features, "bias": m.bias is not None}
        ),
        onnx_import=OnnxImport(ops=("Gemm",), map=_linear_from_gemm),
    )
)
