"""Attention: self-attention, the transformer encoder layer, and learned positions for them."""

from __future__ import annotations

from engine.nodes.checks import require_batched, require_float
from engine.nodes.layers.common import IN, OUT
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

DECOMPOSED = (
    "exporters write attention as MatMul, Softmax, Transpose and LayerNormalization operators, which import as "
    "those nodes where Netwright has one"
)


def _sequence(x, what: str):
    require_batched(x)
    require_float(x)
    if x.rank != 3:
        raise ShapeError(
            f"gets {x.bracket()} but {what} needs a sequence of token vectors [B, T, features]",
            "put an Embedding (token ids) or a Linear layer on each step before it; an image needs a Reshape "
            "and Transpose to [patches, features] first",
        )
    return x


def _check_heads(x, heads: int) -> None:
    features = x.dims[1]
    if features % heads:
        divisors = [d for d in range(1, min(features, 64) + 1) if features % d == 0]
        raise ShapeError(
            f"gets {x.bracket()} with {features} features per token, which do not split into {heads} heads",
            f"each head gets features / heads values: use a num_heads that divides {features} "
            f"({', '.join(map(str, divisors[-4:]))}), or change the features before it",
        )


# --- Learned positions ------------------------------------------------------------------------------


def _infer_positions(params, inputs):
    return {"out": _sequence(inputs["in"], "a positional embedding")}


def _build_positions(params, inputs):
    from engine.nodes.modules import PositionalEmbedding

    length, features = inputs["in"].dims
    return PositionalEmbedding(length, features)


def _positions_from_onnx(op) -> OnnxMapping | None:
    """An Add of a stored [1, T, F] table to a computed sequence is a learned positional embedding."""
    consts = [i for i in (0, 1) if op.is_const(i)]
    if len(consts) != 1:
        return None
    table = op.const(consts[0])
    if table.ndim == 3 and table.shape[0] == 1:
        table = table[0]
    if table.ndim != 2 or op.rank(1 - consts[0]) != 3:
        return None
    return OnnxMapping({}, {"weight": table}, (1 - consts[0],), consts[0])


register(
    NodeType(
        type_id="layers.PositionalEmbedding",
        title="Positional Embedding",
        aliases=("position embedding", "positional encoding", "learned positions"),
        category="layers",
        help=(
            "Adds a learned vector to each position of a sequence [B, T, features]: position 0 gets "
            "one vector, position 1 another, and so on. Attention by itself does not know the order "
            "of the tokens (shuffling them shuffles the output the same way), so transformers add "
            "positions before the first encoder layer, as BERT and ViT do with learned tables. The "
            "table has T x features weights, so the sequence length is fixed by the input."
        ),
        inputs=IN,
        outputs=OUT,
        params=(),
        infer=_infer_positions,
        build=_build_positions,
        has_weights=True,  # init default: BERT's normal(0, 0.02)
        # an nn.Embedding holds the [T, features] table in the python export: same state_dict, plain torch
        codegen=LayerCode(
            lambda c: call("nn.Embedding", *c.spec.dims), lambda c: [f"{c.node_id} = {c.x} + self.{c.node_id}.weight"]
        ),
        pytorch_import=NoImport(
            "torch.nn has no positional embedding class: models add an nn.Parameter, which the importer reports"
        ),
        onnx_import=OnnxImport(ops=("Add",), map=_positions_from_onnx),
    )
)


# --- Self-attention ---------------------------------------------------------------------------------


def _infer_attention(params, inputs):
    x = _sequence(inputs["in"], "self-attention")
    _check_heads(x, params["num_heads"])
    return {"out": x}


def _build_attention(params, inputs):
    from engine.nodes.modules import SelfAttention

    features = inputs["in"].dims[1]
    return SelfAttention(features, params["num_heads"], dropout=params["dropout"], bias=params["bias"])


def _attention_params(m) -> dict:
    if not m.batch_first:
        raise Unmapped("takes [T, B, features] (batch_first=False); Netwright's sequences are batch first")
    if not m._qkv_same_embed_dim or m.bias_k is not None or m.add_zero_attn:
        raise Unmapped(
            "has its own key/value sizes, bias_k/bias_v or add_zero_attn; Netwright's is plain self-attention"
        )
    return {"num_heads": m.num_heads, "dropout": float(m.dropout), "bias": m.in_proj_bias is not None}


def _self_attention_call(args: tuple, kwargs: dict) -> tuple[list, int]:
    """attn(x, x, x, need_weights=False)[0]: self-attention on x, its output the tuple's first element."""
    names = ("query", "key", "value", "key_padding_mask", "need_weights", "attn_mask", "average_attn_weights")
    bound = dict(zip(names, args, strict=False)) | dict(kwargs)
    if not all(k in bound for k in names[:3]) or not (bound["query"] is bound["key"] is bound["value"]):
        raise Unmapped(
            "attends from one sequence to another (query, key and value differ); Netwright's is self-attention"
        )
    for name in ("key_padding_mask", "attn_mask"):
        if bound.get(name) is not None:
            raise Unmapped(f"is given a {name}; Netwright's self-attention attends to every token")
    if bound.get("is_causal"):
        raise Unmapped("is causal; Netwright's self-attention attends to every token")
    return [bound["query"]], 0


HEADS = Param("num_heads", "int", 2, "Attention heads; each looks at features / heads values.", minimum=1, maximum=256)
ATTENTION_DROPOUT = Param(
    "dropout", "float", 0.0, "Dropout on the attention weights while training.", minimum=0.0, maximum=0.99
)

register(
    NodeType(
        type_id="layers.SelfAttention",
        title="Self-Attention",
        aliases=("multihead attention", "MultiheadAttention", "attention", "transformer"),
        category="layers",
        help=(
            "Multi-head self-attention over a sequence [B, T, features]: every token looks at every "
            "other token, weighs them by how well its query matches their keys, and takes the "
            "weighted mix of their values. It lets a token use context from anywhere in the "
            "sequence in one step, where a recurrent layer passes it along step by step. The "
            "output has the input's shape. Its cost grows with T squared; num_heads must divide the "
            "features. Add positions first: attention alone ignores the order."
        ),
        inputs=IN,
        outputs=OUT,
        params=(HEADS, ATTENTION_DROPOUT, Param("bias", "bool", True, "Learned biases in the projections.")),
        infer=_infer_attention,
        build=_build_attention,
        has_weights=True,
        codegen=LayerCode(
            lambda c: call(
                "nn.MultiheadAttention",
                c.spec.dims[1],
                c.params["num_heads"],
                **non_default(dropout=(c.params["dropout"], 0.0), bias=(c.params["bias"], True)),
                batch_first=True,
            ),
            lambda c: [f"{c.node_id} = self.{c.node_id}({c.x}, {c.x}, {c.x}, need_weights=False)[0]"],
        ),
        pytorch_import=PyTorchImport(
            modules=("MultiheadAttention",), module_params=_attention_params, module_call=_self_attention_call
        ),
        onnx_import=NoImport(DECOMPOSED),
    )
)


# --- Transformer encoder layer ----------------------------------------------------------------------


def _infer_encoder(params, inputs):
    x = _sequence(inputs["in"], "a transformer encoder layer")
    _check_heads(x, params["num_heads"])
    return {"out": x}


def _build_encoder(params, inputs):
    import torch.nn as nn

    return nn.TransformerEncoderLayer(
        inputs["in"].dims[1],
        params["num_heads"],
        dim_feedforward=params["feedforward"],
        dropout=params["dropout"],
        activation=params["activation"],
        layer_norm_eps=params["eps"],
        batch_first=True,
        norm_first=params["norm_first"],
        bias=params["bias"],
    )


def _encoder_code(c) -> str:
    p = c.params
    return call(
        "nn.TransformerEncoderLayer",
        c.spec.dims[1],
        p["num_heads"],
        dim_feedforward=p["feedforward"],
        **non_default(
            dropout=(p["dropout"], 0.1),
            activation=(p["activation"], "relu"),
            layer_norm_eps=(p["eps"], 1e-5),
        ),
        batch_first=True,
        **non_default(norm_first=(p["norm_first"], False), bias=(p["bias"], True)),
    )


def _encoder_params(m) -> dict:
    import torch.nn.functional as F

    if not m.self_attn.batch_first:
        raise Unmapped("takes [T, B, features] (batch_first=False); Netwright's sequences are batch first")
    activation = {F.relu: "relu", F.gelu: "gelu"}.get(m.activation)
    if activation is None:
        raise Unmapped(f"uses the activation {m.activation!r}; Netwright's encoder layer has relu or gelu")
    return {
        "num_heads": m.self_attn.num_heads,
        "feedforward": m.linear1.out_features,
        "dropout": float(m.dropout.p),
        "activation": activation,
        "eps": float(f"{m.norm1.eps:.6g}"),
        "norm_first": bool(m.norm_first),
        "bias": m.linear1.bias is not None,
    }


register(
    NodeType(
        type_id="layers.TransformerEncoderLayer",
        title="Transformer Encoder Layer",
        aliases=("transformer", "encoder", "bert", "attention block"),
        category="layers",
        help=(
            "One block of a transformer encoder on a sequence [B, T, features]: self-attention, then "
            "a two-layer feed-forward network applied to each token, each wrapped in a residual "
            "connection and a layer norm (torch's nn.TransformerEncoderLayer). Stack a few of them "
            "after an Embedding and a Positional Embedding, then average over the tokens (Mean) for "
            "a text classifier. norm_first puts the norms before each part, which trains more "
            "stably in deep stacks; num_heads must divide the features."
        ),
        inputs=IN,
        outputs=OUT,
        params=(
            HEADS,
            Param(
                "feedforward", "int", 64, "Hidden size of the per-token feed-forward network.", minimum=1, maximum=65536
            ),
            Param("dropout", "float", 0.1, "Dropout inside the block while training.", minimum=0.0, maximum=0.99),
            Param(
                "activation",
                "choice",
                "relu",
                "Activation of the feed-forward network (gelu in BERT and ViT).",
                choices=("relu", "gelu"),
            ),
            Param("norm_first", "bool", False, "Layer norm before attention and feed-forward (pre-norm)."),
            Param(
                "eps",
                "float",
                1e-5,
                "Small number added to the variance in the layer norms.",
                minimum=1e-12,
                maximum=1.0,
                advanced=True,
            ),
            Param("bias", "bool", True, "Learned biases in the linear layers and norms.", advanced=True),
        ),
        infer=_infer_encoder,
        build=_build_encoder,
        has_weights=True,
        codegen=LayerCode(_encoder_code),
        pytorch_import=PyTorchImport(modules=("TransformerEncoderLayer",), module_params=_encoder_params),
        # No per-operator mapping: the post-norm ReLU layer is found as a whole pattern of its operators
        # by engine.importers.onnx_patterns.find_transformer_encoder; other forms import as their parts.
        onnx_import=NoImport(DECOMPOSED),
    )
)
