"""Merge and flow nodes: combine branches (residual connections, concatenation), stop gradients."""

from __future__ import annotations

from engine.nodes.checks import axis_of, require_batched, require_float
from engine.nodes.mapping import after_batch
from engine.registry import (
    LayerCode,
    NodeType,
    NoImport,
    OnnxImport,
    OnnxMapping,
    Param,
    Port,
    PyTorchImport,
    ShapeError,
    TensorSpec,
    Unmapped,
    register,
)
from engine.registry.codegen import expression

TWO = (Port("a", "first tensor"), Port("b", "second tensor"))


def _infer_elementwise(hint: str):
    def infer(params, inputs):
        a, b = inputs["a"], inputs["b"]
        for port, spec in (("a", a), ("b", b)):
            require_batched(spec, port)
            require_float(spec, port)
        if a.dims != b.dims:
            raise ShapeError(
                f"gets a = {a.bracket()} and b = {b.bracket()}, but both inputs must have the same shape",
                hint,
            )
        return {"out": a}

    return infer


def _two_tensors(bound: dict) -> dict | None:
    """`a + b`, `torch.add(a, b)`, `a.mul(b)`: two tensors and nothing else (with a number it is Shift's or Scale's)."""
    if set(bound) != {"input", "other"} or any(isinstance(bound[k], (bool, int, float)) for k in bound):
        return None
    return {}


def _two_computed(op) -> OnnxMapping | None:
    """ONNX Add / Mul of two computed tensors; with a stored constant it is Shift's or Scale's."""
    if any(op.is_const(i) for i in range(len(op.inputs))):
        return None
    return OnnxMapping(tensors=(0, 1))


def _elementwise(functions: tuple[str, ...]) -> PyTorchImport:
    return PyTorchImport(
        functions=functions,
        signature=("input", "other"),
        function_params=_two_tensors,
        tensor_args=("input", "other"),
    )


def _build_add(params, inputs):
    from engine.nodes.modules import Add

    return Add()


register(
    NodeType(
        type_id="merge.Add",
        title="Add",
        aliases=("sum", "residual", "skip connection", "shortcut"),
        category="merge",
        help=(
            "Adds two tensors of the same shape element by element. This is the skip connection "
            "of a residual network: out = x + f(x) lets gradients flow straight through the "
            "addition, which is why very deep ResNets still train. Both inputs must have exactly "
            "the same shape; when a block changes the number of channels, put a 1x1 Conv2d (or a "
            "Linear layer) on the shortcut to match."
        ),
        inputs=TWO,
        outputs=(Port("out", "a + b"),),
        params=(),
        infer=_infer_elementwise(
            "in a residual block, give the branch as many channels/features as the shortcut "
            "(or put a 1x1 Conv2d or Linear on the shortcut)"
        ),
        build=_build_add,
        codegen=expression("{id} = {a} + {b}"),
        pytorch_import=_elementwise(("add", "iadd")),
        onnx_import=OnnxImport(ops=("Add",), map=_two_computed),
    )
)


def _build_multiply(params, inputs):
    from engine.nodes.modules import Multiply

    return Multiply()


register(
    NodeType(
        type_id="merge.Multiply",
        title="Multiply",
        aliases=("product", "gate", "elementwise"),
        category="merge",
        help=(
            "Multiplies two tensors of the same shape element by element. With a Sigmoid on one "
            "branch it becomes a gate: values near 0 block, values near 1 let the other branch "
            "through, the idea behind LSTM gates, squeeze-and-excitation blocks and attention "
            "masks. Both inputs must have exactly the same shape; nothing is broadcast."
        ),
        inputs=TWO,
        outputs=(Port("out", "a x b"),),
        params=(),
        infer=_infer_elementwise("give both branches the same number of channels/features, e.g. with a Linear layer"),
        build=_build_multiply,
        codegen=expression("{id} = {a} * {b}"),
        pytorch_import=_elementwise(("mul", "imul")),
        onnx_import=OnnxImport(ops=("Mul",), map=_two_computed),
    )
)

CONCAT_PORTS = ("a", "b", "c", "d", "more")


def concat_specs(inputs) -> list[tuple[str, TensorSpec]]:
    """The connected inputs in joining order: a, b, c, d, then `more` in the order its edges were connected."""
    specs = []
    for port in CONCAT_PORTS:
        value = inputs.get(port)
        if isinstance(value, list):
            specs += [(f"{port}[{i}]", spec) for i, spec in enumerate(value)]
        elif value is not None:
            specs.append((port, value))
    return specs


def _infer_concat(params, inputs):
    specs = concat_specs(inputs)
    for port, spec in specs:
        require_batched(spec, port)
        require_float(spec, port)
    first_port, first = specs[0]
    axis_of(first, params["dim"])  # raises when there is no such axis
    axis = params["dim"] % len(first.dims)
    for port, spec in specs[1:]:
        if len(spec.dims) != len(first.dims):
            raise ShapeError(
                f"gets {first_port} = {first.bracket()} and {port} = {spec.bracket()}, "
                f"but all inputs need the same number of axes",
                "add a Flatten or Reshape so the inputs line up",
            )
        for i, (x, y) in enumerate(zip(first.dims, spec.dims, strict=True)):
            if i != axis and x != y:
                raise ShapeError(
                    f"gets {first_port} = {first.bracket()} and {port} = {spec.bracket()}: axis {i} "
                    f"(after B) is {x} vs {y}, but only the joined axis {params['dim']} may differ",
                    "make the other axes equal (e.g. the same image size), or change dim",
                )
    dims = list(first.dims)
    dims[axis] = sum(spec.dims[axis] for _, spec in specs)
    return {"out": TensorSpec(tuple(dims))}


def _build_concat(params, inputs):
    from engine.nodes.modules import Concat

    return Concat(axis_of(concat_specs(inputs)[0][1], params["dim"]))


def _concat_code(c) -> list[str]:
    joined = ", ".join(c.args) + ("," if len(c.args) == 1 else "")  # (x,) is a tuple of one
    return [f"{c.node_id} = torch.cat(({joined}), dim={axis_of(c.spec, c.params['dim'])})"]


def _concat_params(count: int, dim: int) -> dict:
    if count < 1:
        raise Unmapped("joins no tensors")
    return {"dim": after_batch(dim)}


register(
    NodeType(
        type_id="merge.Concat",
        title="Concat",
        aliases=("concatenate", "cat", "join", "stack"),
        category="merge",
        help=(
            "Joins tensors along one axis: [B, 16] and [B, 8] become [B, 24]; two "
            "images [B, 16, 8, 8] and [B, 8, 8, 8] become [B, 24, 8, 8] with dim 0 (channels). "
            "Use it to combine different views of the input, or the skip connections of a U-Net. "
            "All other axes must be equal. Unlike Add it keeps the branches apart and lets the next "
            "layer learn how to mix them, at the cost of more weights there. Inputs are joined in "
            "the order a, b, c, d, then every tensor on `more` in the order it was connected, so a "
            "DenseNet block can join all its earlier layers; a single input passes through."
        ),
        inputs=(
            Port("a", "first tensor"),
            Port("b", "second tensor", optional=True),
            Port("c", "third tensor", optional=True),
            Port("d", "fourth tensor", optional=True),
            Port("more", "any number of further tensors, joined after d in the order connected", multiple=True),
        ),
        outputs=(Port("out", "the inputs joined along dim"),),
        params=(
            Param(
                "dim",
                "int",
                0,
                "Axis to join along, counted after B: 0 is features or channels, -1 the last axis.",
                minimum=-8,
                maximum=8,
            ),
        ),
        infer=_infer_concat,
        build=_build_concat,
        codegen=LayerCode(forward=_concat_code),
        pytorch_import=PyTorchImport(
            functions=("cat",),
            signature=("tensors", "dim"),
            function_params=lambda b: _concat_params(len(b["tensors"]), b.get("dim", 0)),
            tensor_args=("tensors",),
        ),
        onnx_import=OnnxImport(
            ops=("Concat",),
            map=lambda op: OnnxMapping(_concat_params(len(op.inputs), int(op.attrs.get("axis", 1))), tensors=None),
        ),
    )
)


def _infer_detach(params, inputs):
    x = inputs["in"]
    require_batched(x)
    return {"out": x}


def _build_detach(params, inputs):
    from engine.nodes.modules import Detach

    return Detach()


register(
    NodeType(
        type_id="merge.Detach",
        title="Detach",
        aliases=("stop gradient",),
        category="merge",
        help=(
            "Passes its input through unchanged but stops gradients: nothing behind it learns from "
            "losses computed after it. In a GAN the discriminator's loss on fake images must train "
            "the discriminator only, so the generator's output goes through a Detach on that path, "
            "while the generator's own loss uses the undetached output. Optimizers also stop "
            "collecting weights at a Detach. Placed by mistake, it silently freezes everything "
            "before it."
        ),
        inputs=(Port("in", "input tensor"),),
        outputs=(Port("out", "the same values, without gradient"),),
        params=(),
        infer=_infer_detach,
        build=_build_detach,
        codegen=expression("{id} = {a}.detach()"),
        pytorch_import=PyTorchImport(functions=("detach",)),
        onnx_import=NoImport("an ONNX file holds no gradients, so a detach leaves no operator behind"),
    )
)


def _infer_constant_like(params, inputs):
    like = inputs["like"]
    require_batched(like, "like")
    dims = like.dims if like.dims or not like.is_labels else (1,)
    return {"out": TensorSpec(dims)}


def _build_constant_like(params, inputs):
    from engine.nodes.modules import ConstantLike

    return ConstantLike(params["value"])


def _constant_like_code(c) -> list[str]:
    value = float(c.params["value"])
    if not c.spec.is_labels:
        return [f"{c.node_id} = torch.full_like({c.x}, {value!r})"]
    shape = f"{c.x}.shape" if c.spec.dims else f"({c.x}.shape[0], 1)"
    return [f"{c.node_id} = torch.full({shape}, {value!r}, device={c.x}.device)"]


TRAINING_TARGETS = "it makes training targets (a GAN's real/fake labels), which an imported model never computes"


register(
    NodeType(
        type_id="merge.ConstantLike",
        title="Constant Like",
        category="merge",
        help=(
            "Outputs a float tensor filled with one value, shaped like its input: only the shape "
            "of `like` is used, never its values. This makes the targets of a GAN: connect the "
            "discriminator's output [B, 1] and set value 1 for 'real' or 0 for 'fake', then feed "
            "both into BCEWithLogits. Class labels [B] give [B, 1], one value per sample, the shape "
            "a one-output discriminator needs. No gradient flows through it."
        ),
        inputs=(Port("like", "tensor whose shape (and batch size) to copy"),),
        outputs=(Port("out", "float tensor filled with value"),),
        params=(
            Param(
                "value",
                "float",
                1.0,
                "The number every element is set to (1 = real, 0 = fake in a GAN).",
                minimum=-1e6,
                maximum=1e6,
            ),
        ),
        infer=_infer_constant_like,
        build=_build_constant_like,
        codegen=LayerCode(forward=_constant_like_code),
        pytorch_import=NoImport(TRAINING_TARGETS),
        onnx_import=NoImport(TRAINING_TARGETS),
    )
)


def _infer_real_fake(params, inputs):
    real, fake = inputs["real"], inputs["fake"]
    for port, spec in (("real", real), ("fake", fake)):
        require_batched(spec, port)
        require_float(spec, port)
    if real.dims != fake.dims:
        raise ShapeError(
            f"gets real {real.bracket()} and fake {fake.bracket()}, but a discriminator can only "
            "judge samples of one shape",
            f"make the generator output the shape of the real samples, {real.bracket()}",
        )
    flag = TensorSpec((1,))
    return {"out": real, "is_real": flag, "fooled": flag}


def _build_real_fake(params, inputs):
    from engine.nodes.modules import RealFakeBatch

    return RealFakeBatch()


def _real_fake_code(c) -> list[str]:
    real, fake, i = c.args[0], c.args[1], c.node_id
    return [
        f"{i}_out = torch.cat(({real}, {fake}), dim=0)  # real rows, then fake rows",
        f"{i}_is_real = torch.cat(({real}.new_ones({real}.shape[0], 1), {fake}.new_zeros({fake}.shape[0], 1)), dim=0)",
        f"{i}_fooled = 1.0 - {i}_is_real",
    ]


register(
    NodeType(
        type_id="merge.RealFakeBatch",
        title="Real + Fake Batch",
        category="merge",
        help=(
            "The heart of a GAN: stacks a batch of real samples and a batch of generated ones into "
            "one batch, so a single discriminator judges both, and outputs the matching targets. "
            "`is_real` is 1 for real rows and 0 for fake rows: the discriminator's loss "
            "(BCEWithLogits) uses it to learn to tell them apart. `fooled` is the flip, 0 for real "
            "and 1 for fake: the generator's loss uses it, because the generator wins when the "
            "discriminator calls its samples real. Give each of the two optimizers a `scope` "
            "(the discriminator's layers, the generator's layers) so each only updates its own "
            "network; the rows of real samples carry no gradient to the generator."
        ),
        inputs=(
            Port("real", "a batch of real samples (the Dataset's x)"),
            Port("fake", "a batch of generated samples (the generator's output)"),
        ),
        outputs=(
            Port("out", "real and fake samples stacked along the batch"),
            Port("is_real", "[B, 1] targets: 1 for real rows, 0 for fake rows"),
            Port("fooled", "[B, 1] flipped targets: 0 for real rows, 1 for fake rows"),
        ),
        params=(),
        infer=_infer_real_fake,
        build=_build_real_fake,
        codegen=LayerCode(forward=_real_fake_code),
        pytorch_import=NoImport(TRAINING_TARGETS),
        onnx_import=NoImport(TRAINING_TARGETS),
    )
)
