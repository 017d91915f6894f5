"""Operator patterns that exporters write for one layer, found before mapping: exact GELU, GroupNorm.

Below opset 20 ONNX has no Gelu operator, so torch writes the exact GELU as
x * 0.5 * (1 + erf(x / sqrt(2))): Div, Erf, Add, then two Muls in either order (the dynamo
and legacy exporters differ). Found here, the five operators become one GELU node.

torch writes GroupNorm as Reshape to [B, groups, -1], InstanceNormalization with unit scale and
zero bias, Reshape back, then Mul and Add of the per-channel weight and bias: Netwright has no
GroupNorm node, so the five become a kept PyTorch module node (nn.GroupNorm, its weights included).

torch writes a transformer encoder layer as some fifty operators (projections, head reshapes, scaled dot
product, feed-forward net, two LayerNormalizations): the post-norm ReLU form (torch's default, and
Netwright's own export of its Transformer Encoder Layer node) becomes that one node again.
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


# What torch's dynamo exporter writes for one post-norm nn.TransformerEncoderLayer (batch first): the
# attention's projections, head reshapes and scaled dot product, the feed-forward net and both norms.
_ENCODER_OPS = frozenset(
    "Add Concat Constant Gather Gemm LayerNormalization MatMul Mul Relu Reshape Shape Slice Softmax Squeeze "
    "Transpose Unsqueeze".split()
)


def find_transformer_encoder(nodes, consts: dict) -> list[Fused]:
    """Every post-norm ReLU transformer encoder layer, found from its last LayerNormalization back to its input.

    The layer is LayerNorm(h + FFN(h)) with h = LayerNorm(x + attention(x)): its members are the operators
    between x and the last norm, and nothing outside reads their values. The number of heads is read from
    the scale torch applies to queries and keys alike before their product (head_dim ** -0.25).
    """
    producer = {out: n for n in nodes for out in n.output}
    users: dict[str, list] = {}
    for n in nodes:
        for name in n.input:
            users.setdefault(name, []).append(n)

    def upstream(name: str) -> set[str]:
        """`name` and every value it is computed from."""
        seen, todo = set(), [name]
        while todo:
            value = todo.pop()
            if value in seen:
                continue
            seen.add(value)
            if value in producer:
                todo.extend(i for i in producer[value].input if i)
        return seen

    def linear(output: str):
        """(source, weight [out, in], bias) of a MatMul by a stored matrix followed by an Add of a stored vector."""
        add = producer.get(output)
        if add is None or add.op_type != "Add":
            return None
        for matmul_out in add.input:
            matmul = producer.get(matmul_out)
            bias = consts.get(_other(add, matmul_out) or "")
            if matmul is not None and matmul.op_type == "MatMul" and bias is not None and bias.ndim == 1:
                weight = consts.get(matmul.input[1])
                if weight is not None and weight.ndim == 2:
                    return matmul.input[0], weight.T, bias
        return None

    fused = []
    for norm2 in (n for n in nodes if n.op_type == "LayerNormalization"):
        add2 = producer.get(norm2.input[0])
        if add2 is None or add2.op_type != "Add":
            continue
        norm1 = next(
            (producer[i] for i in add2.input if getattr(producer.get(i), "op_type", "") == "LayerNormalization"), None
        )
        if norm1 is None:
            continue
        h = norm1.output[0]
        second = linear(_other(add2, h) or "")
        relu = second and producer.get(second[0])
        first = relu is not None and relu.op_type == "Relu" and linear(relu.input[0])
        add1 = producer.get(norm1.input[0])
        if not first or first[0] != h or add1 is None or add1.op_type != "Add" or len(add1.input) != 2:
            continue
        a, b = add1.input
        x = a if a in upstream(b) else b if b in upstream(a) else None
        if x is None:
            continue
        before = upstream(x)
        members_out = {n.output[0] for n in nodes if n.output and n.output[0] in upstream(norm2.output[0])} - before
        members = [n for n in nodes if n.output and n.output[0] in members_out]
        if any(n.op_type not in _ENCODER_OPS for n in members) or any(
            u.output[0] not in members_out
            for n in members
            if n is not norm2
            for o in n.output
            for u in users.get(o, [])
        ):
            continue
        ffn_inputs = (h, relu.output[0])
        in_proj = [
            n
            for n in members
            if n.op_type == "MatMul"
            and n.input[0] not in ffn_inputs
            and getattr(consts.get(n.input[1]), "ndim", 0) == 2
            and consts[n.input[1]].shape[1] == 3 * consts[n.input[1]].shape[0]
        ]
        gemms = [n for n in members if n.op_type == "Gemm" and n.input[1] in consts]
        scales = {
            _scalar(consts, i) for n in members if n.op_type == "Mul" for i in n.input if _scalar(consts, i) is not None
        }
        if (
            len(in_proj) != 1
            or len(gemms) != 1
            or len(scales) != 1
            or sum(n.op_type == "Softmax" for n in members) != 1
        ):
            continue
        in_weight = consts[in_proj[0].input[1]].T
        in_add = next((u for u in users.get(in_proj[0].output[0], []) if u.op_type == "Add"), None)
        in_bias = consts.get(_other(in_add, in_proj[0].output[0]) or "") if in_add is not None else None
        embed = in_weight.shape[1]
        gemm = gemms[0]
        gemm_attrs = {a.name: a.i for a in gemm.attribute if a.name in ("transA", "transB")}
        out_weight = consts[gemm.input[1]]
        out_weight = out_weight if gemm_attrs.get("transB", 0) else out_weight.T
        out_bias = consts.get(gemm.input[2]) if len(gemm.input) > 2 and gemm.input[2] else np.zeros(embed, np.float32)
        head_dim = round(next(iter(scales)) ** -4)
        if in_bias is None or gemm_attrs.get("transA", 0) or out_bias is None or head_dim < 1 or embed % head_dim:
            continue
        norms = [(consts.get(n.input[1]), consts.get(n.input[2]) if len(n.input) > 2 else None) for n in (norm1, norm2)]
        if any(w is None or bias is None for w, bias in norms):
            continue
        epsilon = next((a.f for a in norm1.attribute if a.name == "epsilon"), 1e-5)
        params = {
            "num_heads": embed // head_dim,
            "feedforward": int(first[1].shape[0]),
            "dropout": 0.0,
            "activation": "relu",
            "norm_first": False,
            "eps": float(f"{epsilon:.6g}"),
            "bias": True,
        }
        weights = {
            "self_attn.in_proj_weight": in_weight,
            "self_attn.in_proj_bias": in_bias,
            "self_attn.out_proj.weight": out_weight,
            "self_attn.out_proj.bias": out_bias,
            "linear1.weight": first[1],
            "linear1.bias": first[2],
            "linear2.weight": second[1],
            "linear2.bias": second[2],
            "norm1.weight": norms[0][0],
            "norm1.bias": norms[0][1],
            "norm2.weight": norms[1][0],
            "norm2.bias": norms[1][1],
        }
        start = next(n for n in nodes if n.output and n.output[0] in members_out)
        fused.append(
            Fused(
                "layers.TransformerEncoderLayer",
                x,
                norm2.output[0],
                frozenset(members_out),
                start.output[0],
                params,
                weights,
            )
        )
    return fused
