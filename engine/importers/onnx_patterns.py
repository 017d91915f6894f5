"""Operator patterns that exporters write for one layer, found before mapping: exact GELU, GroupNorm.

Below opset 20 ONNX has no Gelu operator, so torch writes the exact GELU as
x * 0.5 * (1 + erf(x / sqrt(2))): Div, Erf, Add, then two Muls in either order (the dynamo
and legacy exporters differ). Found here, the five operators become one GELU node.

torch writes GroupNorm as Reshape to [B, groups, -1], InstanceNormalization with unit scale and
zero bias, Reshape back, then Mul and Add of the per-channel weight and bias: Netwright has no
GroupNorm node, so the five become a kept PyTorch module node (nn.GroupNorm, its weights included).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class Fused:
    """Operators (by first output name) that together compute `type_id` from tensor `source` into `output`."""

    type_id: str
    source: str
    output: str
    members: frozenset[str]
    first: str  # the member met first in graph order: the node is made there
    params: dict = field(default_factory=dict)  # the node's params, beyond those of its type's defaults
    weights: dict = field(default_factory=dict)  # its tensors (numpy), by the layer's own names


def _scalar(consts: dict, name: str) -> float | None:
    value = consts.get(name)
    if value is None or np.asarray(value).size != 1:
        return None
    return float(np.asarray(value).reshape(-1)[0])


def _other(node, name: str) -> str | None:
    """The input of a two-input node that is not `name`."""
    inputs = list(node.input)
    if len(inputs) != 2 or name not in inputs:
        return None
    return inputs[1] if inputs[0] == name else inputs[0]


def find_gelu(nodes, consts: dict) -> list[Fused]:
    """Every exact GELU written as Div, Erf, Add, Mul, Mul whose inner values nothing else reads."""
    producer = {out: n for n in nodes for out in n.output}
    users: dict[str, list] = {}
    for n in nodes:
        for name in n.input:
            users.setdefault(name, []).append(n)

    def only_user(name: str, op_type: str):
        found = users.get(name, [])
        return found[0] if len(found) == 1 and found[0].op_type == op_type else None

    fused = []
    for erf in (n for n in nodes if n.op_type == "Erf"):
        div = producer.get(erf.input[0])
        if (
            div is None
            or div.op_type != "Div"
            or not math.isclose(_scalar(consts, div.input[1]) or 0, math.sqrt(2), rel_tol=1e-5)
        ):
            continue
        x = div.input[0]
        add = only_user(erf.output[0], "Add")
        if add is None or _scalar(consts, _other(add, erf.output[0]) or "") != 1.0:
            continue
        first_mul = only_user(add.output[0], "Mul")
        if first_mul is None:
            continue
        other = _other(first_mul, add.output[0])
        second_mul = only_user(first_mul.output[0], "Mul")
        if second_mul is None:
            continue
        last = _other(second_mul, first_mul.output[0])
        halves = (_scalar(consts, other or ""), _scalar(consts, last or ""))
        if not ((other == x and halves[1] == 0.5) or (last == x and halves[0] == 0.5)):
            continue
        if len(users.get(div.output[0], [])) != 1:
            continue
        members = frozenset(n.output[0] for n in (div, erf, add, first_mul, second_mul))
        fused.append(Fused("activations.GELU", x, second_mul.output[0], members, div.output[0]))
    return fused


def find_group_norm(nodes, consts: dict) -> list[Fused]:
    """Every GroupNorm written as Reshape [0, G, -1], InstanceNormalization (scale 1, bias 0), Reshape back to the
    input's shape, Mul by a [C, 1, 1] weight and Add of a [C, 1, 1] bias, whose inner values nothing else reads."""
    users: dict[str, list] = {}
    producer = {out: n for n in nodes for out in n.output}
    for n in nodes:
        for name in n.input:
            users.setdefault(name, []).append(n)

    def only_user(name: str, op_type: str):
        found = users.get(name, [])
        return found[0] if len(found) == 1 and found[0].op_type == op_type else None

    fused = []
    for norm in (n for n in nodes if n.op_type == "InstanceNormalization"):
        grouped = producer.get(norm.input[0])
        target = consts.get(grouped.input[1]) if grouped is not None and grouped.op_type == "Reshape" else None
        if target is None or len(target) != 3 or int(target[0]) != 0 or int(target[2]) != -1:
            continue
        scale, shift = consts.get(norm.input[1]), consts.get(norm.input[2])
        groups = int(target[1])
        if (
            scale is None
            or shift is None
            or np.any(scale != 1)
            or np.any(shift != 0)
            or len(users[grouped.output[0]]) != 1
        ):
            continue
        back = only_user(norm.output[0], "Reshape")
        mul = back and only_user(back.output[0], "Mul")
        add = mul and only_user(mul.output[0], "Add")
        if not add:
            continue
        x = grouped.input[0]
        shape_of = producer.get(back.input[1])
        if back.input[1] not in consts and not (
            shape_of is not None and shape_of.op_type == "Shape" and shape_of.input[0] == x
        ):
            continue
        weight, bias = consts.get(_other(mul, back.output[0]) or ""), consts.get(_other(add, mul.output[0]) or "")
        if (
            weight is None
            or bias is None
            or weight.ndim != 3
            or weight.shape[1:] != (1, 1)
            or bias.shape != weight.shape
        ):
            continue
        channels = int(weight.shape[0])
        epsilon = float(str(np.float32(next((a.f for a in norm.attribute if a.name == "epsilon"), 1e-5))))
        arguments = {"num_groups": groups, "num_channels": channels, "eps": epsilon}
        members = frozenset(n.output[0] for n in (grouped, norm, back, mul, add))
        fused.append(
            Fused(
                "layers.TorchModule",
                x,
                add.output[0],
                members,
                grouped.output[0],
                params={"module": "GroupNorm", "arguments": json.dumps(arguments)},
                weights={"weight": weight.reshape(-1), "bias": bias.reshape(-1)},
            )
        )
    return fused
