"""Merge and flow nodes: combine branches (residual connections, concatenation), stop gradients."""

from __future__ import annotations

from engine.nodes.checks import axis_of, require_batched, require_float
from engine.registry import NodeType, Param, Port, ShapeError, TensorSpec, register

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


def _build_add(params, inputs):
    from engine.nodes.modules import Add

    return Add()


register(
    NodeType(
        type_id="merge.Add",
        title="Add",
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
    )
)


def _build_multiply(params, inputs):
    from engine.nodes.modules import Multiply

    return Multiply()


register(
    NodeType(
        type_id="merge.Multiply",
        title="Multiply",
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
    )
)

CONCAT_PORTS = ("a", "b", "c", "d")


def _infer_concat(params, inputs):
    specs = [(port, inputs[port]) for port in CONCAT_PORTS if inputs.get(port) is not None]
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

    return Concat(axis_of(inputs["a"], params["dim"]))


register(
    NodeType(
        type_id="merge.Concat",
        title="Concat",
        category="merge",
        help=(
            "Joins two to four tensors along one axis: [B, 16] and [B, 8] become [B, 24]; two "
            "images [B, 16, 8, 8] and [B, 8, 8, 8] become [B, 24, 8, 8] with dim 0 (channels). "
            "Use it to combine different views of the input, or the skip connections of a U-Net. "
            "All other axes must be equal. Unlike Add it keeps the branches apart and lets the next "
            "layer learn how to mix them, at the cost of more weights there."
        ),
        inputs=(*TWO, Port("c", "third tensor", optional=True), Port("d", "fourth tensor", optional=True)),
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
    )
)
