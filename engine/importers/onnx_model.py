"""Import an ONNX file with common operators into a graph of registry nodes, weights included.

Reading an ONNX file never runs code: it is a protobuf of operators and tensors
(onnx.numpy_helper reads the tensors). After mapping, onnxruntime (when installed) runs the
file and the compiled graph on the same batch to report how closely they agree.

Which node an operator becomes is the registry entry's `onnx_import` (Gemm, Conv, MaxPool,
Relu, BatchNormalization, Concat, ...). This module handles what concerns no single type:
MatMul (+ Add of a bias), ReduceMean over height and width, Flatten and Reshape, Split (one
Slice per output), Identity (also of a stored tensor: the legacy exporter's shared weights),
Dropout (inference), operators computed from stored tensors alone (folded once with onnx's
reference evaluator), and the Shape/Gather/Concat arithmetic exporters emit for a Reshape's
target or a chunk's bounds (sizes that do not involve the batch become numbers). Patterns of
several operators for one layer are found first (engine/importers/onnx_patterns.py: exact
GELU), and recurrent operators have their own module (engine/importers/onnx_recurrent.py).
The file is compared at its own batch size when it fixes one; every operator that cannot be
imported is listed, grouped by kind with a count.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import torch

from engine.analysis import analyze
from engine.importers import onnx_recurrent as rec
from engine.importers.blockers import Blockers
from engine.importers.common import (
    GraphBuilder,
    ImportResult,
    ModelImportError,
    check_graph,
    checked_match,
    compiled_with_weights,
    layout,
)
from engine.importers.onnx_patterns import find_gelu, find_group_norm, find_transformer_encoder
from engine.registry import Unmapped, catalog

SHAPE = "shape"  # a value computed from a tensor's shape: only a Reshape's target may use it
CONST = "constant"
INTEGER_TYPES = (6, 7)  # TensorProto.INT32, INT64
SHAPE_OPS = {
    "Shape",
    "Gather",
    "Unsqueeze",
    "Squeeze",
    "Concat",
    "Cast",
    "Slice",
    "Mul",
    "Div",
    "Add",
    "Sub",
    "Reshape",
}

Ref = tuple[str, str]


def import_onnx(path: str | os.PathLike) -> ImportResult:
    """Map the ONNX model in `path` onto a graph with its weights."""
    try:
        import onnx
    except ImportError:
        raise ModelImportError("importing ONNX needs the onnx package: pip install 'netwright[export]'") from None
    path = Path(path)
    if not path.is_file():
        raise ModelImportError(f"{path}: no such ONNX file")
    try:
        model = onnx.load(str(path), load_external_data=True)
    except Exception as exc:  # a protobuf decode error: not an ONNX file
        raise ModelImportError(f"{path}: not a readable ONNX file ({type(exc).__name__})") from None
    mapper = _OnnxMapper(model, path.stem)
    output = mapper.run()
    graph = mapper.builder.graph
    check_graph(graph, path.name)
    layout(graph)
    module = compiled_with_weights(graph, output, mapper.builder.weights)
    result = ImportResult(graph, mapper.builder.weights, output)
    try:
        compared = _compare_with_onnxruntime(path, module, mapper.batch, mapper.input_dims, mapper.num_ids)
        if compared is not None:
            result.max_abs_diff, result.max_rel_diff = compared
    except ModelImportError:
        raise
    except Exception as exc:  # a runtime that cannot load this file (e.g. a newer IR version)
        result.notes.append(
            f"onnxruntime could not run the file ({str(exc).strip().splitlines()[0][:200]}); "
            "the imported graph was not compared with it"
        )
    if result.max_abs_diff is None and not result.notes:
        result.notes.append("onnxruntime is not installed: the imported graph was not compared with the file")
    return result


def _compare_with_onnxruntime(
    path: Path, module: torch.nn.Module, batch: int, dims: list[int], num_ids: int | None = None
) -> tuple[float, float] | None:
    """Run the file and the imported graph on one random batch (of the file's own size when it fixes one)."""
    try:
        import onnxruntime
    except ImportError:
        return None
    options = onnxruntime.SessionOptions()
    options.log_severity_level = 3
    session = onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    generator = torch.Generator().manual_seed(0)
    if num_ids is None:
        x = torch.randn((batch, *dims), generator=generator)
    else:  # token ids, of the integer type the file declares
        x = torch.randint(0, num_ids, (batch, *dims), generator=generator)
        if session.get_inputs()[0].type == "tensor(int32)":
            x = x.int()
    expected = session.run(None, {session.get_inputs()[0].name: x.numpy()})[0]
    with torch.no_grad():
        got = module(x).numpy()
    if expected.shape != got.shape:
        raise ModelImportError(
            f"cannot import {path.name}: the imported graph gives {list(got.shape)}, the file {list(expected.shape)}"
        )
    return checked_match(path.name, "the ONNX model", expected, got)


class _OnnxMapper:
    def __init__(self, model, name: str):
        from onnx import numpy_helper

        self.model = model
        self.graph = model.graph
        self.builder = GraphBuilder(name)
        self.consts: dict[str, np.ndarray] = {t.name: numpy_helper.to_array(t) for t in self.graph.initializer}
        self.values: dict[str, Any] = {}
        self.bias_free: dict[str, str] = {}  # output of a MatMul-made Linear without bias -> its node id
        self.shapes = {v.name: _dims(v) for v in (*self.graph.value_info, *self.graph.input, *self.graph.output)}
        self.input_dims: list[int] = []
        self.batch = 2  # the batch compared with onnxruntime: the file's own when it fixes one
        self.partial_sizes: dict[str, list[int | None]] = {}  # Shape outputs: the sizes, None for the batch
        # values that are [batch, sizes...] (a Shape, x.size(0) as [], a Concat after it): the sizes after the batch
        self.batch_led: dict[str, list[int | None]] = {}
        self.num_ids: int | None = None  # integer ids in [0, num_ids) for a model whose input is token ids
        self.index = catalog().import_index()
        self.blockers = Blockers()

    def run(self) -> str:
        inputs = [i for i in self.graph.input if i.name not in self.consts]
        if len(inputs) != 1:
            raise ModelImportError(
                f"cannot import {self.builder.graph.name}: it has {len(inputs)} inputs; "
                "imported models take one input tensor"
            )
        dims = self.shapes[inputs[0].name]
        if len(dims) < 2 or any(not isinstance(d, int) or d < 1 for d in dims[1:]):
            raise ModelImportError(
                f"input {inputs[0].name} has shape {dims}: every axis but the batch needs a fixed size"
            )
        self.input_dims = list(dims[1:])
        if isinstance(dims[0], int) and dims[0] >= 1:
            self.batch = dims[0]  # exported with a fixed batch (torch's default is the example's): compare at it
        params = {"shape": self.input_dims}
        if inputs[0].type.tensor_type.elem_type in INTEGER_TYPES:
            self.num_ids = self._id_count(inputs[0].name)
            params |= {"dtype": "long", "num_classes": self.num_ids}
        node_id = self.builder.add("data.Input", inputs[0].name, params, [])
        self.values[inputs[0].name] = (node_id, "out")
        patterns = (find_gelu, find_group_norm, find_transformer_encoder)
        fused = {f.first: f for find in patterns for f in find(list(self.graph.node), self._known_constants())}
        members = {name for f in fused.values() for name in f.members}
        for node in self.graph.node:
            if node.output and node.output[0] in members:  # part of one layer's pattern: made at its first
                if node.output[0] in fused:
                    self._fuse(fused[node.output[0]], node)
                continue
            if any(self.values.get(i, 0) is None for i in node.input if i):
                for out in node.output:
                    self.values[out] = None  # downstream of a failure: reported once, at the cause
                continue
            try:
                results = self._folded(node) or self._node(node)
            except Unmapped as exc:
                self.blockers.add(f"ONNX {node.op_type}", node.name or node.output[0], str(exc))
                results = [None] * len(node.output)
            for out, value in zip(node.output, results, strict=False):
                self.values[out] = value
        if len(self.graph.output) != 1:
            self.blockers.add(
                "outputs",
                ", ".join(o.name for o in self.graph.output),
                f"the model has {len(self.graph.output)} outputs; a Netwright model has one",
            )
        self.blockers.refuse(self.builder.graph.name)
        ref = self.values.get(self.graph.output[0].name)
        if not isinstance(ref, tuple) or self.builder.graph.nodes[ref[0]].type_id == "data.Input":
            raise ModelImportError(f"cannot import {self.builder.graph.name}: its output is not computed by a layer")
        return ref[0]

    # -- helpers ---------------------------------------------------------------------------------------

    def _known_constants(self) -> dict[str, np.ndarray]:
        """Stored tensors and Constant operators' values, for finding patterns before mapping."""
        known = dict(self.consts)
        for node in self.graph.node:
            if node.op_type == "Constant":
                try:
                    known[node.output[0]] = _constant(node)
                except Unmapped:
                    continue
        return known

    def _fuse(self, pattern, node) -> None:
        source = self.values.get(pattern.source)
        if source is None:
            self.values[pattern.output] = None
            return
        try:
            params = {"approximate": "none"} if pattern.type_id == "activations.GELU" else dict(pattern.params)
            ref = self._tensor(pattern.source)
            if pattern.type_id == "layers.TorchModule":  # a shape-keeping layer (GroupNorm) kept whole
                spec = analyze(self.builder.graph).specs.get(ref)
                if spec is None:
                    raise Unmapped("its input has no known shape")
                params |= {"in_shape": list(spec.dims), "out_shape": list(spec.dims)}
            self.values[pattern.output] = self._add(pattern.type_id, node, params, [ref], pattern.weights)[0]
        except Unmapped as exc:
            self.blockers.add(f"ONNX {node.op_type}", node.name or node.output[0], str(exc))
            self.values[pattern.output] = None

    def _id_count(self, name: str) -> int:
        """How many distinct ids an integer input takes: the rows of the table its first Gather looks up."""
        for node in self.graph.node:
            if (
                node.op_type == "Gather"
                and len(node.input) > 1
                and node.input[1] == name
                and node.input[0] in self.consts
            ):
                return int(self.consts[node.input[0]].shape[0])
        raise ModelImportError(
            f"cannot import {self.builder.graph.name}: its input {name} holds integers but no embedding table "
            "looks them up; imported models take float features or token ids for an Embedding"
        )

    def _tensor(self, name: str) -> Ref:
        value = self.values.get(name)
        if isinstance(value, tuple):
            return value
        if isinstance(value, rec.RecurrentOutput):
            raise Unmapped(
                f"uses output {value.index} of recurrent layer {value.op.name} in a way Netwright cannot express "
                "(it imports the last step, h_n[-1])"
            )
        if name in self.consts:
            raise Unmapped(f"combines a tensor with the constant {name}; Netwright merges two computed tensors")
        raise Unmapped(f"its input {name} is not a tensor Netwright computes")

    def _const(self, node, index: int, required: bool = True) -> np.ndarray | None:
        if len(node.input) <= index or not node.input[index]:
            if required:
                raise Unmapped(f"has no input {index}")
            return None
        name = node.input[index]
        if name not in self.consts:
            raise Unmapped(f"takes its weights from the computed tensor {name}; they must be stored in the file")
        return self.consts[name]

    def _name(self, node, weight_input: int | None = None) -> str:
        """A readable id: the layer's weight prefix (`fc1.weight` -> fc1), else the output's name."""
        if weight_input is not None and len(node.input) > weight_input and "." in node.input[weight_input]:
            return node.input[weight_input].rsplit(".", 1)[0]
        return node.output[0]

    def _add(
        self,
        type_id: str,
        node,
        params: dict,
        inputs: list[Ref],
        weights: dict | None = None,
        weight_input: int | None = None,
    ) -> list[Ref]:
        tensors = {
            k: torch.from_numpy(np.array(v, dtype=np.float32 if v.dtype.kind == "f" else v.dtype))
            for k, v in (weights or {}).items()
        }
        node_id = self.builder.add(type_id, self._name(node, weight_input), params, inputs, tensors)
        return [(node_id, "out")]

    def _rank(self, ref: Ref) -> int:
        spec = analyze(self.builder.graph).specs.get(ref)
        if spec is None:
            raise Unmapped("its input has no known shape")
        return spec.rank

    # -- operators --------------------------------------------------------------------------------------

    def _sizes(self, node, a: dict) -> list[Any]:
        """Arithmetic on a tensor's shape. Sizes that do not involve the batch (the channels // 3 of a
        chunk in the legacy exporter) are known here and become stored numbers; the rest stay SHAPE."""
        if node.op_type == "Shape":
            source = self.values.get(node.input[0])
            spec = analyze(self.builder.graph).specs.get(source) if isinstance(source, tuple) else None
            if spec is not None:
                sizes = [None, *spec.dims][int(a.get("start", 0)) : a.get("end")]
                self.partial_sizes[node.output[0]] = sizes
                if int(a.get("start", 0)) == 0:
                    self.batch_led[node.output[0]] = sizes[1:]
            return [SHAPE]
        if node.op_type == "Gather" and node.input[0] in self.partial_sizes and node.input[1] in self.consts:
            picked = np.asarray(self.partial_sizes[node.input[0]], dtype=object)[self.consts[node.input[1]]]
            if all(v is not None for v in np.atleast_1d(picked)):
                self.consts[node.output[0]] = np.asarray(picked, dtype=np.int64)
                return [CONST]
            if (
                node.input[0] in self.batch_led
                and self.consts[node.input[1]].shape == ()
                and self.consts[node.input[1]] == 0
            ):
                self.batch_led[node.output[0]] = []  # the batch size alone (x.size(0))
            return [SHAPE]
        led = self._batch_led_sizes(node, a)
        if led is not None:
            self.batch_led[node.output[0]] = led
            return [SHAPE]
        known = all(i in self.consts for i in node.input if i)
        return (self._folded(node) if known else None) or [SHAPE]

    def _batch_led_sizes(self, node, a: dict) -> list[Any] | None:
        """The sizes after the batch of a target shape built as [x.size(0), numbers...]: the legacy exporter's
        view(batch, groups, c // groups, h, w) of a channel shuffle with a dynamic batch; None for other math."""
        first = node.input[0] if node.input else ""
        if node.op_type == "Unsqueeze" and self.batch_led.get(first) == []:
            axes = a.get("axes") or (self.consts.get(node.input[1]) if len(node.input) > 1 else None)
            return [] if axes is not None and list(np.atleast_1d(axes)) == [0] else None
        if node.op_type == "Concat" and int(a.get("axis", 0)) == 0 and first in self.batch_led:
            rest = self.batch_led[first]
            for name in node.input[1:]:
                if name not in self.consts:
                    return None
                rest = [*rest, *(int(v) for v in np.atleast_1d(self.consts[name]))]
            return rest
        return None

    def _folded(self, node) -> list[Any] | None:
        """An operator computing only from stored tensors (the legacy exporter's pads for Pad, a weight
        transposed) is computed here, once, with onnx's reference evaluator, and becomes a stored tensor."""
        inputs = [i for i in node.input if i]
        if not inputs or node.op_type in ("Constant", "Identity") or not all(i in self.consts for i in inputs):
            return None
        from onnx import helper
        from onnx.reference import ReferenceEvaluator

        graph = helper.make_graph(
            [node],
            "fold",
            [
                helper.make_tensor_value_info(i, helper.np_dtype_to_tensor_dtype(self.consts[i].dtype), None)
                for i in inputs
            ],
            [helper.make_tensor_value_info(o, 0, None) for o in node.output],
        )
        opset = [o for o in self.model.opset_import if o.domain in ("", "ai.onnx")]
        try:
            outputs = ReferenceEvaluator(helper.make_model(graph, opset_imports=opset)).run(
                None, {i: self.consts[i] for i in inputs}
            )
        except Exception as exc:
            raise Unmapped(
                f"computes from stored tensors in a way onnx's evaluator cannot ({type(exc).__name__})"
            ) from None
        for name, value in zip(node.output, outputs, strict=False):
            self.consts[name] = np.asarray(value)
        return [CONST] * len(node.output)

    def _node(self, node) -> list[Any]:
        """Structural cases first (constants, pass-throughs, shape arithmetic, MatMul + bias, global
        means, reshapes); every other operator goes to the registered type that claims it."""
        op, a = node.op_type, _attributes(node)
        if op == "Constant":
            self.consts[node.output[0]] = _constant(node)
            return [CONST]
        recurrent = self._recurrent_parts(node, a)
        if recurrent is not None:
            return recurrent
        if op in ("Identity", "Dropout"):
            if node.input[0] in self.consts:  # the legacy exporter's alias of a shared initializer
                self.consts[node.output[0]] = self.consts[node.input[0]]
                return [CONST]
            return [self._tensor(node.input[0])]
        if op == "Shape" or (op in SHAPE_OPS and self._is_shape_math(node)):
            return self._sizes(node, a)
        if op == "MatMul":
            return self._matmul(node)
        if op == "Add":
            fused = self._fused_bias(node)
            if fused:
                return fused
        if op == "ReduceMean":
            return self._global_mean(node, a)
        if op == "Flatten" and int(a.get("axis", 1)) == 1:
            source = self._tensor(node.input[0])
            if self._rank(source) == 2:
                return [source]  # already flat
        if op == "Reshape":
            return self._reshape(node)
        if op == "Split":
            return self._split(node, a)
        if op == "DepthToSpace":
            return self._pixel_shuffle(node, a)
        return self._registered(node, a)

    def _pixel_shuffle(self, node, a: dict) -> list[Ref]:
        """DepthToSpace in CRD mode is torch's PixelShuffle, kept whole as a PyTorch module node."""
        factor, mode = int(a["blocksize"]), a.get("mode", "DCR")
        if mode != "CRD":
            raise Unmapped(f"uses mode {mode}; torch's PixelShuffle is DepthToSpace in mode CRD")
        source = self._tensor(node.input[0])
        spec = analyze(self.builder.graph).specs.get(source)
        if spec is None or spec.rank != 4:
            raise Unmapped("its input is not a known [B, C, H, W] shape")
        c, h, w = spec.dims
        params = {
            "module": "PixelShuffle",
            "arguments": json.dumps({"upscale_factor": factor}),
            "in_shape": [c, h, w],
            "out_shape": [c // factor**2, h * factor, w * factor],
        }
        return self._add("layers.TorchModule", node, params, [source])

    def _recurrent_parts(self, node, a: dict) -> list[Any] | None:
        """A batch-first recurrent layer's pieces (engine/importers/onnx_recurrent.py), or None."""
        op, inputs = node.op_type, [self.values.get(i) for i in node.input if i]
        if op in ("LSTM", "GRU", "RNN"):
            return rec.recurrent(self, node, a)
        if op == "Transpose" and isinstance(inputs[0], rec.TimeMajorSteps):
            if [int(p) for p in a.get("perm", [])] != [1, 0, 2]:
                raise Unmapped("permutes a recurrent layer's steps in a way Netwright cannot express")
            return [rec.materialize(self, inputs[0].op, "all_steps")]  # back to batch-first [B, T, H]
        if op == "Transpose" and isinstance(inputs[0], rec.RecurrentOutput):
            return rec.direction_inside(node, inputs[0], a)
        if op == "Reshape" and isinstance(inputs[0], rec.DirectionInside):
            return rec.merged_direction(self, node, inputs[0])
        if op == "Squeeze" and inputs and isinstance(inputs[0], rec.RecurrentOutput):
            return rec.squeezed_steps(self, node, inputs[0], a)
        if (
            op == "ConstantOfShape"
            and SHAPE in inputs
            and ("value" not in a or not np.any(_constant(node)))  # ONNX's default value is 0
            and self._users_are_zero_state(node.output[0])
        ):
            return [rec.ZEROS]  # the legacy exporter's zero initial state for a dynamic batch
        if op == "Transpose" and isinstance(inputs[0], tuple) and self._users_are_recurrent(node.output[0]):
            return [rec.time_major([int(p) for p in a.get("perm", [])], inputs[0]) or self._registered(node, a)[0]]
        if (
            op == "Expand"
            and node.input[0] in self.consts
            and SHAPE in inputs
            and not np.any(self.consts[node.input[0]])
        ):
            return [rec.ZEROS]  # the zero initial state, expanded to the batch
        if op in ("Slice", "Squeeze", "Unsqueeze", "Reshape") and inputs and inputs[0] is rec.ZEROS:
            return [rec.ZEROS]
        if op == "Gather" and isinstance(inputs[0], rec.RecurrentOutput):
            return rec.last_step(self, node, inputs[0], a)
        return None

    def _users_are_zero_state(self, name: str) -> bool:
        """Whether a tensor only feeds initial states (directly or sliced per layer) of recurrent operators."""
        users = [n for n in self.graph.node if name in n.input]
        return bool(users) and all(
            (n.op_type in ("LSTM", "GRU", "RNN") and name not in n.input[:5])
            or (n.op_type == "Slice" and n.input[0] == name and self._users_are_zero_state(n.output[0]))
            for n in users
        )

    def _users_are_recurrent(self, name: str) -> bool:
        users = [n for n in self.graph.node if name in n.input]
        # the legacy exporter also reads its shape, for the batch of the zero initial state
        return any(n.op_type in ("LSTM", "GRU", "RNN") for n in users) and all(
            n.op_type in ("LSTM", "GRU", "RNN", "Shape") for n in users
        )

    def _registered(self, node, attrs: dict[str, Any]) -> list[Ref]:
        claimants = self.index.onnx_ops.get(node.op_type, ())
        view = _OpView(self, node, attrs)
        for node_type in claimants:
            mapping = node_type.onnx_import.map(view)
            if mapping is None:  # another type's form of this operator
                continue
            names = node.input if mapping.tensors is None else [node.input[i] for i in mapping.tensors]
            inputs = [self._tensor(name) for name in names if name]
            return self._add(node_type.type_id, node, mapping.params, inputs, mapping.weights, mapping.weight_input)
        if claimants:
            raise Unmapped(f"has a form that none of {', '.join(t.type_id for t in claimants)} takes")
        raise Unmapped("has no Netwright node")

    def _matmul(self, node) -> list[Ref]:
        """x @ W with a stored W: a Linear layer without bias, which a following Add of a vector completes."""
        weight = self._const(node, 1)
        if weight.ndim != 2:
            raise Unmapped("multiplies by a weight that is not a matrix")
        result = self._add(
            "layers.Linear",
            node,
            {"out_features": int(weight.shape[1]), "bias": False},
            [self._tensor(node.input[0])],
            {"weight": weight.T},
            1,
        )
        self.bias_free[node.output[0]] = result[0][0]
        return result

    def _fused_bias(self, node) -> list[Ref] | None:
        """MatMul + Add of a stored vector is one Linear layer with a bias."""
        left, right = node.input[0], node.input[1]
        for tensor, const in ((left, right), (right, left)):
            node_id = self.bias_free.get(tensor)
            if node_id and const in self.consts and self.consts[const].ndim == 1:
                graph_node = self.builder.graph.nodes[node_id]
                graph_node.params["bias"] = True
                self.builder.weights[f"{node_id}.bias"] = torch.from_numpy(self.consts[const].astype(np.float32))
                del self.bias_free[tensor]
                return [(node_id, "out")]
        return None

    def _is_shape_math(self, node) -> bool:
        inputs = [i for i in node.input if i]
        kinds = [self.values.get(i) for i in inputs]
        return any(k is SHAPE for k in kinds) and all(
            k is SHAPE or i in self.consts for i, k in zip(inputs, kinds, strict=True)
        )

    def _global_mean(self, node, a: dict) -> list[Ref]:
        """A mean over the spatial axes of an image is a global average pool (what exporters emit for it)."""
        source = self._tensor(node.input[0])
        axes = a.get("axes")
        if axes is None and len(node.input) > 1:
            axes = self._const(node, 1)
        if axes is None or self._rank(source) != 4 or sorted(int(x) % 4 for x in axes) != [2, 3]:
            return self._registered(node, a)  # a mean over other axes: the Mean node
        pooled = self._add("layers.AdaptiveAvgPool2d", node, {"output_height": 1, "output_width": 1}, [source])
        if int(a.get("keepdims", 1)):
            return pooled
        return self._add("layers.Flatten", node, {}, pooled)

    def _split(self, node, a: dict) -> list[Ref]:
        """Split (torch's chunk and split) into one Slice node per output."""
        source = self._tensor(node.input[0])
        spec = analyze(self.builder.graph).specs.get(source)
        if spec is None:
            raise Unmapped("its input has no known shape")
        axis = int(a.get("axis", 0)) % spec.rank
        if axis == 0:
            raise Unmapped("splits the batch axis; Netwright keeps each sample whole")
        size, count = spec.dims[axis - 1], len(node.output)
        sizes = self._const(node, 1, required=False)
        if sizes is None:
            sizes = a.get("split") or [-(-size // count)] * (count - 1) + [size - -(-size // count) * (count - 1)]
        sizes = [int(v) for v in sizes]
        if sum(sizes) != size or len(sizes) != count or min(sizes) < 1:
            raise Unmapped(f"splits {size} values into {sizes}")
        outputs, start = [], 0
        for width in sizes:
            params = {"dim": axis - 1, "start": start, "end": start + width if start + width < size else 0}
            outputs += self._add("layers.Slice", node, params, [source])
            start += width
        return outputs

    def _reshape(self, node) -> list[Ref]:
        source = self._tensor(node.input[0])
        target = node.input[1]
        if target in self.consts:
            shape = [int(d) for d in self.consts[target]]
            rest = shape[1:]
            if shape[0] == -1 and -1 in rest:
                raise Unmapped(f"reshapes to {shape}, which may move values across the batch")
        elif self.values.get(target) is SHAPE and _all_sizes(self.batch_led.get(target)):
            rest = list(self.batch_led[target])
        elif self.values.get(target) is SHAPE:
            dims = self.shapes.get(node.output[0]) or []
            if len(dims) < 1 or any(not isinstance(d, int) for d in dims[1:]):
                raise Unmapped("computes its target shape and the file does not record the result's shape")
            rest = list(dims[1:])
        else:
            raise Unmapped("takes its target shape from a tensor")
        if len(rest) == 1 and self._rank(source) > 2:
            return self._add("layers.Flatten", node, {}, [source])
        return self._add("layers.Reshape", node, {"shape": rest}, [source])


def _all_sizes(rest: list[Any] | None) -> bool:
    """Whether a target shape's sizes after the batch are all known numbers (none is 0: a copied size)."""
    return bool(rest) and all(isinstance(v, (int, np.integer)) and v != 0 for v in rest)


def _dims(value_info) -> list[int | str | None]:
    shape = value_info.type.tensor_type.shape
    return [d.dim_value if d.HasField("dim_value") else (d.dim_param or None) for d in shape.dim]


def _attributes(node) -> dict[str, Any]:
    """The node's attributes as plain values: floats in their shortest float32 spelling, strings decoded."""
    from onnx import helper

    return {attr.name: _plain(helper.get_attribute_value(attr)) for attr in node.attribute}


def _plain(value: Any) -> Any:
    if isinstance(value, float):
        return _f(value)
    if isinstance(value, bytes):
        return value.decode()
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


class _OpView:
    """One operator as a registry entry's `onnx_import` sees it (engine.registry.imports.OnnxOp)."""

    def __init__(self, mapper: _OnnxMapper, node, attrs: dict[str, Any]):
        self.op_type = node.op_type
        self.attrs = attrs
        self.inputs = list(node.input)
        self.outputs = list(node.output)
        self._mapper = mapper
        self._node = node

    def const(self, index: int, required: bool = True) -> np.ndarray | None:
        return self._mapper._const(self._node, index, required)

    def is_const(self, index: int) -> bool:
        return index < len(self.inputs) and self.inputs[index] in self._mapper.consts

    def rank(self, index: int) -> int:
        return self._mapper._rank(self._mapper._tensor(self.inputs[index]))


def _constant(node) -> np.ndarray:
    from onnx import numpy_helper

    a = _attributes(node)
    if "value" in a:
        return numpy_helper.to_array(a["value"])
    for key in ("value_float", "value_int", "value_floats", "value_ints"):
        if key in a:
            return np.array(a[key])
    raise Unmapped("is a constant of a kind Netwright does not read")


def _f(value: Any) -> float:
    """ONNX stores float32 attributes (0.1 arrives as 0.10000000149): the shortest float32 spelling."""
    return float(str(np.float32(value)))
