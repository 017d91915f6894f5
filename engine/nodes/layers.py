"""Layer nodes: the parts of a network that hold weights or reshape tensors."""

from __future__ import annotations

from math import isqrt, prod

from engine.nodes.checks import (
    check_pool_padding,
    check_window,
    flat_features,
    require_batched,
    require_float,
    transpose_arithmetic,
    transpose_out,
)
from engine.registry import NodeType, Param, Port, ShapeError, TensorSpec, register

IN = (Port("in", "input tensor"),)
OUT = (Port("out", "output tensor"),)
SIZE_MAX = 1_000_000


def _out_channels(default: int = 16) -> Param:
    return Param("out_channels", "int", default, "Number of filters, i.e. channels of the output.", minimum=1, maximum=65536)


def _kernel(default: int = 3) -> Param:
    return Param("kernel_size", "int", default, "Width of the sliding window (square in 2-D).", minimum=1, maximum=255)


def _stride(default: int = 1) -> Param:
    return Param("stride", "int", default, "Step between window positions; 2 halves the size.", minimum=1, maximum=255)


def _padding(default: int = 0) -> Param:
    return Param("padding", "int", default, "Zeros added on each border; kernel_size // 2 keeps the size at stride 1.",
                 minimum=0, maximum=255)


DILATION = Param("dilation", "int", 1, "Spacing between window taps; > 1 sees further with the same weights.",
                 minimum=1, maximum=64, advanced=True)
BIAS = Param("bias", "bool", True, "Add a learned bias to each output.")


def _reshape_fix(shape: list[int]) -> dict:
    return {"kind": "insert_node", "type": "layers.Reshape", "port": "in", "params": {"shape": shape}}


def _require_spatial(x: TensorSpec, spatial: int) -> None:
    """Fail unless x is [B, C, L] (spatial=1) or [B, C, H, W] (spatial=2), with a fitting hint."""
    require_batched(x)
    require_float(x)
    if x.rank == spatial + 2:
        return
    layout = "[B, channels, length]" if spatial == 1 else "[B, channels, height, width]"
    hint, fix = "reshape it to " + layout[4:], None
    if spatial == 2 and x.rank == 2 and isqrt(x.features) ** 2 == x.features:
        side = isqrt(x.features)
        hint = f"insert a Reshape to [1, {side}, {side}] (one channel, {side} x {side} = {x.features} pixels)"
        fix = _reshape_fix([1, side, side])
    elif spatial == 2 and x.rank == 3:
        hint = f"insert a Reshape to [1, {x.dims[0]}, {x.dims[1]}] to add a channel axis"
        fix = _reshape_fix([1, *x.dims])
    elif spatial == 1 and x.rank == 2:
        hint = f"insert a Reshape to [1, {x.dims[0]}] to read the features as a one-channel signal"
        fix = _reshape_fix([1, x.dims[0]])
    elif spatial == 1 and x.rank == 4:
        hint = "this is an image: use the 2-D version of this layer"
    raise ShapeError(f"gets {x.bracket()} but needs {layout}", hint, fix)


def _spatial_axes(spatial: int) -> tuple[int, ...]:
    return tuple(range(1, spatial + 1))


# --- Dense -----------------------------------------------------------------------------------


def _infer_linear(params, inputs):
    x = inputs["in"]
    require_batched(x)
    require_float(x)
    if x.rank == 1:
        raise ShapeError(
            f"gets {x.bracket()} (one number per sample, no feature axis) but needs [B, features]",
            "add a Reshape to [1] before it",
            fix=_reshape_fix([1]),
        )
    if x.rank > 3:
        raise ShapeError(
            f"gets {x.bracket()} but needs a flat [B, features] input",
            f"insert Flatten ({flat_features(x)} features)",
            fix={"kind": "insert_node", "type": "layers.Flatten", "port": "in"},
        )
    return {"out": x.with_dims(*x.dims[:-1], params["out_features"])}


def _build_linear(params, inputs):
    import torch.nn as nn

    return nn.Linear(inputs["in"].dims[-1], params["out_features"], bias=params["bias"])


register(NodeType(
    type_id="layers.Linear",
    title="Linear",
    category="layers",
    help=(
        "A fully connected (dense) layer: every output is a weighted sum of all inputs plus a "
        "bias, y = xW^T + b. Stacks of Linear layers with activations between them form a "
        "feedforward network (multi-layer perceptron). Without an activation between two "
        "Linear layers they collapse into one, so put a ReLU or Tanh in between. The input "
        "size is taken from the incoming edge; on a sequence [B, T, F] it is applied to each "
        "step."
    ),
    inputs=IN,
    outputs=OUT,
    params=(
        Param("out_features", "int", 64, "Number of outputs (neurons).", minimum=1, maximum=SIZE_MAX),
        BIAS,
    ),
    infer=_infer_linear,
    build=_build_linear,
    has_weights=True,
    legacy_ids=("layers.Dense",),
))


# --- Convolutions ----------------------------------------------------------------------------


def _conv_infer(spatial: int):
    def infer(params, inputs):
        x = inputs["in"]
        _require_spatial(x, spatial)
        sizes = check_window(x, _spatial_axes(spatial), params["kernel_size"], params["stride"],
                             params["padding"], params["dilation"])
        return {"out": x.with_dims(params["out_channels"], *sizes)}

    return infer


def _conv_build(spatial: int):
    def build(params, inputs):
        import torch.nn as nn

        conv = nn.Conv1d if spatial == 1 else nn.Conv2d
        return conv(inputs["in"].dims[0], params["out_channels"], params["kernel_size"], stride=params["stride"],
                    padding=params["padding"], dilation=params["dilation"], bias=params["bias"])

    return build


CONV_PARAMS = (_out_channels(), _kernel(), _stride(), _padding(), DILATION, BIAS)

register(NodeType(
    type_id="layers.Conv1d",
    title="Conv1d",
    category="layers",
    help=(
        "A 1-D convolution: slides small learned filters along a signal [B, channels, length] "
        "and outputs one channel per filter. It finds local patterns (a spike, a rising edge) "
        "wherever they occur, with far fewer weights than a Linear layer. Each output length "
        "is floor((length + 2 x padding - kernel_size) / stride) + 1, so without padding the "
        "signal shrinks. A sequence [B, T, F] has time on the wrong axis for it: Conv1d wants "
        "the channels first."
    ),
    inputs=IN,
    outputs=OUT,
    params=CONV_PARAMS,
    infer=_conv_infer(1),
    build=_conv_build(1),
    has_weights=True,
))

register(NodeType(
    type_id="layers.Conv2d",
    title="Conv2d",
    category="layers",
    help=(
        "A 2-D convolution: slides small learned filters (kernel_size x kernel_size) over an "
        "image [B, channels, height, width] and outputs one feature map per filter. The "
        "building block of convolutional networks (CNNs): early layers find edges, later ones "
        "combine them into shapes. Each output side is floor((side + 2 x padding - "
        "kernel_size) / stride) + 1; padding = kernel_size // 2 keeps the size. A flat input "
        "such as [B, 784] must first be reshaped to [1, 28, 28]."
    ),
    inputs=IN,
    outputs=OUT,
    params=CONV_PARAMS,
    infer=_conv_infer(2),
    build=_conv_build(2),
    has_weights=True,
))


def _infer_conv_transpose(params, inputs):
    x = inputs["in"]
    _require_spatial(x, 2)
    k, s, p, op, d = (params[n] for n in ("kernel_size", "stride", "padding", "output_padding", "dilation"))
    if op >= max(s, d):
        raise ShapeError(
            f"has output_padding {op} but it must be smaller than stride ({s}) or dilation ({d})",
            "output_padding only picks between output sizes that stride leaves ambiguous; set it to 0",
        )
    sizes = []
    for size in x.dims[1:]:
        out = transpose_out(size, k, s, p, op, d)
        if out < 1:
            raise ShapeError(
                f"gets {x.bracket()}: the output would be empty ({transpose_arithmetic(size, k, s, p, op, d)})",
                "use less padding or a larger kernel_size",
            )
        sizes.append(out)
    return {"out": x.with_dims(params["out_channels"], *sizes)}


def _build_conv_transpose(params, inputs):
    import torch.nn as nn

    return nn.ConvTranspose2d(inputs["in"].dims[0], params["out_channels"], params["kernel_size"],
                              stride=params["stride"], padding=params["padding"],
                              output_padding=params["output_padding"], dilation=params["dilation"],
                              bias=params["bias"])


register(NodeType(
    type_id="layers.ConvTranspose2d",
    title="ConvTranspose2d",
    category="layers",
    help=(
        "A transposed convolution: the learned way to make an image larger, used by decoders, "
        "autoencoders and GAN generators. Each output side is (side - 1) x stride - 2 x padding "
        "+ (kernel_size - 1) + output_padding + 1, so kernel_size 2 with stride 2 doubles it "
        "and kernel_size 4, stride 2, padding 1 doubles it too. When the kernel is not a "
        "multiple of the stride the overlaps can leave checkerboard patterns; Upsample followed "
        "by Conv2d avoids them."
    ),
    inputs=IN,
    outputs=OUT,
    params=(
        _out_channels(), _kernel(2), _stride(2), _padding(),
        Param("output_padding", "int", 0, "Extra rows/columns on one side to reach an exact size (< stride).",
              minimum=0, maximum=254, advanced=True),
        DILATION, BIAS,
    ),
    infer=_infer_conv_transpose,
    build=_build_conv_transpose,
    has_weights=True,
))


# --- Pooling ---------------------------------------------------------------------------------


def _pool_infer(spatial: int):
    def infer(params, inputs):
        x = inputs["in"]
        _require_spatial(x, spatial)
        check_pool_padding(params["kernel_size"], params["padding"])
        sizes = check_window(x, _spatial_axes(spatial), params["kernel_size"], params["stride"],
                             params["padding"], params.get("dilation", 1))
        return {"out": x.with_dims(x.dims[0], *sizes)}

    return infer


def _pool_build(kind: str):
    def build(params, inputs):
        import torch.nn as nn

        k, s, p = params["kernel_size"], params["stride"], params["padding"]
        if kind == "MaxPool1d":
            return nn.MaxPool1d(k, s, p, dilation=params["dilation"])
        if kind == "MaxPool2d":
            return nn.MaxPool2d(k, s, p, dilation=params["dilation"])
        return nn.AvgPool2d(k, s, p)

    return build


POOL_PARAMS = (_kernel(2), _stride(2), _padding())
MAX_POOL_HELP = (
    "Keeps the largest value in each window, so a feature that was found anywhere in the window "
    "survives while the size shrinks (kernel_size 2, stride 2 halves it). It has no weights. "
    "Pooling makes the network cheaper and a little tolerant to small shifts; pooling too often "
    "shrinks the input to nothing, and the node shows the arithmetic when that happens."
)

register(NodeType(
    type_id="layers.MaxPool1d",
    title="MaxPool1d",
    category="layers",
    help="Max pooling along a signal [B, channels, length]. " + MAX_POOL_HELP,
    inputs=IN,
    outputs=OUT,
    params=POOL_PARAMS + (DILATION,),
    infer=_pool_infer(1),
    build=_pool_build("MaxPool1d"),
))

register(NodeType(
    type_id="layers.MaxPool2d",
    title="MaxPool2d",
    category="layers",
    help="Max pooling over an image [B, channels, height, width]. " + MAX_POOL_HELP,
    inputs=IN,
    outputs=OUT,
    params=POOL_PARAMS + (DILATION,),
    infer=_pool_infer(2),
    build=_pool_build("MaxPool2d"),
))

register(NodeType(
    type_id="layers.AvgPool2d",
    title="AvgPool2d",
    category="layers",
    help=(
        "Average pooling over an image [B, channels, height, width]: each output is the mean "
        "of a window, so the size shrinks (kernel_size 2, stride 2 halves it) and the image is "
        "smoothed. It has no weights. Max pooling usually works better inside a CNN because it "
        "keeps the strongest response; averaging keeps weak and strong alike. Padded zeros "
        "count in the average at the borders."
    ),
    inputs=IN,
    outputs=OUT,
    params=POOL_PARAMS,
    infer=_pool_infer(2),
    build=_pool_build("AvgPool2d"),
))


def _infer_adaptive_pool(params, inputs):
    x = inputs["in"]
    _require_spatial(x, 2)
    return {"out": x.with_dims(x.dims[0], params["output_height"], params["output_width"])}


def _build_adaptive_pool(params, inputs):
    import torch.nn as nn

    return nn.AdaptiveAvgPool2d((params["output_height"], params["output_width"]))


register(NodeType(
    type_id="layers.AdaptiveAvgPool2d",
    title="AdaptiveAvgPool2d",
    category="layers",
    help=(
        "Averages each channel down to a fixed output size, whatever the input size: torch picks "
        "the windows for you. With output 1 x 1 it is global average pooling, which turns "
        "[B, C, H, W] into [B, C, 1, 1] and, after a Flatten, feeds a classifier with one "
        "number per channel. Modern CNNs end this way instead of flattening large maps, which "
        "needs far fewer weights and overfits less."
    ),
    inputs=IN,
    outputs=OUT,
    params=(
        Param("output_height", "int", 1, "Height of every output map.", minimum=1, maximum=4096),
        Param("output_width", "int", 1, "Width of every output map.", minimum=1, maximum=4096),
    ),
    infer=_infer_adaptive_pool,
    build=_build_adaptive_pool,
))


# --- Reshaping -------------------------------------------------------------------------------


def _infer_flatten(params, inputs):
    x = inputs["in"]
    require_batched(x)
    if x.rank == 1:
        raise ShapeError(
            f"gets {x.bracket()}, one value per sample: there is nothing to flatten",
            "remove the Flatten, or use a Reshape to [1] to get [B, 1]",
        )
    return {"out": TensorSpec((x.features,), x.dtype, True, x.num_classes)}


def _build_flatten(params, inputs):
    import torch.nn as nn

    return nn.Flatten()


register(NodeType(
    type_id="layers.Flatten",
    title="Flatten",
    category="layers",
    help=(
        "Turns each sample into one long vector, keeping the batch: [B, 16, 4, 4] becomes "
        "[B, 256]. Put it between the convolutional part of a CNN and its Linear head, which "
        "needs flat features. It has no weights; it only changes how the numbers are arranged."
    ),
    inputs=IN,
    outputs=OUT,
    params=(),
    infer=_infer_flatten,
    build=_build_flatten,
))


def _infer_reshape(params, inputs):
    x = inputs["in"]
    require_batched(x)
    shape = list(params["shape"])
    wanted = "[" + ", ".join(str(d) for d in shape) + "]"
    if 0 in shape:
        raise ShapeError(f"has shape {wanted} with a 0, but every axis needs at least one value",
                         "use -1 for the one axis whose size should be computed")
    if shape.count(-1) > 1:
        raise ShapeError(f"has shape {wanted} with more than one -1; only one axis can be computed",
                         "give every axis a size except one")
    have = f"{flat_features(x)} values per sample" if x.dims else "1 value per sample"
    known = prod(d for d in shape if d != -1)
    if -1 in shape:
        if x.features % known:
            raise ShapeError(
                f"gets {x.bracket()} ({have}) but the other axes of {wanted} hold {known}, "
                f"and {x.features} / {known} is not a whole number",
                f"choose sizes whose product divides {x.features}",
            )
        shape[shape.index(-1)] = x.features // known
    elif known != x.features:
        product = " x ".join(str(d) for d in shape)
        raise ShapeError(
            f"gets {x.bracket()} ({have}) but shape {wanted} holds {product} = {known}",
            f"the sizes must multiply to {x.features}; write -1 for one axis to have it computed",
        )
    return {"out": TensorSpec(tuple(shape), x.dtype, True, x.num_classes)}


def _build_reshape(params, inputs):
    from engine.nodes.modules import Reshape

    return Reshape(tuple(params["shape"]))


register(NodeType(
    type_id="layers.Reshape",
    title="Reshape",
    category="layers",
    help=(
        "Rearranges the values of each sample into a new shape, keeping the batch: [B, 784] "
        "with shape 1, 28, 28 becomes [B, 1, 28, 28], ready for a Conv2d. The batch axis is "
        "never written; one axis may be -1 and is then computed from the others. The sizes "
        "must multiply to the number of values per sample; nothing is added or dropped, and "
        "no weights are learned."
    ),
    inputs=IN,
    outputs=OUT,
    params=(
        Param("shape", "ints", [-1], "Size of each sample after reshaping, without B; one entry may be -1.",
              minimum=-1, maximum=SIZE_MAX, min_length=1),
    ),
    infer=_infer_reshape,
    build=_build_reshape,
))


# --- Regularization and normalization --------------------------------------------------------


def _infer_same_float(params, inputs):
    x = inputs["in"]
    require_batched(x)
    require_float(x)
    return {"out": x}


def _build_dropout(params, inputs):
    import torch.nn as nn

    return nn.Dropout(params["p"])


register(NodeType(
    type_id="layers.Dropout",
    title="Dropout",
    category="layers",
    help=(
        "While training, sets a random share p of the values to zero and scales the rest by "
        "1 / (1 - p); in evaluation it does nothing. Units cannot rely on one another, which "
        "fights overfitting: watch the gap between training and validation loss shrink. Too "
        "high a p makes the network underfit and learn slowly. Put it after an activation in "
        "the Linear head, typically with p between 0.2 and 0.5."
    ),
    inputs=IN,
    outputs=OUT,
    params=(Param("p", "float", 0.5, "Probability of zeroing each value while training.", minimum=0.0, maximum=0.99),),
    infer=_infer_same_float,
    build=_build_dropout,
))

NORM_PARAMS = (
    Param("momentum", "float", 0.1, "How fast the running mean and variance follow each batch.", minimum=0.0, maximum=1.0,
          advanced=True),
    Param("eps", "float", 1e-5, "Added to the variance for numerical stability.", minimum=1e-12, maximum=1.0, advanced=True),
    Param("affine", "bool", True, "Learn a scale and shift per channel after normalizing."),
)
BATCH_NORM_HELP = (
    "Each channel is normalized to mean 0 and variance 1 over the batch, then scaled and "
    "shifted by learned weights. This keeps activations in a good range so deeper networks "
    "train faster and tolerate larger learning rates. While training it uses the batch's "
    "statistics (a batch of one sample cannot be normalized), in evaluation the running "
    "averages, so training and validation outputs differ slightly."
)


def _infer_batch_norm(spatial: tuple[int, ...]):
    def infer(params, inputs):
        x = inputs["in"]
        require_batched(x)
        require_float(x)
        if x.rank in spatial:
            return {"out": x}
        if spatial == (4,):
            raise ShapeError(f"gets {x.bracket()} but needs images [B, channels, height, width]",
                             "use BatchNorm1d for [B, features] or [B, channels, length]")
        hint = "use BatchNorm2d for images" if x.rank == 4 else "it normalizes a feature axis: add a Reshape to [1]"
        raise ShapeError(f"gets {x.bracket()} but needs [B, features] or [B, channels, length]", hint)

    return infer


def _build_batch_norm(kind: str):
    def build(params, inputs):
        import torch.nn as nn

        norm = nn.BatchNorm1d if kind == "1d" else nn.BatchNorm2d
        return norm(inputs["in"].dims[0], eps=params["eps"], momentum=params["momentum"], affine=params["affine"])

    return build


register(NodeType(
    type_id="layers.BatchNorm1d",
    title="BatchNorm1d",
    category="layers",
    help="Batch normalization for [B, features] or [B, channels, length]. " + BATCH_NORM_HELP,
    inputs=IN,
    outputs=OUT,
    params=NORM_PARAMS,
    infer=_infer_batch_norm((2, 3)),
    build=_build_batch_norm("1d"),
    has_weights=True,
))

register(NodeType(
    type_id="layers.BatchNorm2d",
    title="BatchNorm2d",
    category="layers",
    help="Batch normalization for images [B, channels, height, width]. " + BATCH_NORM_HELP,
    inputs=IN,
    outputs=OUT,
    params=NORM_PARAMS,
    infer=_infer_batch_norm((4,)),
    build=_build_batch_norm("2d"),
    has_weights=True,
))


def _infer_layer_norm(params, inputs):
    x = inputs["in"]
    require_batched(x)
    require_float(x)
    if x.rank < 2:
        raise ShapeError(f"gets {x.bracket()} but needs a feature axis to normalize, [B, ..., features]",
                         "add a Reshape to [1] before it, or remove it", fix=_reshape_fix([1]))
    return {"out": x}


def _build_layer_norm(params, inputs):
    import torch.nn as nn

    return nn.LayerNorm(inputs["in"].dims[-1], eps=params["eps"], elementwise_affine=params["affine"])


register(NodeType(
    type_id="layers.LayerNorm",
    title="LayerNorm",
    category="layers",
    help=(
        "Normalizes each sample over its last axis to mean 0 and variance 1, then scales and "
        "shifts it by learned weights. Unlike BatchNorm it does not depend on the other samples "
        "in the batch, so it behaves the same in training and evaluation and works with a "
        "batch of one. It is the normalization of transformers and recurrent networks, applied "
        "to every time step of [B, T, F]."
    ),
    inputs=IN,
    outputs=OUT,
    params=(
        NORM_PARAMS[1],
        Param("affine", "bool", True, "Learn a scale and shift per feature after normalizing."),
    ),
    infer=_infer_layer_norm,
    build=_build_layer_norm,
    has_weights=True,
))


# --- Embeddings and recurrent layers ---------------------------------------------------------


def _infer_embedding(params, inputs):
    x = inputs["in"]
    require_batched(x)
    if not x.is_labels:
        raise ShapeError(f"gets float features {x.bracket()} but needs integer ids [B] or [B, T]",
                         "Embedding looks up a learned vector per id; for float features use Linear")
    if x.rank > 2:
        raise ShapeError(f"gets ids {x.bracket()} but needs [B] or [B, T]", "add a Flatten before it")
    if not x.num_classes:
        raise ShapeError(f"gets ids {x.bracket()} but does not know how many distinct ids there are",
                         "set num_classes on the Input node that produces them")
    return {"out": x.with_dims(*x.dims, params["embedding_dim"])}


def _build_embedding(params, inputs):
    import torch.nn as nn

    return nn.Embedding(inputs["in"].num_classes, params["embedding_dim"])


register(NodeType(
    type_id="layers.Embedding",
    title="Embedding",
    category="layers",
    help=(
        "A learned lookup table: each integer id (a word, a character, a category) is replaced "
        "by its own vector of embedding_dim numbers, turning [B, T] ids into [B, T, "
        "embedding_dim]. Similar ids end up with similar vectors as training goes on. The "
        "number of rows is the number of distinct ids, taken from the incoming edge. Feeding "
        "ids straight into a Linear layer would treat id 7 as 'more' than id 3; an embedding "
        "does not."
    ),
    inputs=IN,
    outputs=OUT,
    params=(Param("embedding_dim", "int", 32, "Length of the vector learned for each id.", minimum=1, maximum=65536),),
    infer=_infer_embedding,
    build=_build_embedding,
    has_weights=True,
))

RECURRENT_PARAMS = (
    Param("hidden_size", "int", 64, "Size of the hidden state (features out per direction).", minimum=1, maximum=65536),
    Param("num_layers", "int", 1, "Recurrent layers stacked on top of each other.", minimum=1, maximum=16),
    Param("dropout", "float", 0.0, "Dropout between stacked layers (needs num_layers >= 2).", minimum=0.0, maximum=0.99),
    Param("bidirectional", "bool", False, "Also read the sequence backwards; doubles the output features."),
    Param("output", "choice", "last_step", "last_step: [B, H] to classify or predict the next value; all_steps: "
          "[B, T, H] for per-step outputs or another recurrent layer.", choices=("last_step", "all_steps")),
)
RECURRENT_HELP = (
    " It reads a sequence [B, T, F] one time step at a time (batch first), carrying a hidden "
    "state forward. With output last_step it gives one vector per sequence (for a "
    "bidirectional layer: the forward direction after the last step joined with the backward "
    "one after the first); with all_steps one vector per step, which another recurrent layer "
    "can take. A series [B, T] needs a Reshape to [T, 1] first (one feature per step)."
)


def _infer_recurrent(params, inputs):
    x = inputs["in"]
    require_batched(x)
    require_float(x)
    if x.rank != 3:
        hint, fix = "reshape it to [T, features]", None
        if x.rank == 2:
            hint = f"insert a Reshape to [{x.dims[0]}, 1]: {x.dims[0]} time steps of 1 feature"
            fix = _reshape_fix([x.dims[0], 1])
        elif x.rank == 4 and x.dims[0] == 1:
            hint = f"insert a Reshape to [{x.dims[1]}, {x.dims[2]}] to read each image row as a time step"
            fix = _reshape_fix([x.dims[1], x.dims[2]])
        raise ShapeError(f"gets {x.bracket()} but needs a sequence [B, time steps, features]", hint, fix)
    if params["dropout"] > 0 and params["num_layers"] == 1:
        raise ShapeError(
            f"has dropout {params['dropout']:g} but it only acts between stacked layers, and num_layers is 1",
            "set num_layers to 2 or more, or set dropout to 0 and put a Dropout node after this layer",
        )
    features = params["hidden_size"] * (2 if params["bidirectional"] else 1)
    if params["output"] == "last_step":
        return {"out": x.with_dims(features)}
    return {"out": x.with_dims(x.dims[0], features)}


def _recurrent_build(kind: str):
    def build(params, inputs):
        from engine.nodes import modules

        extra = {"nonlinearity": params["nonlinearity"]} if kind == "RNN" else {}
        return getattr(modules, kind)(
            inputs["in"].dims[-1], params["hidden_size"], num_layers=params["num_layers"],
            dropout=params["dropout"], bidirectional=params["bidirectional"],
            last_step=params["output"] == "last_step", **extra,
        )

    return build


register(NodeType(
    type_id="layers.RNN",
    title="RNN",
    category="layers",
    help=(
        "A simple (Elman) recurrent layer: h_t = tanh(W x_t + U h_(t-1) + b), or relu instead of tanh." + RECURRENT_HELP
        + " Its gradients vanish or explode over long sequences, so it forgets what it saw "
        "more than a few dozen steps back; LSTM and GRU were made to fix that."
    ),
    inputs=IN,
    outputs=OUT,
    params=RECURRENT_PARAMS + (
        Param("nonlinearity", "choice", "tanh", "Activation of the hidden state.", choices=("tanh", "relu")),
    ),
    infer=_infer_recurrent,
    build=_recurrent_build("RNN"),
    has_weights=True,
))

register(NodeType(
    type_id="layers.LSTM",
    title="LSTM",
    category="layers",
    help=(
        "Long short-term memory: a recurrent layer with a cell state and gates that decide "
        "what to keep, forget and output at every step." + RECURRENT_HELP
        + " The gates let gradients flow over long sequences, so it remembers far back where "
        "a plain RNN's gradients vanish; it has four times the weights of an RNN."
    ),
    inputs=IN,
    outputs=OUT,
    params=RECURRENT_PARAMS,
    infer=_infer_recurrent,
    build=_recurrent_build("LSTM"),
    has_weights=True,
))

register(NodeType(
    type_id="layers.GRU",
    title="GRU",
    category="layers",
    help=(
        "Gated recurrent unit: a recurrent layer with an update and a reset gate, simpler than "
        "an LSTM (no separate cell state, three quarters of its weights)." + RECURRENT_HELP
        + " It usually learns as well as an LSTM and a little faster."
    ),
    inputs=IN,
    outputs=OUT,
    params=RECURRENT_PARAMS,
    infer=_infer_recurrent,
    build=_recurrent_build("GRU"),
    has_weights=True,
))


# --- Resizing --------------------------------------------------------------------------------


def _infer_upsample(params, inputs):
    x = inputs["in"]
    require_batched(x)
    require_float(x)
    scale = params["scale_factor"]
    if x.rank == 4 or (x.rank == 3 and params["mode"] == "nearest"):
        return {"out": x.with_dims(x.dims[0], *(d * scale for d in x.dims[1:]))}
    if x.rank == 3:
        raise ShapeError(f"gets {x.bracket()} but bilinear mode needs images [B, channels, height, width]",
                         "use mode nearest for a signal [B, channels, length]")
    raise ShapeError(f"gets {x.bracket()} but needs [B, channels, height, width] (or [B, channels, length])",
                     "add a Reshape that gives the input a channel axis")


def _build_upsample(params, inputs):
    import torch.nn as nn

    if params["mode"] == "bilinear":
        return nn.Upsample(scale_factor=params["scale_factor"], mode="bilinear", align_corners=False)
    return nn.Upsample(scale_factor=params["scale_factor"], mode="nearest")


register(NodeType(
    type_id="layers.Upsample",
    title="Upsample",
    category="layers",
    help=(
        "Makes images (or signals) larger by a whole factor without learning anything: "
        "[B, C, 7, 7] with scale_factor 2 becomes [B, C, 14, 14]. Mode nearest repeats each "
        "pixel, bilinear blends neighbours smoothly. Followed by a Conv2d it is the usual way "
        "a decoder or generator grows an image, without the checkerboard patterns a "
        "ConvTranspose2d can leave."
    ),
    inputs=IN,
    outputs=OUT,
    params=(
        Param("scale_factor", "int", 2, "How many times larger each spatial side becomes.", minimum=1, maximum=16),
        Param("mode", "choice", "nearest", "nearest: repeat pixels; bilinear: interpolate (images only).",
              choices=("nearest", "bilinear")),
    ),
    infer=_infer_upsample,
    build=_build_upsample,
))
