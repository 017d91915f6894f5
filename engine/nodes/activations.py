"""Activation nodes: element-wise non-linearities (and softmax over classes)."""

from __future__ import annotations

from engine.nodes.checks import require_batched, require_float
from engine.registry import NodeType, Port, register

IN = (Port("in", "input tensor"),)
OUT = (Port("out", "same shape as the input"),)


def _same_shape(params, inputs):
    x = inputs["in"]
    require_batched(x)
    require_float(x)
    return {"out": x}


def _build_relu(params, inputs):
    import torch.nn as nn

    return nn.ReLU()


register(NodeType(
    type_id="activations.ReLU",
    title="ReLU",
    category="activations",
    help=(
        "Rectified linear unit: max(0, x). The default activation for hidden layers: cheap, "
        "and its gradient is 1 for positive inputs, so it does not shrink gradients the way "
        "sigmoid and tanh do (the vanishing-gradient problem). A unit whose input is always "
        "negative outputs 0 and stops learning (a dead ReLU); Netwright shows the dead "
        "fraction while training. Leaky ReLU avoids it."
    ),
    inputs=IN,
    outputs=OUT,
    params=(),
    infer=_same_shape,
    build=_build_relu,
))
