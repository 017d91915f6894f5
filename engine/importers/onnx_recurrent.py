"""ONNX LSTM, GRU and RNN operators as Netwright's batch-first recurrent nodes.

Exporters write a batch-first recurrent layer as: a Transpose of the input to time-major
[T, B, F], an initial state of zeros expanded to the batch (Shape, Concat, Expand), the
operator itself, and for the last step a Gather of its final hidden state. The pieces are
recognised here (a time-major input, zeros, the layer's outputs) and the node is made once
the graph shows which output is used. ONNX orders the gates differently from torch (LSTM
i, o, f, c against i, f, c, o; GRU z, r, h against r, z, n): the weights are reordered.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from engine.registry import Unmapped

Ref = tuple[str, str]
# ONNX gate blocks in torch's order
GATE_ORDER = {"LSTM": (0, 2, 3, 1), "GRU": (1, 0, 2), "RNN": (0,)}
TYPE_OF = {"LSTM": "layers.LSTM", "GRU": "layers.GRU", "RNN": "layers.RNN"}


@dataclass(frozen=True)
class TimeMajor:
    """The input transposed to [T, B, F] for a recurrent operator; nothing else may use it."""

    source: Ref


class Zeros:
    """An all-zero initial state expanded to the batch (what torch starts a recurrent layer from)."""


ZEROS = Zeros()


@dataclass
class RecurrentOp:
    """A recurrent operator whose node is made when one of its outputs is used."""

    op_type: str
    name: str
    source: Ref
    params: dict
    weights: dict
    node: Ref | None = None


@dataclass(frozen=True)
class RecurrentOutput:
    op: RecurrentOp
    index: int  # 0: Y, every step; 1: Y_h, the final state


@dataclass(frozen=True)
class TimeMajorSteps:
    """Y squeezed of its direction axis: every step's hidden state, time-major [T, B, H] (the legacy exporter's
    output of a stacked layer, read by the next layer as it is and transposed back to batch-first after the last)."""

    op: RecurrentOp


@dataclass(frozen=True)
class DirectionInside:
    """Y [T, 1, B, H] transposed to [T, B, 1, H] (the dynamo exporter's way to drop the direction axis)."""

    op: RecurrentOp


def direction_inside(node, part: RecurrentOutput, attrs: dict) -> list[DirectionInside]:
    if part.index != 0 or [int(p) for p in attrs.get("perm", [])] != [0, 2, 1, 3]:
        raise Unmapped("transposes the recurrent layer's outputs in a way Netwright cannot express")
    return [DirectionInside(part.op)]


def merged_direction(mapper, node, part: DirectionInside) -> list[TimeMajorSteps]:
    """Reshape [T, B, 1, H] -> [T, B, H]: a stored target [T, B, H], or one computed from the shape whose
    result the file records as rank 3 (its sizes unknown where the batch is dynamic)."""
    hidden = part.op.params["hidden_size"]
    target = mapper.consts.get(node.input[1])
    recorded = mapper.shapes.get(node.output[0]) or []
    if target is not None:
        fits = len(target) == 3 and int(target[2]) in (hidden, -1) and 0 not in list(target)
    else:
        fits = len(recorded) == 3 and recorded[2] in (hidden, None)
    if not fits:
        raise Unmapped("reshapes the recurrent layer's outputs in a way Netwright cannot express")
    return [TimeMajorSteps(part.op)]


def squeezed_steps(mapper, node, part: RecurrentOutput, attrs: dict) -> list[TimeMajorSteps]:
    """Squeeze(Y, axis 1) of a one-direction operator."""
    axes = attrs.get("axes")
    if axes is None and len(node.input) > 1:
        axes = mapper._const(node, 1)
    if part.index != 0 or axes is None or [int(v) for v in np.atleast_1d(axes)] != [1]:
        raise Unmapped("squeezes the recurrent layer's outputs in a way Netwright cannot express")
    return [TimeMajorSteps(part.op)]


def time_major(perm: list[int], source: Ref) -> TimeMajor | None:
    return TimeMajor(source) if perm == [1, 0, 2] else None


def recurrent(mapper, node, attrs: dict) -> list:
    """The outputs of an ONNX LSTM/GRU/RNN: markers that become one node when used."""
    op_type = node.op_type
    x = mapper.values.get(node.input[0])
    if isinstance(x, TimeMajorSteps):  # a stacked layer: reads every step of the layer below
        x = TimeMajor(materialize(mapper, x.op, "all_steps"))
    if not isinstance(x, TimeMajor):
        raise Unmapped("reads a time-major input that is not a transposed batch-first sequence")
    direction = attrs.get("direction", "forward")
    if direction != "forward":
        raise Unmapped(f"runs in direction {direction}; Netwright imports one forward layer from ONNX")
    if int(attrs.get("layout", 0)) != 0:
        raise Unmapped("uses layout 1")
    for index in range(4, len(node.input)):
        name = node.input[index]
        stored_zeros = name in mapper.consts and not np.any(mapper.consts[name])  # a fixed batch's zero state
        if name and index != 4 and mapper.values.get(name) is not ZEROS and not stored_zeros:
            raise Unmapped("starts from a state that is not zeros; Netwright's recurrent layers start from zeros")
        if name and index == 4:
            raise Unmapped("takes sequence lengths; Netwright's sequences all have the same length")
    if op_type == "GRU" and not int(attrs.get("linear_before_reset", 0)):
        raise Unmapped("has linear_before_reset 0; torch's GRU (and Netwright's) applies it before the reset")
    hidden = int(attrs["hidden_size"])
    params = {"hidden_size": hidden, "num_layers": 1, "bidirectional": False}
    if op_type == "RNN":
        activations = [a.lower() for a in attrs.get("activations", ["Tanh"])]
        if activations[0] not in ("tanh", "relu"):
            raise Unmapped(f"uses the activation {activations[0]}; torch's RNN has tanh or relu")
        params["nonlinearity"] = activations[0]
    if attrs.get("clip") is not None:
        raise Unmapped("clips its cell values, which torch's layers do not")
    weights = _torch_weights(op_type, hidden, *(mapper._const(node, i, required=i < 3) for i in (1, 2, 3)))
    op = RecurrentOp(op_type, mapper._name(node), x.source, params, weights)
    return [RecurrentOutput(op, i) for i in range(len(node.output))]


def last_step(mapper, node, part: RecurrentOutput, attrs: dict) -> list[Ref]:
    """Gather(Y_h, 0 or -1) on a one-layer forward operator: the last step's hidden state [B, H]."""
    index = mapper._const(node, 1)
    if part.index != 1 or int(attrs.get("axis", 0)) != 0 or int(np.asarray(index).reshape(-1)[0]) not in (0, -1):
        raise Unmapped("reads the recurrent layer's outputs in a way Netwright cannot express (it takes h_n[-1])")
    return [materialize(mapper, part.op, "last_step")]


def materialize(mapper, op: RecurrentOp, mode: str) -> Ref:
    if op.node is not None and op.params.get("output") != mode:
        raise Unmapped("uses both the last step and every step of one recurrent layer; a node gives one of them")
    if op.node is None:
        op.params["output"] = mode
        type_id = TYPE_OF[op.op_type]
        node_id = mapper.builder.add(type_id, op.name, {**op.params, "output": mode}, [op.source], op.weights)
        op.node = (node_id, "out")
    return op.node


def _torch_weights(op_type: str, hidden: int, w, r, b) -> dict[str, torch.Tensor]:
    """ONNX W [1, gates*H, I], R [1, gates*H, H], B [1, 2*gates*H] as torch's *_l0 tensors, gates reordered."""
    order = GATE_ORDER[op_type]

    def torch_order(matrix: np.ndarray) -> np.ndarray:
        blocks = [matrix[g * hidden : (g + 1) * hidden] for g in range(len(order))]
        return np.concatenate([blocks[g] for g in order], axis=0)

    gates = len(order) * hidden
    bias = np.zeros((1, 2 * gates), dtype=np.float32) if b is None else b
    weights = {
        "weight_ih_l0": torch_order(w[0]),
        "weight_hh_l0": torch_order(r[0]),
        "bias_ih_l0": torch_order(bias[0][:gates]),
        "bias_hh_l0": torch_order(bias[0][gates:]),
    }
    return {k: torch.from_numpy(np.ascontiguousarray(v, dtype=np.float32)) for k, v in weights.items()}
