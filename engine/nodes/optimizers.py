"""Optimizer nodes: each minimizes the losses wired into it by updating weights in its scope."""

from __future__ import annotations

from engine.registry import NodeType, Param, Port, ShapeError, register

INPUTS = (Port("losses", "one or more losses to minimize (they are added)", multiple=True),)


def _common(lr: float) -> tuple[Param, ...]:
    return (
        Param("lr", "float", lr, "Learning rate: how big a step each update takes.", minimum=1e-9, maximum=10.0),
        Param("weight_decay", "float", 0.0, "L2 regularization: pulls weights towards zero.", minimum=0.0, maximum=10.0),
        Param("l1", "float", 0.0, "L1 regularization: adds l1 x sum |w|, driving weights to exactly zero.",
              minimum=0.0, maximum=10.0),
        Param("scope", "node_ids", [], "Nodes whose weights this optimizer updates (empty: every trainable "
              "node upstream of its losses, not crossing Detach).", advanced=True),
        Param("order", "int", 0, "With several optimizers: lower steps first each batch.", minimum=0, maximum=100,
              advanced=True),
    )


def _infer_optimizer(params, inputs):
    for spec in inputs.get("losses", []):
        if spec.batched or spec.dims:
            raise ShapeError(
                f"gets {spec.bracket()} but needs a loss (a single number)",
                "connect the `loss` output of a loss node",
            )
    return {}


def optimizer(type_id: str, title: str, help_text: str, lr: float, extra: tuple[Param, ...] = ()) -> NodeType:
    return register(NodeType(
        type_id=type_id,
        title=title,
        category="optimizers",
        help=help_text,
        inputs=INPUTS,
        outputs=(),
        params=_common(lr) + extra,
        infer=_infer_optimizer,
    ))


optimizer(
    "optimizers.Adam",
    "Adam",
    "Adaptive moment estimation: keeps a running average of each weight's gradient (momentum) "
    "and of its square, and scales every step by them, so each weight gets its own step "
    "size. The default choice: it works well with little tuning (lr 0.001). Weight decay "
    "here is coupled L2; AdamW decouples it.",
    1e-3,
    (
        Param("beta1", "float", 0.9, "Decay of the gradient average (momentum).", minimum=0.0, maximum=0.9999),
        Param("beta2", "float", 0.999, "Decay of the squared-gradient average.", minimum=0.0, maximum=0.99999),
        Param("eps", "float", 1e-8, "Added to the denominator for numerical stability.", minimum=0.0, maximum=1.0,
              advanced=True),
    ),
)
