"""Python source for every node type: one table keyed by type id.

A new node type without an entry here fails tests/engine/export/test_codegen.py, so the
`python` export format never silently misses a node.

Layer entries give the constructor that goes into `__init__` (`self.fc1 = nn.Linear(64, 128)`)
and the line that goes into `forward` (`fc1 = self.fc1(data_x)`); merge nodes are plain
expressions. Loss entries give the criterion's constructor, optimizer entries the torch
optimizer's. The constructors must build modules whose state_dict keys and values equal the
registry's builders', which the export verification checks on every export.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from engine.nodes.checks import axis_of
from engine.registry import TensorSpec


@dataclass(frozen=True)
class NodeContext:
    """What a node's code depends on: its id, params, connected input specs and argument names."""

    node_id: str
    params: dict[str, Any]
    inputs: dict[str, TensorSpec]  # port -> spec of what is connected
    args: list[str]  # the variables holding the connected inputs, in port order

    @property
    def x(self) -> str:
        return self.args[0]

    @property
    def spec(self) -> TensorSpec:
        return next(iter(self.inputs.values()))


@dataclass(frozen=True)
class LayerCode:
    """`layer` returns the constructor for __init__ (None: nothing to construct); `forward` the lines."""

    layer: Callable[[NodeContext], str] | None = None
    forward: Callable[[NodeContext], list[str]] | None = None

    def init_line(self, ctx: NodeContext) -> str | None:
        return None if self.layer is None else f"self.{ctx.node_id} = {self.layer(ctx)}"

    def forward_lines(self, ctx: NodeContext) -> list[str]:
        if self.forward is not None:
            return self.forward(ctx)
        return [f"{ctx.node_id} = self.{ctx.node_id}({', '.join(ctx.args)})"]


@dataclass(frozen=True)
class LossCode:
    """`criterion(params)` is the loss module's constructor; `helper` is source it needs, emitted once."""

    criterion: Callable[[dict[str, Any]], str]
    helper: str = ""


@dataclass(frozen=True)
class OptimizerCode:
    """`make(params)` is the torch.optim constructor taking `parameters`."""

    make: Callable[[dict[str, Any]], str]
    full_batch: bool = False


def call(name: str, *args: Any, **kwargs: Any) -> str:
    """`name(arg, key=value)`, values written as Python literals, keyword arguments in order."""
    parts = [str(a) for a in args] + [f"{k}={v!r}" for k, v in kwargs.items()]
    return f"{name}({', '.join(parts)})"


def _kwargs(**pairs: tuple[Any, Any]) -> dict[str, Any]:
    """`name=(value, torch default)` -> only the names whose value is not the default."""
    return {name: value for name, (value, default) in pairs.items() if value != default}


# -- layers ------------------------------------------------------------------------------------


def _linear(c: NodeContext) -> str:
    return call("nn.Linear", c.spec.dims[-1], c.params["out_features"], **_kwargs(bias=(c.params["bias"], True)))


def _conv(kind: str) -> Callable[[NodeContext], str]:
    def make(c: NodeContext) -> str:
        p = c.params
        return call(
            f"nn.{kind}",
            c.spec.dims[0],
            p["out_channels"],
            kernel_size=p["kernel_size"],
            **_kwargs(
                stride=(p["stride"], 1),
                padding=(p["padding"], 0),
                output_padding=(p.get("output_padding", 0), 0),
                dilation=(p["dilation"], 1),
                bias=(p["bias"], True),
            ),
        )

    return make


def _batch_norm(kind: str) -> Callable[[NodeContext], str]:
    def make(c: NodeContext) -> str:
        p = c.params
        return call(
            f"nn.{kind}",
            c.spec.dims[0],
            **_kwargs(eps=(p["eps"], 1e-5), momentum=(p["momentum"], 0.1), affine=(p["affine"], True)),
        )

    return make


def _layer_norm(c: NodeContext) -> str:
    p = c.params
    return call(
        "nn.LayerNorm", c.spec.dims[-1], **_kwargs(eps=(p["eps"], 1e-5), elementwise_affine=(p["affine"], True))
    )


def _recurrent(kind: str) -> LayerCode:
    def layer(c: NodeContext) -> str:
        p = c.params
        extra = _kwargs(
            num_layers=(p["num_layers"], 1),
            dropout=(p["dropout"], 0.0),
            bidirectional=(p["bidirectional"], False),
            nonlinearity=(p.get("nonlinearity", "tanh"), "tanh"),
        )
        return call(f"nn.{kind}", c.spec.dims[-1], p["hidden_size"], batch_first=True, **extra)

    def forward(c: NodeContext) -> list[str]:
        i = c.node_id
        if c.params["output"] == "all_steps":
            return [f"{i}, _ = self.{i}({c.x})"]
        # The last step from the final hidden state: correct for bidirectional layers too, where
        # the backward direction ends at the first time step.
        state = "(h_n, _)" if kind == "LSTM" else "h_n"
        last = "torch.cat((h_n[-2], h_n[-1]), dim=1)" if c.params["bidirectional"] else "h_n[-1]"
        return [f"_, {state} = self.{i}({c.x})", f"{i} = {last}"]

    return LayerCode(layer, forward)


def _pool(kind: str) -> Callable[[NodeContext], str]:
    def make(c: NodeContext) -> str:
        p = c.params
        extra = _kwargs(padding=(p["padding"], 0), dilation=(p.get("dilation", 1), 1))
        return call(f"nn.{kind}", kernel_size=p["kernel_size"], stride=p["stride"], **extra)

    return make


def _upsample(c: NodeContext) -> str:
    if c.params["mode"] == "bilinear":
        return call("nn.Upsample", scale_factor=c.params["scale_factor"], mode="bilinear", align_corners=False)
    return call("nn.Upsample", scale_factor=c.params["scale_factor"], mode="nearest")


def _reshape(c: NodeContext) -> list[str]:
    sizes = ", ".join(str(s) for s in c.params["shape"])
    return [f"{c.node_id} = {c.x}.reshape({c.x}.shape[0], {sizes})"]


def _softmax(kind: str) -> Callable[[NodeContext], str]:
    return lambda c: call(f"nn.{kind}", dim=axis_of(c.spec, c.params["dim"]))


def _constant_like(c: NodeContext) -> list[str]:
    value = float(c.params["value"])
    if not c.spec.is_labels:
        return [f"{c.node_id} = torch.full_like({c.x}, {value!r})"]
    shape = f"{c.x}.shape" if c.spec.dims else f"({c.x}.shape[0], 1)"
    return [f"{c.node_id} = torch.full({shape}, {value!r}, device={c.x}.device)"]


def _expression(template: str) -> Callable[[NodeContext], list[str]]:
    """A merge written inline, e.g. `{id} = {a} + {b}`."""
    return lambda c: [template.format(id=c.node_id, args=", ".join(c.args), a=c.args[0], b=c.args[-1])]


def _concat(c: NodeContext) -> list[str]:
    return [f"{c.node_id} = torch.cat(({', '.join(c.args)}), dim={axis_of(c.spec, c.params['dim'])})"]


def _real_fake(c: NodeContext) -> list[str]:
    real, fake, i = c.args[0], c.args[1], c.node_id
    return [
        f"{i}_out = torch.cat(({real}, {fake}), dim=0)  # real rows, then fake rows",
        f"{i}_is_real = torch.cat(({real}.new_ones({real}.shape[0], 1), {fake}.new_zeros({fake}.shape[0], 1)), dim=0)",
        f"{i}_fooled = 1.0 - {i}_is_real",
    ]


def _plain(name: str) -> Callable[[NodeContext], str]:
    return lambda c: f"nn.{name}()"


LAYERS: dict[str, LayerCode] = {
    "layers.Linear": LayerCode(_linear),
    "layers.Conv1d": LayerCode(_conv("Conv1d")),
    "layers.Conv2d": LayerCode(_conv("Conv2d")),
    "layers.ConvTranspose2d": LayerCode(_conv("ConvTranspose2d")),
    "layers.MaxPool1d": LayerCode(_pool("MaxPool1d")),
    "layers.MaxPool2d": LayerCode(_pool("MaxPool2d")),
    "layers.AvgPool2d": LayerCode(_pool("AvgPool2d")),
    "layers.AdaptiveAvgPool2d": LayerCode(
        lambda c: f"nn.AdaptiveAvgPool2d(({c.params['output_height']}, {c.params['output_width']}))"
    ),
    "layers.Upsample": LayerCode(_upsample),
    "layers.Flatten": LayerCode(_plain("Flatten")),
    "layers.Reshape": LayerCode(forward=_reshape),
    "layers.Dropout": LayerCode(lambda c: call("nn.Dropout", p=c.params["p"])),
    "layers.BatchNorm1d": LayerCode(_batch_norm("BatchNorm1d")),
    "layers.BatchNorm2d": LayerCode(_batch_norm("BatchNorm2d")),
    "layers.LayerNorm": LayerCode(_layer_norm),
    "layers.Embedding": LayerCode(lambda c: call("nn.Embedding", c.spec.num_classes, c.params["embedding_dim"])),
    "layers.RNN": _recurrent("RNN"),
    "layers.LSTM": _recurrent("LSTM"),
    "layers.GRU": _recurrent("GRU"),
    "activations.ReLU": LayerCode(_plain("ReLU")),
    "activations.LeakyReLU": LayerCode(lambda c: call("nn.LeakyReLU", negative_slope=c.params["negative_slope"])),
    "activations.Sigmoid": LayerCode(_plain("Sigmoid")),
    "activations.Tanh": LayerCode(_plain("Tanh")),
    "activations.Softmax": LayerCode(_softmax("Softmax")),
    "activations.LogSoftmax": LayerCode(_softmax("LogSoftmax")),
    "activations.GELU": LayerCode(lambda c: call("nn.GELU", **_kwargs(approximate=(c.params["approximate"], "none")))),
    "activations.ELU": LayerCode(lambda c: call("nn.ELU", alpha=c.params["alpha"])),
    "merge.Add": LayerCode(forward=_expression("{id} = {a} + {b}")),
    "merge.Multiply": LayerCode(forward=_expression("{id} = {a} * {b}")),
    "merge.Concat": LayerCode(forward=_concat),
    "merge.Detach": LayerCode(forward=_expression("{id} = {a}.detach()")),
    "merge.ConstantLike": LayerCode(forward=_constant_like),
    "merge.RealFakeBatch": LayerCode(forward=_real_fake),
}

# -- losses -------------------------------------------------------------------------------------

BCE_HELPER = '''
class BCEWithLogitsLabels(nn.BCEWithLogitsLoss):
    """BCEWithLogitsLoss that also takes 0/1 class labels, turned into floats of the prediction's shape."""

    def forward(self, prediction, target):
        if not target.is_floating_point():
            target = target.to(prediction.dtype).reshape(prediction.shape)
        return super().forward(prediction, target)
'''

KL_HELPER = '''
class KLDivergence(nn.Module):
    """KL(target || prediction) with prediction as log-probabilities; class labels become one-hot."""

    def forward(self, prediction, target):
        if not target.is_floating_point():
            target = F.one_hot(target, prediction.shape[1]).to(prediction.dtype)
        return F.kl_div(prediction, target, reduction="batchmean")
'''

LOSSES: dict[str, LossCode] = {
    "losses.CrossEntropy": LossCode(
        lambda p: call("nn.CrossEntropyLoss", **_kwargs(label_smoothing=(p["label_smoothing"], 0.0)))
    ),
    "losses.Hinge": LossCode(
        lambda p: call("nn.MultiMarginLoss", **_kwargs(p=(int(p["p"]), 1), margin=(p["margin"], 1.0)))
    ),
    "losses.MSE": LossCode(lambda p: "nn.MSELoss()"),
    "losses.L1": LossCode(lambda p: "nn.L1Loss()"),
    "losses.Huber": LossCode(lambda p: call("nn.HuberLoss", **_kwargs(delta=(p["delta"], 1.0)))),
    "losses.BCEWithLogits": LossCode(lambda p: "BCEWithLogitsLabels()", BCE_HELPER),
    "losses.KLDivergence": LossCode(lambda p: "KLDivergence()", KL_HELPER),
}

# -- optimizers ---------------------------------------------------------------------------------


def _sgd(p: dict[str, Any]) -> str:
    return call("torch.optim.SGD", "parameters", lr=p["lr"], **_kwargs(weight_decay=(p["weight_decay"], 0.0)))


def _adam(kind: str) -> Callable[[dict[str, Any]], str]:
    return lambda p: call(
        f"torch.optim.{kind}",
        "parameters",
        lr=p["lr"],
        betas=(p["beta1"], p["beta2"]),
        eps=p["eps"],
        weight_decay=p["weight_decay"],
    )


OPTIMIZERS: dict[str, OptimizerCode] = {
    "optimizers.GradientDescent": OptimizerCode(_sgd, full_batch=True),
    "optimizers.SGD": OptimizerCode(_sgd),
    "optimizers.Momentum": OptimizerCode(
        lambda p: call(
            "torch.optim.SGD",
            "parameters",
            lr=p["lr"],
            momentum=p["momentum"],
            **_kwargs(nesterov=(p["nesterov"], False), weight_decay=(p["weight_decay"], 0.0)),
        )
    ),
    "optimizers.Adam": OptimizerCode(_adam("Adam")),
    "optimizers.AdamW": OptimizerCode(_adam("AdamW")),
    "optimizers.RMSprop": OptimizerCode(
        lambda p: call(
            "torch.optim.RMSprop",
            "parameters",
            lr=p["lr"],
            alpha=p["alpha"],
            eps=p["eps"],
            **_kwargs(
                momentum=(p["momentum"], 0.0), centered=(p["centered"], False), weight_decay=(p["weight_decay"], 0.0)
            ),
        )
    ),
    "optimizers.Adagrad": OptimizerCode(
        lambda p: call(
            "torch.optim.Adagrad",
            "parameters",
            lr=p["lr"],
            eps=p["eps"],
            **_kwargs(lr_decay=(p["lr_decay"], 0.0), weight_decay=(p["weight_decay"], 0.0)),
        )
    ),
}

CODEGEN: dict[str, LayerCode | LossCode | OptimizerCode] = {**LAYERS, **LOSSES, **OPTIMIZERS}
