"""Merge and flow nodes: combine branches (residual connections, concatenation), stop gradients."""

from __future__ import annotations

from engine.nodes.checks import require_batched, require_float
from engine.registry import NodeType, Port, ShapeError, register

TWO = (Port("a", "first tensor"), Port("b", "second tensor"))


def _infer_elementwise(params, inputs):
    a, b = inputs["a"], inputs["b"]
    for port, spec in (("a", a), ("b", b)):
        require_batched(spec, port)
        require_float(spec, port)
    if a.dims != b.dims:
        raise ShapeError(
            f"gets a = {a.bracket()} and b = {b.bracket()}, but both inputs must have the same shape",
            "in a residual block, give the branch as many channels/features as the shortcut "
            "(or put a 1x1 Conv2d or Linear on the shortcut)",
        )
    return {"out": a}


def _build_add(params, inputs):
    from engine.nodes.modules import Add

    return Add()


register(NodeType(
    type_id="merge.Add",
    title="Add",
    category="merge",
    help=(
        "Adds two tensors of the same shape element by element. This is the skip connection "
        "of a residual network: out = x + f(x) lets gradients flow straight through the "
        "addition, which is why very deep ResNets still train."
    ),
    inputs=TWO,
    outputs=(Port("out", "a + b"),),
    params=(),
    infer=_infer_elementwise,
    build=_build_add,
))
