"""Optimizer nodes: each minimizes the losses wired into it by updating weights in its scope."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from engine.registry import NodeType, NoImport, OptimizerCode, Param, Port, ShapeError, register
from engine.registry.codegen import call, non_default

if TYPE_CHECKING:
    import torch

INPUTS = (Port("losses", "one or more losses to minimize (they are added)", multiple=True),)

# Params the trainer applies itself; every other param goes to the torch optimizer.
TRAINER_PARAMS = ("l1", "scope", "order")
NOT_IN_MODELS = NoImport("an optimizer belongs to training, not to the model's forward pass that importers read")
L2 = "L2 regularization: pulls weights towards zero."


def _common(lr: float, weight_decay: float = 0.0, decay_text: str = L2) -> tuple[Param, ...]:
    return (
        Param("lr", "float", lr, "Learning rate: how big a step each update takes.", minimum=1e-9, maximum=10.0),
        Param("weight_decay", "float", weight_decay, decay_text, minimum=0.0, maximum=10.0),
        Param(
            "l1",
            "float",
            0.0,
            "L1 regularization: adds l1 x sum |w|, driving weights to exactly zero.",
            minimum=0.0,
            maximum=10.0,
        ),
        Param(
            "scope",
            "node_ids",
            [],
            "Nodes whose weights this optimizer updates (empty: every trainable "
            "node upstream of its losses, not crossing Detach).",
            advanced=True,
        ),
        Param(
            "order",
            "int",
            0,
            "With several optimizers: lower steps first each batch.",
            minimum=0,
            maximum=100,
            advanced=True,
        ),
    )


def _infer_optimizer(params, inputs):
    for spec in inputs.get("losses", []):
        if spec.batched or spec.dims:
            raise ShapeError(
                f"gets {spec.bracket()} but needs a loss (a single number)",
                "connect the `loss` output of a loss node",
            )
    if params.get("nesterov") and params["momentum"] == 0:
        raise ShapeError(
            "has nesterov on but momentum 0; Nesterov's look-ahead needs momentum",
            "set momentum above 0 (0.9 is usual), or turn nesterov off",
        )
    return {}


def optimizer(
    type_id: str,
    title: str,
    help_text: str,
    lr: float,
    extra: tuple[Param, ...] = (),
    weight_decay: float = 0.0,
    decay_text: str = L2,
    *,
    code: OptimizerCode,
) -> NodeType:
    return register(
        NodeType(
            type_id=type_id,
            title=title,
            category="optimizers",
            help=help_text,
            inputs=INPUTS,
            outputs=(),
            params=_common(lr, weight_decay, decay_text) + extra,
            infer=_infer_optimizer,
            codegen=code,
            pytorch_import=NOT_IN_MODELS,
            onnx_import=NOT_IN_MODELS,
        )
    )


def _torch_optim(name: str):
    import torch

    return getattr(torch.optim, name)


def _sgd_source(p: dict[str, Any]) -> str:
    return call("torch.optim.SGD", "parameters", lr=p["lr"], **non_default(weight_decay=(p["weight_decay"], 0.0)))


def _sgd(full_batch: bool) -> OptimizerCode:
    return OptimizerCode(
        _sgd_source, lambda p, w, common: _torch_optim("SGD")(w, **common), full_batch=full_batch, fused=True
    )


def _adam(kind: str) -> OptimizerCode:
    return OptimizerCode(
        lambda p: call(
            f"torch.optim.{kind}",
            "parameters",
            lr=p["lr"],
            betas=(p["beta1"], p["beta2"]),
            eps=p["eps"],
            weight_decay=p["weight_decay"],
        ),
        lambda p, w, common: _torch_optim(kind)(w, betas=(p["beta1"], p["beta2"]), eps=p["eps"], **common),
        fused=True,
    )


def _eps(default: float) -> Param:
    return Param(
        "eps",
        "float",
        default,
        "Added to the denominator for numerical stability.",
        minimum=0.0,
        maximum=1.0,
        advanced=True,
    )


BETAS = (
    Param("beta1", "float", 0.9, "Decay of the gradient average (momentum).", minimum=0.0, maximum=0.9999),
    Param("beta2", "float", 0.999, "Decay of the squared-gradient average.", minimum=0.0, maximum=0.99999),
    _eps(1e-8),
)

optimizer(
    "optimizers.GradientDescent",
    "Gradient Descent (full batch)",
    "Plain gradient descent: every step computes the gradient on the whole training set and "
    "moves each weight against it by lr x gradient. The steps are exact but there is only "
    "one per epoch, and the whole set must fit in memory. SGD instead takes a step after "
    "every mini-batch: noisier, but many more steps per epoch, and the noise helps it leave "
    "flat regions. Use it on small datasets to see the textbook algorithm.",
    0.1,
    code=_sgd(full_batch=True),
)

optimizer(
    "optimizers.SGD",
    "SGD",
    "Stochastic gradient descent: after every mini-batch each weight moves against its "
    "gradient by lr x gradient. The gradient of a mini-batch is a noisy estimate of the "
    "full one, which makes many cheap steps per epoch possible. It is sensitive to the "
    "learning rate: too high diverges (the loss jumps up or becomes NaN), too low crawls. "
    "Momentum usually converges faster.",
    0.01,
    code=_sgd(full_batch=False),
)

optimizer(
    "optimizers.Momentum",
    "SGD with Momentum",
    "SGD whose steps keep a running velocity: each update adds the gradient to momentum x "
    "the previous step, like a ball rolling downhill. It speeds up along consistent "
    "directions and damps zig-zagging across narrow valleys, usually converging much faster "
    "than plain SGD. Nesterov momentum looks ahead to where the velocity is taking the "
    "weights before computing the gradient, which often helps a little more. With high "
    "momentum lower the learning rate, or the weights overshoot.",
    0.01,
    (
        Param("momentum", "float", 0.9, "Share of the previous step kept in the next one.", minimum=0.0, maximum=0.999),
        Param("nesterov", "bool", False, "Use Nesterov's look-ahead momentum."),
    ),
    code=OptimizerCode(
        lambda p: call(
            "torch.optim.SGD",
            "parameters",
            lr=p["lr"],
            momentum=p["momentum"],
            **non_default(nesterov=(p["nesterov"], False), weight_decay=(p["weight_decay"], 0.0)),
        ),
        lambda p, w, common: _torch_optim("SGD")(w, momentum=p["momentum"], nesterov=p["nesterov"], **common),
        fused=True,
    ),
)

optimizer(
    "optimizers.Adam",
    "Adam",
    "Adaptive moment estimation: keeps a running average of each weight's gradient (momentum) "
    "and of its square, and scales every step by them, so each weight gets its own step "
    "size. The default choice: it works well with little tuning (lr 0.001). Weight decay "
    "here is coupled L2; AdamW decouples it.",
    1e-3,
    BETAS,
    code=_adam("Adam"),
)

optimizer(
    "optimizers.AdamW",
    "AdamW",
    "Adam with decoupled weight decay: weights shrink by lr x weight_decay every step, "
    "directly, instead of through the gradient where Adam's scaling weakens the decay for "
    "weights with large gradients. That makes weight decay regularize as intended, so AdamW "
    "generalizes better and is the standard for transformers. Typical weight_decay is 0.01 "
    "to 0.1.",
    1e-3,
    BETAS,
    weight_decay=0.01,
    decay_text="Decoupled weight decay: every step shrinks weights by lr x weight_decay.",
    code=_adam("AdamW"),
)

optimizer(
    "optimizers.RMSprop",
    "RMSprop",
    "Divides each weight's step by a running average of its recent squared gradients, so "
    "weights with large gradients take smaller steps and rarely-updated ones larger. It "
    "works well for recurrent networks and non-stationary problems such as reinforcement "
    "learning. Adam is RMSprop plus momentum and bias correction; a too-high lr makes it "
    "oscillate.",
    1e-3,
    (
        Param("alpha", "float", 0.99, "Decay of the squared-gradient average.", minimum=0.0, maximum=0.99999),
        Param("momentum", "float", 0.0, "Share of the previous step kept in the next one.", minimum=0.0, maximum=0.999),
        Param(
            "centered",
            "bool",
            False,
            "Divide by the gradient's variance instead of its raw second moment.",
            advanced=True,
        ),
        _eps(1e-8),
    ),
    code=OptimizerCode(
        lambda p: call(
            "torch.optim.RMSprop",
            "parameters",
            lr=p["lr"],
            alpha=p["alpha"],
            eps=p["eps"],
            **non_default(
                momentum=(p["momentum"], 0.0), centered=(p["centered"], False), weight_decay=(p["weight_decay"], 0.0)
            ),
        ),
        lambda p, w, common: _torch_optim("RMSprop")(
            w, alpha=p["alpha"], momentum=p["momentum"], centered=p["centered"], eps=p["eps"], **common
        ),
    ),
)

optimizer(
    "optimizers.Adagrad",
    "Adagrad",
    "Scales each weight's step by the sum of all its past squared gradients: rare features "
    "get large steps, frequent ones small steps, which suits sparse data such as word "
    "counts. Because the sum only grows, the steps shrink until learning stops on long "
    "runs; RMSprop and Adam replace the sum with a running average to avoid that. A "
    "larger starting lr (0.01 to 0.1) than for Adam is usual.",
    1e-2,
    (
        Param(
            "lr_decay",
            "float",
            0.0,
            "Shrinks the learning rate as lr / (1 + steps x lr_decay).",
            minimum=0.0,
            maximum=1.0,
            advanced=True,
        ),
        _eps(1e-10),
    ),
    code=OptimizerCode(
        lambda p: call(
            "torch.optim.Adagrad",
            "parameters",
            lr=p["lr"],
            eps=p["eps"],
            **non_default(lr_decay=(p["lr_decay"], 0.0), weight_decay=(p["weight_decay"], 0.0)),
        ),
        lambda p, w, common: _torch_optim("Adagrad")(w, lr_decay=p["lr_decay"], eps=p["eps"], **common),
        fused=True,
    ),
)


def full_batch(type_id: str) -> bool:
    """True when the optimizer takes one step per epoch on the whole training set."""
    from engine.registry import catalog

    return catalog().get(type_id).codegen.full_batch


def make_torch_optimizer(
    type_id: str, params: dict[str, Any], parameters, *, fused: bool = False
) -> torch.optim.Optimizer:
    """The torch optimizer for an optimizer node; l1, scope and order are the trainer's job.

    Missing params take their defaults; a bad or unknown param raises ParamError. The
    update is `foreach` (a few multi-tensor ops per step). With `fused`, the optimizers torch
    has one fused kernel for (SGD, Momentum, Adam, AdamW, Adagrad) use it when every
    parameter is a floating-point tensor on the CPU or CUDA: the trainer asks for it, since
    for small models the optimizer's per-op overhead is a large share of a step.
    """
    import torch

    from engine.registry import catalog

    node_type = catalog().get(type_id)
    p, errors = node_type.check_params(params)
    if errors:
        raise errors[0]
    code = node_type.codegen
    parameters = list(parameters)
    fused = (
        fused
        and code.fused
        and all(
            isinstance(w, torch.Tensor) and w.is_floating_point() and w.device.type in ("cpu", "cuda")
            for w in parameters
        )
    )
    common = {"lr": p["lr"], "weight_decay": p["weight_decay"], **({"fused": True} if fused else {"foreach": True})}
    return code.construct(p, parameters, common)
