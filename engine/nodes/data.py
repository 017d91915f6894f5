"""Data nodes: where tensors enter the graph."""

from __future__ import annotations

from engine.data import DATASET_DESCRIPTIONS, DATASETS, DEFAULT_PARAMS, DataError, describe
from engine.data.classic_sets import CLASSIC_SETS, test_files_problem
from engine.data.describe import AUGMENT_PARAMS
from engine.data.planar import PLANAR_DATASETS
from engine.data.streaming import STREAMING_CHOICES
from engine.data.table_columns import ENCODINGS as TABLE_ENCODINGS
from engine.data.table_columns import NODE_MISSING as TABLE_MISSING
from engine.registry import NodeType, NoImport, Param, Port, ShapeError, TensorSpec, register


def _infer_dataset(params, inputs):
    if problem := test_files_problem(params):
        raise ShapeError(problem)
    try:
        info = describe(params)
    except DataError as exc:
        raise ShapeError(f"cannot use its data: {exc}") from None
    augmenting = [name for name in AUGMENT_PARAMS if params.get(name)]
    if augmenting and len(info.x.dims) != 3:
        raise ShapeError(
            f"{augmenting[0]} changes images [channels, height, width], but this data gives samples of "
            f"{list(info.x.dims)}; set it to 0 (off) or choose image data"
        )
    return {"x": info.x, "y": info.y}


_DEFAULT = DEFAULT_PARAMS
# which datasets each source-specific parameter belongs to (forms hide it for the others)
_FILES = {"dataset": ("csv", "image_folder", "npz", *CLASSIC_SETS)}
_TABLE_FILES = {"dataset": ("csv", "npz")}
_IMAGES = {"dataset": ("image_folder",)}
_STREAMED = {"dataset": ("image_folder", "csv")}  # what `streaming` reads batch by batch
_SYNTHETIC = {"dataset": ("sine_wave", "gaussian_ring", "line_outliers", *PLANAR_DATASETS)}
_SEQUENCES = {"dataset": ("sine_wave", "first_token")}
_GENERATED = {"dataset": (*_SYNTHETIC["dataset"], "first_token")}
_AUGMENTABLE = {"dataset": ("digits_images", "image_folder", *CLASSIC_SETS)}

register(
    NodeType(
        type_id="data.Dataset",
        title="Dataset",
        category="data",
        help=(
            "Feeds training examples into the network in mini-batches: `x` carries the features "
            "(pixels, measurements, sequence steps) and `y` the target (a class label or a number "
            "to predict). Choose a built-in dataset to start at once: digits (8x8 handwritten "
            "digits as images for convolutions, as 64 flat values for Linear layers, or as 8 rows "
            "read one per time step for recurrent layers), iris, wine and breast cancer "
            "(measurements to classify) or diabetes (a number to predict). Synthetic data: "
            "sine_wave gives windows of a noisy wave whose next value is to be forecast; "
            "gaussian_ring gives 2-D points from 8 blobs on a circle, the classic test of "
            "whether a GAN learns every mode; first_token gives sequences whose first token is to "
            "be recalled past distractors (a test of memory); moons, circles, spiral, xor and blobs give 2-D points "
            "in 2 or 3 classes, to watch a classifier's decision boundary form (the Inspector draws "
            "it); keyword_tokens gives sentences of token ids for an Embedding (a text classifier). The classic image sets MNIST, Fashion-MNIST, KMNIST (28x28 grayscale) and CIFAR-10/100 "
            "(32x32 colour) are read from their standard files in the folder `path` names (nothing is "
            "downloaded; the node says where to get them). Or use your own table (CSV, TSV or Parquet: number, text "
            "and true/false columns, one target column; text is one-hot encoded, gaps filled as you choose), image folder (one subfolder per class) or .npz file (arrays x and "
            "y). Table features are standardized (mean 0, std 1) with statistics of the training "
            "samples only, so the model never peeks at validation data. A share of the samples "
            "(val_split) is held out for validation: if training loss keeps falling while "
            "validation loss rises, the model memorizes instead of generalizing (overfitting)."
        ),
        inputs=(),
        outputs=(
            Port("x", "features, one row per sample"),
            Port("y", "targets: class labels or values to predict"),
        ),
        params=(
            Param(
                "dataset",
                "choice",
                _DEFAULT["dataset"],
                "Which data to train on.",
                choices=DATASETS,
                choice_descriptions=DATASET_DESCRIPTIONS,
            ),
            Param(
                "path",
                "path",
                _DEFAULT["path"],
                "File or folder for csv, image_folder and npz datasets; the folder of the files for mnist, "
                "fashion_mnist, kmnist, cifar10 and cifar100.",
                applies_when=_FILES,
            ),
            Param(
                "target_column",
                "str",
                _DEFAULT["target_column"],
                "CSV column to predict (empty: the last column).",
                applies_when={"dataset": ("csv",)},
            ),
            Param(
                "columns",
                "str",
                _DEFAULT["columns"],
                "Tables: settings per column, 'column: settings' separated by semicolons, e.g. "
                "'id: exclude; city: embed most_frequent; age: median'. Settings: exclude (leave the column out), "
                "onehot, embed or number (how text is encoded), datetime (read text as dates and times: year, "
                "month, day, weekday, hour and days since 1970; ISO 8601 columns and Parquet timestamps are read "
                "so unasked), mean, median, most_frequent or drop_rows (how gaps are filled). Columns not named "
                "follow categorical and missing.",
                applies_when={"dataset": ("csv",)},
            ),
            Param(
                "categorical",
                "choice",
                _DEFAULT["categorical"],
                "Tables: how text columns become numbers (unless columns says otherwise).",
                choices=TABLE_ENCODINGS,
                choice_descriptions={
                    "onehot": "One 0/1 feature per category (the usual choice for a few categories).",
                    "embed": "Integer ids for an Embedding node (every feature column must be text then).",
                    "number": "The category's position in alphabetical order, as one number (for ordered categories).",
                },
                applies_when={"dataset": ("csv",)},
            ),
            Param(
                "missing",
                "choice",
                _DEFAULT["missing"],
                "Tables: what to do with gaps (empty cells, NA, ?) unless columns says otherwise; fills are "
                "learnt from the training rows only and the count filled is reported.",
                choices=TABLE_MISSING,
                choice_descriptions={
                    "refuse": "A gap is an error naming its column and line: choose how to handle it.",
                    "mean": "Fill number columns with their mean (text columns with their most frequent value).",
                    "median": "Fill number columns with their median (text columns with their most frequent value).",
                    "most_frequent": "Fill every column with its most frequent value.",
                    "drop_rows": "Leave out every row that has a gap.",
                },
                applies_when={"dataset": ("csv",)},
            ),
            Param(
                "task",
                "choice",
                _DEFAULT["task"],
                "Your own files: classification (predict a class) or regression (predict a number). "
                "auto: text labels, or whole numbers with few distinct values (at most 20), are classes; "
                "other numbers are regression. For npz, integer y means classes.",
                choices=("auto", "classification", "regression"),
                applies_when=_TABLE_FILES,
            ),
            Param(
                "image_size",
                "int",
                _DEFAULT["image_size"],
                "Image folders: images are resized to this many pixels square.",
                minimum=4,
                maximum=512,
                applies_when=_IMAGES,
            ),
            Param(
                "color",
                "choice",
                _DEFAULT["color"],
                "Image folders: grayscale (1 channel) or rgb (3 channels).",
                choices=("grayscale", "rgb"),
                applies_when=_IMAGES,
            ),
            Param(
                "num_samples",
                "int",
                _DEFAULT["num_samples"],
                "Synthetic datasets: how many samples to generate.",
                minimum=16,
                maximum=1_000_000,
                applies_when=_GENERATED,
            ),
            Param(
                "sequence_length",
                "int",
                _DEFAULT["sequence_length"],
                "Sine waves: time steps the model sees before predicting the next; first_token: steps in "
                "each sequence (the first token, then distractors).",
                minimum=2,
                maximum=4096,
                applies_when=_SEQUENCES,
            ),
            Param(
                "noise",
                "float",
                _DEFAULT["noise"],
                "Synthetic datasets: sine_wave adds noise with this standard deviation (the best "
                "reachable MSE is about noise squared); gaussian_ring blobs have std 0.2 x noise; "
                "moons, circles, spiral and xor move each point by noise of this std; blobs have std 3 x noise; "
                "line_outliers adds noise of this std to y.",
                minimum=0.0,
                maximum=10.0,
                applies_when=_SYNTHETIC,
            ),
            Param(
                "classes",
                "ints",
                _DEFAULT["classes"],
                "Keep only these classes, relabelled 0, 1, ... in this order (empty: all). "
                "E.g. 5, 6, 7, 8, 9 for transfer learning from digits 0-4.",
                minimum=0,
            ),
            Param(
                "val_split",
                "float",
                _DEFAULT["val_split"],
                "Share of samples held out for validation (0: train on everything, no validation).",
                minimum=0.0,
                maximum=0.9,
            ),
            Param(
                "test_set",
                "choice",
                _DEFAULT["test_set"],
                "A test set, scored once after training and reported apart from validation: the model's "
                "settings are chosen by validation, so only untouched test samples say how it will do.",
                choices=("none", "held_out", "test_files"),
                choice_descriptions={
                    "none": "No test set.",
                    "held_out": "Hold out test_split of the samples before the validation split.",
                    "test_files": "The publisher's test files (mnist, fashion_mnist, kmnist, cifar10, cifar100).",
                },
            ),
            Param(
                "test_split",
                "float",
                _DEFAULT["test_split"],
                "held_out: share of all samples kept apart as the test set.",
                minimum=0.01,
                maximum=0.5,
                applies_when={"test_set": ("held_out",)},
            ),
            Param("shuffle", "bool", _DEFAULT["shuffle"], "Shuffle the training samples every epoch."),
            Param(
                "streaming",
                "choice",
                _DEFAULT["streaming"],
                "Image folders and tables: read the data batch by batch while training instead of all at once, "
                "for data larger than memory. A streamed table is read in chunks: its preprocessing is fitted "
                "on the same training rows as in memory (the same split and preprocessing.json), but each epoch "
                "visits chunks and the rows in each chunk in a seeded order, not the in-memory order.",
                choices=STREAMING_CHOICES,
                choice_descriptions={
                    "auto": "Stream when the data decoded as float32 would take more than 1 GB (NETWRIGHT_STREAM_ABOVE_MB).",
                    "on": "Always stream: little memory, each epoch reads (and decodes) every sample again.",
                    "off": "Read everything once, before training (fastest epochs; needs the memory).",
                },
                applies_when=_STREAMED,
            ),
            Param(
                "stream_workers",
                "int",
                _DEFAULT["stream_workers"],
                "Streamed image folders and tables: worker processes reading batches (0: one per CPU core but one, "
                "at most 8).",
                minimum=0,
                maximum=64,
                applies_when=_STREAMED,
            ),
            Param(
                "augment_flip",
                "bool",
                _DEFAULT["augment_flip"],
                "Augmentation (training batches only): mirror half the images left to right. Right for photos, "
                "wrong for digits and letters, whose mirror image is another symbol.",
                applies_when=_AUGMENTABLE,
            ),
            Param(
                "augment_crop",
                "int",
                _DEFAULT["augment_crop"],
                "Augmentation: shift each image by up to this many pixels (a random crop of the image padded "
                "with zeros); the model learns that a small move does not change the class. 0: off.",
                minimum=0,
                maximum=64,
                applies_when=_AUGMENTABLE,
            ),
            Param(
                "augment_rotation",
                "float",
                _DEFAULT["augment_rotation"],
                "Augmentation: rotate each image by a random angle up to this many degrees either way. 0: off.",
                minimum=0.0,
                maximum=180.0,
                applies_when=_AUGMENTABLE,
            ),
            Param(
                "augment_noise",
                "float",
                _DEFAULT["augment_noise"],
                "Augmentation: add Gaussian noise of this standard deviation to every pixel. 0: off.",
                minimum=0.0,
                maximum=10.0,
                applies_when=_AUGMENTABLE,
            ),
            Param(
                "augment_jitter",
                "float",
                _DEFAULT["augment_jitter"],
                "Augmentation: change brightness and contrast by up to this much (0.2: contrast x0.8-1.2, "
                "brightness -0.2 to +0.2). 0: off.",
                minimum=0.0,
                maximum=1.0,
                applies_when=_AUGMENTABLE,
            ),
        ),
        infer=_infer_dataset,
        pytorch_import=NoImport("a data source feeds training; an imported model's input becomes an Input node"),
        onnx_import=NoImport("a data source feeds training; an imported model's input becomes an Input node"),
    )
)


def _infer_input(params, inputs):
    if params["dtype"] == "long":
        return {"out": TensorSpec(tuple(params["shape"]), "long", True, params["num_classes"])}
    return {"out": TensorSpec(tuple(params["shape"]))}


register(
    NodeType(
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
            Param(
                "num_classes",
                "int",
                10,
                "For long inputs: how many distinct ids there are.",
                minimum=1,
                maximum=10_000_000,
            ),
        ),
        infer=_infer_input,
        # Not a mapping from one module or op: every importer makes one for the model's input tensor.
        pytorch_import=NoImport("the importer creates it for the traced model's input (its placeholder)"),
        onnx_import=NoImport("the importer creates it for the ONNX graph's input"),
    )
)


register(
    NodeType(
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
            Param(
                "distribution",
                "choice",
                "normal",
                "normal: mean 0, std 1; uniform: between -1 and 1.",
                choices=("normal", "uniform"),
            ),
        ),
        infer=lambda params, inputs: {"out": TensorSpec((params["size"],))},
        pytorch_import=NoImport("random inputs are drawn outside the model an importer reads"),
        onnx_import=NoImport("random inputs are drawn outside the model an importer reads"),
    )
)
