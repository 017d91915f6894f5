"""Embeddings and recurrent layers (RNN, LSTM, GRU) for sequences."""

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
from engine.registry.weight_init import FORGET_BIAS

# --- Embeddings and recurrent layers ---------------------------------------------------------


def _infer_embedding(params, inputs):
    x = inputs["in"]
    require_batched(x)
    if not x.is_labels:
        raise ShapeError(
            f"gets float features {x.bracket()} but needs integer ids [B] or [B, T]",
            "Embedding looks up a learned vector per id; for float features use Linear",
        )
    if x.rank > 2:
        raise ShapeError(f"gets ids {x.bracket()} but needs [B] or [B, T]", "add a Flatten before it")
    if not x.num_classes:
        raise ShapeError(
            f"gets ids {x.bracket()} but does not know how many distinct ids there are",
            "set num_classes on the Input node that produces them",
        )
    return {"out": x.with_dims(*x.dims, params["embedding_dim"])}


def _build_embedding(params, inputs):
    import torch.nn as nn

    return nn.Embedding(inputs["in"].num_classes, params["embedding_dim"])


def _embedding_from_onnx(op) -> OnnxMapping | None:
    """Gather of rows from a stored [ids, features] table by computed ids is an Embedding."""
    if not op.is_const(0) or op.is_const(1) or int(op.attrs.get("axis", 0)) != 0:
        return None  # a Gather picking from a computed tensor: no node's
    table = op.const(0)
    if table.ndim != 2:
        return None
    return OnnxMapping({"embedding_dim": int(table.shape[1])}, {"weight": table}, (1,), 0)


def _embedding_params(module) -> dict:
    """The number of rows comes from the Input's num_classes, which the PyTorch importer sets from the table."""
    for name, default in (("padding_idx", None), ("max_norm", None), ("scale_grad_by_freq", False), ("sparse", False)):
        if getattr(module, name) != default:
            raise Unmapped(f"has {name}={getattr(module, name)!r}; Netwright's Embedding has no such setting")
    return {"embedding_dim": module.embedding_dim}


register(
    NodeType(
        type_id="layers.Embedding",
        title="Embedding",
        aliases=("lookup table", "word vectors", "token embedding"),
        category="layers",
        help=(
            "A learned lookup table: each integer id (a word, a character, a category) is replaced "
            "by its own vector of embedding_dim numbers, turning [B, T] ids into [B, T, "
            "embedding_dim]. Similar ids end up with similar vectors as training goes on. The "
            "number of rows is the number of distinct ids, taken from the incoming edge. Feeding "
            "ids straight into a Linear layer would treat id 7 as 'more' than id 3; an embedding "
            "does not."
        ),
        inputs=IN,
        outputs=OUT,
        params=(
            Param("embedding_dim", "int", 32, "Length of the vector learned for each id.", minimum=1, maximum=65536),
        ),
        infer=_infer_embedding,
        build=_build_embedding,
        has_weights=True,
        codegen=LayerCode(lambda c: call("nn.Embedding", c.spec.num_classes, c.params["embedding_dim"])),
        pytorch_import=PyTorchImport(modules=("Embedding",), module_params=_embedding_params),
        onnx_import=OnnxImport(ops=("Gather",), map=_embedding_from_onnx),
    )
)

RECURRENT_PARAMS = (
    Param("hidden_size", "int", 64, "Size of the hidden state (features out per direction).", minimum=1, maximum=65536),
    Param("num_layers", "int", 1, "Recurrent layers stacked on top of each other.", minimum=1, maximum=16),
    Param(
        "dropout", "float", 0.0, "Dropout between stacked layers (needs num_layers >= 2).", minimum=0.0, maximum=0.99
    ),
    Param("bidirectional", "bool", False, "Also read the sequence backwards; doubles the output features."),
    Param(
        "output",
        "choice",
        "last_step",
        "last_step: [B, H] to classify or predict the next value; all_steps: "
        "[B, T, H] for per-step outputs or another recurrent layer.",
        choices=("last_step", "all_steps"),
    ),
)
RECURRENT_HELP = (
    " It reads a sequence [B, T, F] one time step at a time (batch first), carrying a hidden "
    "state forward. With output last_step it gives one vector per sequence (for a "
    "bidirectional layer: the forward direction after the last step joined with the backward "
    "one after the first); with all_steps one vector per step, which another recurrent layer "
    "can take. A series [B, T] needs a Reshape to [T, 1] first (one feature per step)."
)


def _infer_recurrent(params, inputs):
    x = inputs["in"]
    require_batched(x)
    require_float(x)
    if x.rank != 3:
        hint, fix = "reshape it to [T, features]", None
        if x.rank == 2:
            hint = f"insert a Reshape to [{x.dims[0]}, 1]: {x.dims[0]} time steps of 1 feature"
            fix = reshape_fix([x.dims[0], 1])
        elif x.rank == 4 and x.dims[0] == 1:
            hint = f"insert a Reshape to [{x.dims[1]}, {x.dims[2]}] to read each image row as a time step"
            fix = reshape_fix([x.dims[1], x.dims[2]])
        raise ShapeError(f"gets {x.bracket()} but needs a sequence [B, time steps, features]", hint, fix)
    if params["dropout"] > 0 and params["num_layers"] == 1:
        raise ShapeError(
            f"has dropout {params['dropout']:g} but it only acts between stacked layers, and num_layers is 1",
            "set num_layers to 2 or more, or set dropout to 0 and put a Dropout node after this layer",
        )
    features = params["hidden_size"] * (2 if params["bidirectional"] else 1)
    if params["output"] == "last_step":
        return {"out": x.with_dims(features)}
    return {"out": x.with_dims(x.dims[0], features)}


def _recurrent_build(kind: str):
    def build(params, inputs):
        from engine.nodes import modules

        extra = {"nonlinearity": params["nonlinearity"]} if kind == "RNN" else {}
        return getattr(modules, kind)(
            inputs["in"].dims[-1],
            params["hidden_size"],
            num_layers=params["num_layers"],
            dropout=params["dropout"],
            bidirectional=params["bidirectional"],
            last_step=params["output"] == "last_step",
            **extra,
        )

    return build


def _recurrent_code(kind: str) -> LayerCode:
    def layer(c) -> str:
        p = c.params
        extra = non_default(
            num_layers=(p["num_layers"], 1),
            dropout=(p["dropout"], 0.0),
            bidirectional=(p["bidirectional"], False),
            nonlinearity=(p.get("nonlinearity", "tanh"), "tanh"),
        )
        return call(f"nn.{kind}", c.spec.dims[-1], p["hidden_size"], batch_first=True, **extra)

    def forward(c) -> list[str]:
        i = c.node_id
        if c.params["output"] == "all_steps":
            return [f"{i}, _ = self.{i}({c.x})"]
        # The last step from the final hidden state: correct for bidirectional layers too, where
        # the backward direction ends at the first time step.
        state = "(h_n, _)" if kind == "LSTM" else "h_n"
        last = "torch.cat((h_n[-2], h_n[-1]), dim=1)" if c.params["bidirectional"] else "h_n[-1]"
        return [f"_, {state} = self.{i}({c.x})", f"{i} = {last}"]

    return LayerCode(layer, forward)


def _recurrent_params(m) -> dict:
    """Params of a torch recurrent module but `output`, which the importer reads from how its result is used."""
    if not m.batch_first:
        raise Unmapped("has batch_first=False; Netwright's recurrent layers read [B, T, F] (batch_first=True)")
    if getattr(m, "proj_size", 0):
        raise Unmapped("uses proj_size, which Netwright's LSTM does not have")
    if not m.bias:
        raise Unmapped("has bias=False; Netwright's recurrent layers always have biases")
    params = {
        "hidden_size": m.hidden_size,
        "num_layers": m.num_layers,
        "dropout": float(m.dropout),
        "bidirectional": m.bidirectional,
    }
    if m.mode.startswith("RNN_"):
        params["nonlinearity"] = m.nonlinearity
    return params


# The ONNX LSTM, GRU and RNN operators do import, through engine/importers/onnx_recurrent.py: their gate order
# and weight layout must be converted and their surrounding transposes and states folded, which a one-operator
# mapping cannot say.
RECURRENT_ONNX = NoImport("imported by the recurrent pattern (engine/importers/onnx_recurrent.py), not per operator")


register(
    NodeType(
        type_id="layers.RNN",
        title="RNN",
        aliases=("recurrent", "elman", "sequence"),
        category="layers",
        help=(
            "A simple (Elman) recurrent layer: h_t = tanh(W x_t + U h_(t-1) + b), or relu instead of tanh."
            + RECURRENT_HELP
            + " Its gradients vanish or explode over long sequences, so it forgets what it saw "
            "more than a few dozen steps back; LSTM and GRU were made to fix that."
        ),
        inputs=IN,
        outputs=OUT,
        params=RECURRENT_PARAMS
        + (Param("nonlinearity", "choice", "tanh", "Activation of the hidden state.", choices=("tanh", "relu")),),
        infer=_infer_recurrent,
        build=_recurrent_build("RNN"),
        has_weights=True,
        codegen=_recurrent_code("RNN"),
        pytorch_import=PyTorchImport(modules=("RNN",), module_params=_recurrent_params),
        onnx_import=RECURRENT_ONNX,
    )
)

register(
    NodeType(
        type_id="layers.LSTM",
        title="LSTM",
        aliases=("recurrent", "long short-term memory", "sequence"),
        category="layers",
        help=(
            "Long short-term memory: a recurrent layer with a cell state and gates that decide "
            "what to keep, forget and output at every step."
            + RECURRENT_HELP
            + " The gates let gradients flow over long sequences, so it remembers far back where "
            "a plain RNN's gradients vanish; it has four times the weights of an RNN."
        ),
        inputs=IN,
        outputs=OUT,
        params=RECURRENT_PARAMS + (FORGET_BIAS,),
        infer=_infer_recurrent,
        build=_recurrent_build("LSTM"),
        has_weights=True,
        codegen=_recurrent_code("LSTM"),
        pytorch_import=PyTorchImport(modules=("LSTM",), module_params=_recurrent_params),
        onnx_import=RECURRENT_ONNX,
    )
)

register(
    NodeType(
        type_id="layers.GRU",
        title="GRU",
        aliases=("recurrent", "gated recurrent unit", "sequence"),
        category="layers",
        help=(
            "Gated recurrent unit: a recurrent layer with an update and a reset gate, simpler than "
            "an LSTM (no separate cell state, three quarters of its weights)."
            + RECURRENT_HELP
            + " It usually learns as well as an LSTM and a little faster."
        ),
        inputs=IN,
        outputs=OUT,
        params=RECURRENT_PARAMS,
        infer=_infer_recurrent,
        build=_recurrent_build("GRU"),
        has_weights=True,
        codegen=_recurrent_code("GRU"),
        pytorch_import=PyTorchImport(modules=("GRU",), module_params=_recurrent_params),
        onnx_import=RECURRENT_ONNX,
    )
)
