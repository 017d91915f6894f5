"""Data nodes: where tensors enter the graph."""

from __future__ import annotations

from engine.data import DATASETS, DataError, describe
from engine.registry import NodeType, Param, Port, ShapeError, TensorSpec, register


def _infer_dataset(params, inputs):
    try:
        info = describe(params)
    except DataError as exc:
        raise ShapeError(str(exc), "check the dataset settings on this node") from None
    return {"x": info.x, "y": info.y}


register(NodeType(
    type_id="data.Dataset",
    title="Dataset",
    category="data",
    help=(
        "Feeds training examples into the network in mini-batches: `x` carries the features "
        "(pixels, measurements, sequence steps) and `y` the target (a class label or a number "
        "to predict). Choose a built-in dataset to start at once (digits, iris, wine, breast "
        "cancer, diabetes), a synthetic one (sine waves for forecasting, a ring of Gaussians "
        "for GANs), or your own CSV file, image folder or .npz file. A share of the samples "
        "is held out for validation so you can see whether the model generalizes or only "
        "memorizes (overfitting)."
    ),
    inputs=(),
    outputs=(
        Port("x", "features, one row per sample"),
        Port("y", "targets: class labels or values to predict"),
    ),
    params=(
        Param("dataset", "choice", "digits_flat", "Which data to train on.", choices=DATASETS),
        Param("path", "path", "", "File or folder for csv, image_folder and npz datasets."),
        Param("target_column", "str", "", "CSV column to predict (empty: the last column)."),
        Param("task", "choice", "auto", "Classification or regression for your own files (auto: decided from the target).",
              choices=("auto", "classification", "regression")),
        Param("image_size", "int", 28, "Image folders: images are resized to this many pixels square.", minimum=4, maximum=512),
        Param("color", "choice", "grayscale", "Image folders: grayscale (1 channel) or rgb (3 channels).",
              choices=("grayscale", "rgb")),
        Param("num_samples", "int", 2000, "Synthetic datasets: how many samples to generate.", minimum=16, maximum=1_000_000),
        Param("sequence_length", "int", 32, "Sine waves: time steps the model sees before predicting the next.", minimum=2, maximum=4096),
        Param("noise", "float", 0.1, "Synthetic datasets: standard deviation of the added noise.", minimum=0.0, maximum=10.0),
        Param("val_split", "float", 0.2, "Share of samples held out for validation.", minimum=0.0, maximum=0.9),
        Param("shuffle", "bool", True, "Shuffle the training samples every epoch."),
    ),
    infer=_infer_dataset,
))


def _infer_input(params, inputs):
    if params["dtype"] == "long":
        return {"out": TensorSpec(tuple(params["shape"]), "long", True, params["num_classes"])}
    return {"out": TensorSpec(tuple(params["shape"]))}


register(NodeType(
    type_id="data.Input",
    title="Input",
    category="data",
    help=(
        "A named model input with an explicit shape, for networks you will call from code "
        "(after export) rather than train on a Dataset node. The batch dimension B is implied: "
        "a shape of 1, 28, 28 means tensors of [B, 1, 28, 28]. Use dtype long for token or "
        "class ids that go into an Embedding."
    ),
    inputs=(),
    outputs=(Port("out", "the tensor passed in"),),
    params=(
        Param("shape", "ints", [16], "Size of each sample, without the batch dimension.", minimum=1, min_length=1),
        Param("dtype", "choice", "float", "float for features, long for integer ids.", choices=("float", "long")),
        Param("num_classes", "int", 10, "For long inputs: how many distinct ids there are.", minimum=1, maximum=10_000_000),
    ),
    infer=_infer_input,
))


register(NodeType(
    type_id="data.Noise",
    title="Noise",
    category="data",
    help=(
        "Random latent vectors, a fresh batch for every step: the seed a generator turns into "
        "an image or a point. A GAN's generator starts here; so does sampling from a trained "
        "decoder. Normal noise (mean 0, std 1) is the usual choice."
    ),
    inputs=(),
    outputs=(Port("out", "[B, size] random vectors"),),
    params=(
        Param("size", "int", 16, "Length of each latent vector.", minimum=1, maximum=65536),
        Param("distribution", "choice", "normal", "normal: mean 0, std 1; uniform: between -1 and 1.",
              choices=("normal", "uniform")),
    ),
    infer=lambda params, inputs: {"out": TensorSpec((params["size"],))},
))
