"""Activation nodes: element-wise non-linearities (and softmax over classes)."""

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
    Unmapped,
    register,
)
from engine.registry.codegen import call, non_default, plain
from engine.registry.traits import DIES, PROBABILITIES, SATURATING

IN = (Port("in", "input tensor"),)
OUT = (Port("out", "same shape as the input"),)


def _same_shape(params, inputs):
    x = inputs["in"]
    require_batched(x)
    require_float(x)
    return {"out": x}


def _over_axis(params, inputs):
    x = _same_shape(params, inputs)["out"]
    axis_of(x, params["dim"])
    return {"out": x}


def _build(kind: str):
    """A builder for the torch.nn activation `kind`, given this node's params."""

    def build(params, inputs):
        import torch.nn as nn

        if kind == "LeakyReLU":
            return nn.LeakyReLU(params["negative_slope"])
        if kind == "ELU":
            return nn.ELU(params["alpha"])
        if kind == "GELU":
            return nn.GELU(approximate=params["approximate"])
        if kind in ("Softmax", "LogSoftmax"):
            return getattr(nn, kind)(dim=axis_of(inputs["in"], params["dim"]))
        return getattr(nn, kind)()

    return build


def _activation(
    kind: str,
    title: str,
    help_text: str,
    params: tuple[Param, ...] = (),
    infer=_same_shape,
    *,
    codegen: LayerCode,
    pytorch: PyTorchImport | NoImport,
    onnx: OnnxImport | NoImport,
    traits: tuple[str, ...] = (),
) -> NodeType:
    return register(
        NodeType(
            type_id=f"activations.{kind}",
            title=title,
            category="activations",
            help=help_text,
            inputs=IN,
            outputs=OUT,
            params=params,
            infer=infer,
            build=_build(kind),
            codegen=codegen,
            pytorch_import=pytorch,
            onnx_import=onnx,
            traits=traits,
        )
    )


def _parameterless(module: str, function: str, onnx_op: str) -> dict:
    """Code and imports of an activation without params: `nn.ReLU()`, `F.relu`, ONNX `Relu`."""
    return {
        "codegen": plain(module),
        "pytorch": PyTorchImport(modules=(module,), functions=(function,), signature=("input", "inplace")),
        "onnx": OnnxImport(ops=(onnx_op,)),
    }


def _softmax_dim(dim) -> dict:
    if dim is None:
        raise Unmapped("has no dim; give softmax an explicit dim")
    return {"dim": after_batch(dim)}


def _softmax_like(kind: str, function: str) -> dict:
    return {
        "codegen": LayerCode(lambda c: call(f"nn.{kind}", dim=axis_of(c.spec, c.params["dim"]))),
        "pytorch": PyTorchImport(
            modules=(kind,),
            module_params=lambda m: _softmax_dim(m.dim),
            functions=(function,),
            signature=("input", "dim"),
            function_params=lambda b: _softmax_dim(b.get("dim")),
        ),
        "onnx": OnnxImport(ops=(kind,), map=lambda op: OnnxMapping(_softmax_dim(int(op.attrs.get("axis", -1))))),
    }


_activation(
    "ReLU",
    "ReLU",
    "Rectified linear unit: max(0, x). The default activation for hidden layers: cheap, "
    "and its gradient is 1 for positive inputs, so it does not shrink gradients the way "
    "sigmoid and tanh do (the vanishing-gradient problem). A unit whose input is always "
    "negative outputs 0 and stops learning (a dead ReLU); Netwright shows the dead "
    "fraction while training. Leaky ReLU avoids it.",
    **_parameterless("ReLU", "relu", "Relu"),
    traits=(DIES,),
)

_activation(
    "LeakyReLU",
    "Leaky ReLU",
    "Like ReLU, but negative inputs are multiplied by a small slope instead of set to 0: "
    "x if x > 0, else negative_slope x. Because the gradient is never exactly zero, a unit "
    "cannot die the way a ReLU unit can when its inputs stay negative. Use it when many "
    "ReLU units go dead (a high learning rate makes that likely), and in GAN discriminators.",
    (
        Param(
            "negative_slope",
            "float",
            0.01,
            "Slope for negative inputs (0 gives a plain ReLU).",
            minimum=0.0,
            maximum=1.0,
        ),
    ),
    codegen=LayerCode(lambda c: call("nn.LeakyReLU", negative_slope=c.params["negative_slope"])),
    pytorch=PyTorchImport(
        modules=("LeakyReLU",),
        module_params=lambda m: {"negative_slope": float(m.negative_slope)},
        functions=("leaky_relu",),
        signature=("input", "negative_slope", "inplace"),
        function_params=lambda b: {"negative_slope": float(b.get("negative_slope", 0.01))},
    ),
    onnx=OnnxImport(ops=("LeakyRelu",), map=lambda op: OnnxMapping({"negative_slope": op.attrs.get("alpha", 0.01)})),
)

_activation(
    "Sigmoid",
    "Sigmoid",
    "Squashes every value into (0, 1) with 1 / (1 + e^-x), so an output can be read as a "
    "probability or a gate. In hidden layers it is a poor choice: for large positive or "
    "negative inputs its gradient is almost 0, and stacked sigmoids make gradients vanish, "
    "so early layers stop learning. Do not put it before BCEWithLogits, which applies one "
    "itself; use it on the output only when you need the probabilities.",
    **_parameterless("Sigmoid", "sigmoid", "Sigmoid"),
    traits=(SATURATING, PROBABILITIES),
)

_activation(
    "Tanh",
    "Tanh",
    "Squashes every value into (-1, 1). Its output is centred on zero, which makes it train "
    "better than sigmoid in hidden layers, and it is the classic activation inside recurrent "
    "networks and at a GAN generator's output (images scaled to -1..1). For large inputs its "
    "gradient is almost 0, so deep stacks of tanh suffer from vanishing gradients; prefer "
    "ReLU in deep feedforward networks.",
    **_parameterless("Tanh", "tanh", "Tanh"),
    traits=(SATURATING,),
)

SOFTMAX_DIM = Param(
    "dim",
    "int",
    -1,
    "Axis the result is taken over, counted after B: -1 is the last axis "
    "(classes in [B, C] or [B, T, C]); use 0 for [B, C, H, W].",
    minimum=-8,
    maximum=8,
)

_activation(
    "Softmax",
    "Softmax",
    "Turns a vector of scores into probabilities: e^x_i / sum_j e^x_j, all positive and "
    "summing to 1 along the chosen axis (the class axis). Use it to show or sample class "
    "probabilities after training. Do not put it before CrossEntropy, which applies its own "
    "softmax: a double softmax squeezes the scores and learning stalls. For KLDivergence use "
    "LogSoftmax instead.",
    (SOFTMAX_DIM,),
    _over_axis,
    **_softmax_like("Softmax", "softmax"),
    traits=(PROBABILITIES,),
)

_activation(
    "LogSoftmax",
    "LogSoftmax",
    "The logarithm of softmax, computed in one numerically stable step: log-probabilities, "
    "all at most 0, along the chosen axis (the class axis). It is what KLDivergence expects "
    "as its prediction. Computing Softmax and then a log separately can give -inf when a "
    "probability rounds to 0; this node avoids that. CrossEntropy does not need it: it takes "
    "raw scores.",
    (SOFTMAX_DIM,),
    _over_axis,
    **_softmax_like("LogSoftmax", "log_softmax"),
)

_activation(
    "GELU",
    "GELU",
    "Gaussian error linear unit: x times the probability that a standard normal value is "
    "below x, a smooth version of ReLU that lets small negative values through. It is the "
    "activation of transformers (BERT, GPT). It costs a little more than ReLU and has no "
    "dead units; in small networks the two usually learn about equally well.",
    (
        Param(
            "approximate",
            "choice",
            "none",
            "none: exact formula; tanh: a faster approximation.",
            choices=("none", "tanh"),
            advanced=True,
        ),
    ),
    codegen=LayerCode(lambda c: call("nn.GELU", **non_default(approximate=(c.params["approximate"], "none")))),
    pytorch=PyTorchImport(
        modules=("GELU",),
        module_params=lambda m: {"approximate": m.approximate},
        functions=("gelu",),
        signature=("input", "approximate"),
        function_params=lambda b: {"approximate": b.get("approximate", "none")},
    ),
    onnx=OnnxImport(ops=("Gelu",), map=lambda op: OnnxMapping({"approximate": op.attrs.get("approximate", "none")})),
)

_activation(
    "ELU",
    "ELU",
    "Exponential linear unit: x for positive inputs, alpha (e^x - 1) for negative ones, "
    "which bends smoothly towards -alpha. Like Leaky ReLU it keeps a gradient for negative "
    "inputs, so units do not die, and its mean output is closer to zero, which can speed up "
    "learning. The exponential makes it slower to compute than ReLU.",
    (
        Param(
            "alpha",
            "float",
            1.0,
            "Value the output approaches for very negative inputs (as -alpha).",
            minimum=0.0,
            maximum=10.0,
        ),
    ),
    codegen=LayerCode(lambda c: call("nn.ELU", alpha=c.params["alpha"])),
    pytorch=PyTorchImport(
        modules=("ELU",),
        module_params=lambda m: {"alpha": float(m.alpha)},
        functions=("elu",),
        signature=("input", "alpha", "inplace"),
        function_params=lambda b: {"alpha": float(b.get("alpha", 1.0))},
    ),
    onnx=OnnxImport(ops=("Elu",), map=lambda op: OnnxMapping({"alpha": op.attrs.get("alpha", 1.0)})),
)

_activation(
    "SiLU",
    "SiLU (Swish)",
    "Sigmoid-weighted linear unit: x times sigmoid(x), also called Swish. Like GELU it is a "
    "smooth ReLU that lets small negative values through and dips slightly below zero, so no "
    "unit dies. It is the activation of EfficientNet and of many recent vision and language "
    "models; it costs a sigmoid per value, a little more than ReLU.",
    codegen=plain("SiLU"),
    pytorch=PyTorchImport(modules=("SiLU",), functions=("silu",), signature=("input", "inplace")),
    onnx=NoImport("ONNX has no SiLU operator: exporters write Sigmoid then Mul, which import as two nodes"),
)

_activation(
    "Hardswish",
    "Hardswish",
    "A cheap, piecewise version of SiLU: x times relu6(x + 3) / 6, so 0 below -3, x above 3 "
    "and a smooth-looking curve in between. It was made for MobileNetV3, where exponentials are "
    "costly on phones. It learns about as well as SiLU; on a desktop CPU the difference in speed "
    "is small.",
    **_parameterless("Hardswish", "hardswish", "HardSwish"),
    traits=(DIES,),  # exactly 0 below -3
)


def _clip_to_relu6(op) -> OnnxMapping:
    """ONNX Clip with bounds 0 and 6 (inputs from opset 11, attributes before) is ReLU6."""
    low, high = op.const(1, required=False), op.const(2, required=False)
    low = float(low) if low is not None else op.attrs.get("min")
    high = float(high) if high is not None else op.attrs.get("max")
    if (low, high) != (0.0, 6.0):
        raise Unmapped(f"clips to [{low}, {high}]; only a clip to [0, 6] (ReLU6) has a Netwright node")
    return OnnxMapping()


_activation(
    "ReLU6",
    "ReLU6",
    "ReLU capped at 6: min(max(0, x), 6). MobileNet uses it so activations stay in a small range "
    "that low-precision (8-bit) arithmetic on phones can hold. Inside the range it is exactly "
    "ReLU, and like ReLU a unit whose input stays negative stops learning; above 6 the gradient "
    "is 0 too. Outside mobile-style networks a plain ReLU is the usual choice.",
    codegen=plain("ReLU6"),
    traits=(DIES,),
    pytorch=PyTorchImport(modules=("ReLU6",), functions=("relu6",), signature=("input", "inplace")),
    onnx=OnnxImport(ops=("Clip",), map=_clip_to_relu6),
)


def _hard_sigmoid(op) -> OnnxMapping:
    """ONNX HardSigmoid is max(0, min(1, alpha x + beta)); torch's is alpha 1/6, beta 0.5."""
    alpha, beta = float(op.attrs.get("alpha", 0.2)), float(op.attrs.get("beta", 0.5))
    if abs(alpha - 1 / 6) > 1e-6 or beta != 0.5:
        raise Unmapped(f"has alpha {alpha:g} and beta {beta:g}; Netwright's Hardsigmoid is torch's (1/6, 0.5)")
    return OnnxMapping()


_activation(
    "Hardsigmoid",
    "Hardsigmoid",
    "A cheap, piecewise-linear sigmoid: 0 below -3, 1 above 3 and x / 6 + 1/2 in between. "
    "MobileNetV3 uses it as the gate of its squeeze-and-excitation blocks, where the exponential "
    "of a real sigmoid is costly on phones. Like sigmoid its gradient is 0 far from zero (here "
    "exactly 0 beyond +-3), so keep it for gates and outputs, not deep hidden stacks.",
    codegen=plain("Hardsigmoid"),
    traits=(SATURATING, DIES),  # flat at 0 below -3 and at 1 above 3
    pytorch=PyTorchImport(modules=("Hardsigmoid",), functions=("hardsigmoid",), signature=("input", "inplace")),
    onnx=OnnxImport(ops=("HardSigmoid",), map=_hard_sigmoid),
)

_activation(
    "Mish",
    "Mish",
    "x times tanh(softplus(x)): a smooth, non-monotonic activation like SiLU that lets small "
    "negative values through and dips slightly below zero, so no unit dies. YOLOv4 and some "
    "image classifiers use it and report slightly better accuracy than ReLU. It costs an "
    "exponential and a tanh per value, noticeably more than ReLU on a CPU.",
    **_parameterless("Mish", "mish", "Mish"),
)


def _infer_prelu(params, inputs):
    x = _same_shape(params, inputs)["out"]
    if params["per_channel"] and not x.dims:
        raise ShapeError(
            f"gets {x.bracket()}, one value per sample, so there is no channel axis for per_channel slopes",
            "turn per_channel off (one slope shared by all values)",
        )
    return {"out": x}


def _build_prelu(params, inputs):
    import torch.nn as nn

    return nn.PReLU(_prelu_count(params, inputs["in"]), init=params["initial_slope"])


def _prelu_count(params, spec) -> int:
    return spec.dims[0] if params["per_channel"] else 1


def _prelu_params(m) -> dict:
    return {"per_channel": m.num_parameters != 1, "initial_slope": float(f"{float(m.init):.6g}")}


def _prelu_from_onnx(op) -> OnnxMapping:
    slope = op.const(1)
    if sum(d != 1 for d in slope.shape) > 1:
        raise Unmapped(f"has slopes of shape {list(slope.shape)}; PReLU has one slope, or one per channel")
    flat = slope.reshape(-1)
    return OnnxMapping({"per_channel": flat.size != 1}, {"weight": flat}, (0,), 1)


register(
    NodeType(
        type_id="activations.PReLU",
        title="PReLU",
        aliases=("parametric relu", "leaky relu"),
        category="activations",
        help=(
            "Parametric ReLU: x for positive inputs, a times x for negative ones, where the slope a "
            "is learned (one for all values, or one per channel). It is a Leaky ReLU that finds its "
            "own slope, used in ResNet-style image classifiers and super-resolution networks. The "
            "slopes are weights: they train, are saved and exported, and weight decay pulls them "
            "towards 0 (a plain ReLU), so some prefer no decay on them."
        ),
        inputs=IN,
        outputs=OUT,
        params=(
            Param(
                "per_channel",
                "bool",
                False,
                "Learn one slope per channel (axis 1, after B) instead of one shared slope.",
            ),
            Param(
                "initial_slope",
                "float",
                0.25,
                "Starting value of the slopes (torch calls it init).",
                minimum=-10.0,
                maximum=10.0,
            ),
        ),
        infer=_infer_prelu,
        build=_build_prelu,
        has_weights=True,
        weight_init=False,  # its slopes start at initial_slope, not drawn at random
        codegen=LayerCode(
            lambda c: call(
                "nn.PReLU",
                **non_default(
                    num_parameters=(_prelu_count(c.params, c.spec), 1), init=(c.params["initial_slope"], 0.25)
                ),
            )
        ),
        pytorch_import=PyTorchImport(modules=("PReLU",), module_params=_prelu_params),
        onnx_import=OnnxImport(ops=("PRelu",), map=_prelu_from_onnx),
    )
)
