"""Writes the example graphs in resources/examples/ (run it after changing an example here).

    python resources/build_examples.py

Each example is built with the engine's API and laid out left to right by data-flow depth,
so the files stay readable and every example is made the same way.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engine.analysis import analyze  # noqa: E402
from engine.graph import Graph, save_graph  # noqa: E402
from engine.graph.layout import lay_out  # noqa: E402

EXAMPLES = Path(__file__).resolve().parent / "examples"


class Builder:
    """A small helper to write graphs as chains: `b.chain("data.x", ("fc1", "layers.Linear", {...}), ...)`."""

    def __init__(self, name: str, description: str, **training):
        self.graph = Graph(name=name, description=description)
        self.graph.training.update(training)

    def node(self, node_id: str, type_id: str, **params) -> str:
        self.graph.add_node(type_id, params, node_id=node_id)
        return node_id

    def chain(self, start: str, *steps: tuple) -> str:
        """Connect `start` ("node.port") through nodes given as (id, type, params); returns the last id."""
        src, _, port = start.partition(".")
        port = port or "out"
        for node_id, type_id, *rest in steps:
            self.node(node_id, type_id, **(rest[0] if rest else {}))
            self.graph.connect(src, port, node_id, "in")
            src, port = node_id, "out"
        return src

    def wire(self, src: str, dst: str) -> None:
        (a, pa), (b, pb) = src.split("."), dst.split(".")
        self.graph.connect(a, pa, b, pb)

    def loss(self, node_id: str, type_id: str, prediction: str, target: str, **params) -> str:
        self.node(node_id, type_id, **params)
        self.wire(prediction if "." in prediction else f"{prediction}.out", f"{node_id}.prediction")
        self.wire(target, f"{node_id}.target")
        return node_id

    def optimizer(self, node_id: str, type_id: str, *losses: str, **params) -> str:
        self.node(node_id, type_id, **params)
        for loss in losses:
            self.wire(f"{loss}.loss", f"{node_id}.losses")
        return node_id

    def done(self) -> Graph:
        layout(self.graph)
        return self.graph


def layout(graph: Graph) -> None:
    """The editor's auto-layout (layered left to right; long edges keep their routes)."""
    lay_out(graph)


def classifier_head(
    b: Builder,
    last: str,
    classes: int,
    loss_type: str = "losses.CrossEntropy",
    optimizer: str = "optimizers.Adam",
    **opt_params,
) -> None:
    b.loss("loss", loss_type, last, "data.y")
    b.optimizer("adam" if optimizer == "optimizers.Adam" else "opt", optimizer, "loss", **opt_params)


# -- issue 3: the examples that must train -------------------------------------------------


def cnn_digits() -> Graph:
    b = Builder(
        "Digits CNN",
        "A small convolutional network on 8x8 digit images: two blocks of "
        "convolution, batch norm, ReLU and max pooling, then dropout and a linear classifier. "
        "Convolutions share their weights across the image, so they need far fewer weights "
        "than an MLP to reach higher accuracy. Watch validation accuracy pass 97 % within the 15 epochs "
        "(tested), above the MLP's.",
        epochs=15,
        batch_size=32,
        seed=0,
    )
    b.node("data", "data.Dataset", dataset="digits_images")
    last = b.chain(
        "data.x",
        ("conv1", "layers.Conv2d", {"out_channels": 16, "kernel_size": 3, "padding": 1}),
        ("bn1", "layers.BatchNorm2d"),
        ("relu1", "activations.ReLU"),
        ("pool1", "layers.MaxPool2d", {"kernel_size": 2}),
        ("conv2", "layers.Conv2d", {"out_channels": 32, "kernel_size": 3, "padding": 1}),
        ("bn2", "layers.BatchNorm2d"),
        ("relu2", "activations.ReLU"),
        ("pool2", "layers.MaxPool2d", {"kernel_size": 2}),
        ("flatten", "layers.Flatten"),
        ("drop1", "layers.Dropout", {"p": 0.3}),
        ("fc1", "layers.Linear", {"out_features": 10}),
    )
    classifier_head(b, last, 10, lr=0.003)
    return b.done()


def iris_hinge() -> Graph:
    b = Builder(
        "Iris with hinge loss",
        "Classifies iris flowers from four measurements with a "
        "multi-class hinge (margin) loss, the loss of support vector machines: a class "
        "score only needs to beat the others by a margin, not be a probability. Validation accuracy reaches "
        "90 % (tested); once a sample clears the margin its loss is exactly zero, and the gradient badges "
        "say the loss is met rather than vanishing.",
        epochs=60,
        batch_size=16,
        seed=0,
    )
    b.node("data", "data.Dataset", dataset="iris", val_split=0.3)
    last = b.chain(
        "data.x",
        ("fc1", "layers.Linear", {"out_features": 16}),
        ("relu1", "activations.ReLU"),
        ("fc2", "layers.Linear", {"out_features": 3}),
    )
    classifier_head(b, last, 3, loss_type="losses.Hinge", lr=0.01)
    return b.done()


def regression_diabetes() -> Graph:
    b = Builder(
        "Diabetes regression",
        "Predicts disease progression (a number) from ten "
        "standardized measurements with a single Linear layer and mean squared error: "
        "linear regression trained by gradient descent, which should match the "
        "closed-form least-squares fit: its validation MSE ends within 10 % of scikit-learn's "
        "LinearRegression on the same split (tested).",
        epochs=1000,
        batch_size=442,
        seed=0,
    )
    b.node("data", "data.Dataset", dataset="diabetes")
    last = b.chain("data.x", ("fc1", "layers.Linear", {"out_features": 1}))
    b.loss("loss", "losses.MSE", last, "data.y")
    b.optimizer("gd", "optimizers.GradientDescent", "loss", lr=0.2)
    return b.done()


# -- issue 7: every model family of deep learning 101 --------------------------------------


def recurrent_digits(kind: str) -> Graph:
    title = {"LSTM": "LSTM", "RNN": "plain RNN"}[kind]
    b = Builder(
        f"Digits read row by row ({title})",
        f"Each 8x8 digit is read as a sequence of 8 rows of 8 pixels by a {title}, which "
        "carries what it has seen so far in its hidden state; its state after the last "
        "row feeds a linear classifier. "
        + (
            "The LSTM's gates let gradients flow across many steps. Validation accuracy passes 93 % "
            "(tested); the Gradient norm chart shows lstm1's every epoch."
            if kind == "LSTM"
            else "A plain tanh RNN multiplies its gradient by the same weights at every step, "
            "so over long sequences it vanishes: compare its gradient norms with lstm_digits. "
            "Validation accuracy passes 85 % (tested)."
        ),
        epochs=25,
        batch_size=32,
        seed=0,
    )
    b.node("data", "data.Dataset", dataset="digits_sequence")
    params = {"hidden_size": 64, "output": "last_step"}
    if kind == "RNN":
        params["nonlinearity"] = "tanh"
    last = b.chain(
        "data.x", (kind.lower() + "1", f"layers.{kind}", params), ("fc1", "layers.Linear", {"out_features": 10})
    )
    classifier_head(b, last, 10, lr=0.005)
    return b.done()


def sine_forecast() -> Graph:
    b = Builder(
        "Sine forecast (GRU)",
        "A GRU reads 32 steps of a noisy sine wave and predicts the "
        "next value: forecasting is regression on a sequence. Compare its validation MSE "
        "with simply repeating the last value seen: it ends at most a quarter of it (tested).",
        epochs=20,
        batch_size=32,
        seed=0,
    )
    b.node("data", "data.Dataset", dataset="sine_wave", num_samples=2000, sequence_length=32, noise=0.1)
    last = b.chain(
        "data.x",
        ("gru1", "layers.GRU", {"hidden_size": 32, "output": "last_step"}),
        ("fc1", "layers.Linear", {"out_features": 1}),
    )
    b.loss("loss", "losses.MSE", last, "data.y")
    b.optimizer("adam", "optimizers.Adam", "loss", lr=0.005)
    return b.done()


def autoencoder_digits() -> Graph:
    b = Builder(
        "Digits autoencoder",
        "Unsupervised: an encoder squeezes each 64-pixel digit into "
        "an 8-number code and a decoder rebuilds the image from it. The loss compares the "
        "rebuilt image with the input itself (the target is wired from the Dataset's x), "
        "so no labels are used. Its validation error ends at most half that of predicting the mean "
        "image (tested).",
        epochs=40,
        batch_size=32,
        seed=0,
    )
    b.node("data", "data.Dataset", dataset="digits_flat")
    last = b.chain(
        "data.x",
        ("enc1", "layers.Linear", {"out_features": 32}),
        ("enc_act", "activations.ReLU"),
        ("bottleneck", "layers.Linear", {"out_features": 8}),
        ("dec1", "layers.Linear", {"out_features": 32}),
        ("dec_act", "activations.ReLU"),
        ("dec2", "layers.Linear", {"out_features": 64}),
        ("image", "activations.Sigmoid"),
    )
    b.loss("loss", "losses.MSE", last, "data.x")
    b.optimizer("adam", "optimizers.Adam", "loss", lr=0.003)
    return b.done()


def gan(
    name: str,
    description: str,
    dataset: dict,
    latent: int,
    hidden: int,
    features: int,
    generator_out: str | None,
    epochs: int,
    lr: float,
    batch_size: int,
    generator_norm: bool = False,
) -> Graph:
    b = Builder(name, description, epochs=epochs, batch_size=batch_size, seed=0)
    b.node("data", "data.Dataset", **dataset)
    b.node("noise", "data.Noise", size=latent)
    # BatchNorm in the generator keeps its samples apart within a batch: without it the digits
    # GAN collapses to one or two blobs (2 of 10 digit classes; with it all 10, seeds 0-3)
    norm = lambda i: [(f"g_bn{i}", "layers.BatchNorm1d")] if generator_norm else []  # noqa: E731
    steps = [
        ("g_fc1", "layers.Linear", {"out_features": hidden}),
        *norm(1),
        ("g_act1", "activations.ReLU"),
        ("g_fc2", "layers.Linear", {"out_features": hidden}),
        *norm(2),
        ("g_act2", "activations.ReLU"),
        ("g_out", "layers.Linear", {"out_features": features}),
    ]
    if generator_out:
        steps.append(("fake", generator_out))
    fake = b.chain("noise.out", *steps)
    b.node("pair", "merge.RealFakeBatch")
    b.wire("data.x", "pair.real")
    b.wire(f"{fake}.out", "pair.fake")
    judge = b.chain(
        "pair.out",
        ("d_fc1", "layers.Linear", {"out_features": hidden}),
        ("d_act1", "activations.LeakyReLU", {"negative_slope": 0.2}),
        ("d_fc2", "layers.Linear", {"out_features": hidden}),
        ("d_act2", "activations.LeakyReLU", {"negative_slope": 0.2}),
        ("d_out", "layers.Linear", {"out_features": 1}),
    )
    b.loss("d_loss", "losses.BCEWithLogits", judge, "pair.is_real")
    b.loss("g_loss", "losses.BCEWithLogits", judge, "pair.fooled")
    b.optimizer("d_opt", "optimizers.Adam", "d_loss", lr=lr, beta1=0.5, order=0, scope=["d_fc1", "d_fc2", "d_out"])
    generator = ["g_fc1", "g_fc2", "g_out"] + (["g_bn1", "g_bn2"] if generator_norm else [])
    b.optimizer("g_opt", "optimizers.Adam", "g_loss", lr=lr, beta1=0.5, order=1, scope=generator)
    return b.done()


def gan_ring() -> Graph:
    return gan(
        "GAN on a ring of Gaussians",
        "A generator turns random noise into 2-D points; a discriminator learns to tell them "
        "from real points drawn from 8 Gaussians on a ring. Each optimizer updates only its "
        "own network (see their scopes). A GAN that collapses covers only a few of the 8 "
        "modes; this one covers at least 6 of the 8 (tested): watch the samples in the Insights panel.",
        {"dataset": "gaussian_ring", "num_samples": 4000, "noise": 0.5, "val_split": 0.0},
        latent=8,
        hidden=128,
        features=2,
        generator_out=None,
        epochs=30,
        lr=0.001,
        batch_size=128,
    )


def gan_digits() -> Graph:
    return gan(
        "GAN on digits",
        "A generator turns noise into 64-pixel digit images (a Sigmoid keeps pixels in 0..1); a "
        "discriminator learns to tell them from real digits. BatchNorm in the generator keeps "
        "its samples varied (without it this GAN collapses to one or two blobs). Judge the "
        "samples by eye: they start as noise and become recognisable digits of every class (tested: "
        "a classifier names at least 6 classes among them, with confidence 0.6 or more).",
        {"dataset": "digits_flat", "val_split": 0.0},
        latent=16,
        hidden=128,
        features=64,
        generator_out="activations.Sigmoid",
        epochs=60,
        lr=0.0005,
        batch_size=64,
        generator_norm=True,
    )


def small_cnn(b: Builder, classes: int, frozen: bool) -> None:
    conv = {"out_channels": 16, "kernel_size": 3, "padding": 1, "trainable": not frozen}
    conv2 = {**conv, "out_channels": 32}
    last = b.chain(
        "data.x",
        ("conv1", "layers.Conv2d", conv),
        ("relu1", "activations.ReLU"),
        ("pool1", "layers.MaxPool2d", {"kernel_size": 2}),
        ("conv2", "layers.Conv2d", conv2),
        ("relu2", "activations.ReLU"),
        ("flatten", "layers.Flatten"),
        ("head", "layers.Linear", {"out_features": classes}),
    )
    classifier_head(b, last, classes, lr=0.003)


def transfer_digits_base() -> Graph:
    b = Builder(
        "Transfer learning, step 1: digits 0-4",
        "Trains a small CNN on the digits 0 to 4 "
        "only. Its convolutional layers learn strokes and curves that other digits share; "
        "transfer_digits reuses them for 5 to 9. It reaches 95 % validation accuracy (tested).",
        epochs=10,
        batch_size=32,
        seed=0,
    )
    b.node("data", "data.Dataset", dataset="digits_images", classes=[0, 1, 2, 3, 4])
    small_cnn(b, 5, frozen=False)
    return b.done()


def transfer_digits() -> Graph:
    b = Builder(
        "Transfer learning, step 2: digits 5-9",
        "The same CNN for digits 5 to 9, with its "
        "convolutional layers frozen (trainable off): they keep the stroke detectors learned "
        "by transfer_digits_base, and only a fresh linear head learns. Load the base run's "
        "weights into conv1 and conv2 only (python -m engine train transfer_digits.json "
        "--init-weights BASE/weights.safetensors --init-nodes conv1,conv2 --out DIR). It "
        "reaches 0.95 in fewer epochs than the same network trained from scratch.",
        epochs=5,
        batch_size=32,
        seed=0,
    )
    b.node("data", "data.Dataset", dataset="digits_images", classes=[5, 6, 7, 8, 9])
    small_cnn(b, 5, frozen=True)
    return b.done()


def cnn_residual_digits() -> Graph:
    b = Builder(
        "Residual CNN on digits",
        "A convolutional network with one residual block: the "
        "block's output is added to its input (the Add node), so the block only has to "
        "learn a correction and gradients flow straight through the shortcut. This is "
        "the idea that lets ResNets train with hundreds of layers. Validation accuracy passes 97 % "
        "within the 15 epochs (tested).",
        epochs=15,
        batch_size=32,
        seed=0,
    )
    b.node("data", "data.Dataset", dataset="digits_images")
    stem = b.chain(
        "data.x",
        ("stem", "layers.Conv2d", {"out_channels": 16, "kernel_size": 3, "padding": 1}),
        ("stem_bn", "layers.BatchNorm2d"),
        ("stem_relu", "activations.ReLU"),
    )
    branch = b.chain(
        f"{stem}.out",
        ("res_conv1", "layers.Conv2d", {"out_channels": 16, "kernel_size": 3, "padding": 1}),
        ("res_bn1", "layers.BatchNorm2d"),
        ("res_relu", "activations.ReLU"),
        ("res_conv2", "layers.Conv2d", {"out_channels": 16, "kernel_size": 3, "padding": 1}),
        ("res_bn2", "layers.BatchNorm2d"),
    )
    b.node("add", "merge.Add")
    b.wire(f"{branch}.out", "add.a")
    b.wire(f"{stem}.out", "add.b")
    last = b.chain(
        "add.out",
        ("add_relu", "activations.ReLU"),
        ("pool", "layers.MaxPool2d", {"kernel_size": 2}),
        ("flatten", "layers.Flatten"),
        ("fc1", "layers.Linear", {"out_features": 10}),
    )
    classifier_head(b, last, 10, lr=0.003)
    return b.done()


def transformer_text() -> Graph:
    b = Builder(
        "Transformer text classifier",
        "A small transformer that classifies sentences of token ids: an Embedding turns each id "
        "into a vector, a Positional Embedding adds where it stands, a Transformer Encoder Layer "
        "lets every token look at every other one, a Mean over the tokens gives one vector per "
        "sentence and a Linear layer scores the 4 classes (which keyword occurs most).",
        epochs=3,
        batch_size=32,
        seed=0,
    )
    b.node("data", "data.Dataset", dataset="keyword_tokens")
    last = b.chain(
        "data.x",
        ("embed", "layers.Embedding", {"embedding_dim": 16}),
        ("positions", "layers.PositionalEmbedding"),
        ("encoder", "layers.TransformerEncoderLayer", {"num_heads": 2, "feedforward": 32, "dropout": 0.0}),
        ("pool", "layers.Mean", {"dims": [0]}),
        ("fc1", "layers.Linear", {"out_features": 4}),
    )
    classifier_head(b, last, 4, lr=0.003)
    return b.done()


def lr_batch_digits() -> Graph:
    """Experiments (issue 17): learning rate x batch size on the digits MLP, saved as a grid experiment."""
    from engine.sweeps import Experiment, parse_param, store_in_graph

    b = Builder(
        "Learning rate x batch size (experiment)",
        LR_BATCH_TEXT,
        epochs=10,
        batch_size=32,
        seed=0,
    )
    b.node("data", "data.Dataset", dataset="digits_flat")
    last = b.chain("data.x", ("fc1", "layers.Linear", {"out_features": 64}), ("relu1", "activations.ReLU"))
    last = b.chain(f"{last}.out", ("fc2", "layers.Linear", {"out_features": 10}))
    classifier_head(b, last, 10, lr=0.001)
    graph = b.done()
    params = [parse_param("adam.lr=log:0.0003:0.3:4", graph), parse_param("training.batch_size=16,128,1024", graph)]
    store_in_graph(graph, Experiment("lr_x_batch", params, "grid", 12, 0))
    return graph


LR_BATCH_TEXT = (
    "Hyperparameters interact: what a batch size costs depends on the learning rate. This digits MLP "
    "carries a saved grid experiment (Experiments panel > Start sweep, or python -m engine sweep "
    "lr_batch_digits.json --experiment lr_x_batch) over 4 learning rates (0.0003 to 0.3, log-spaced) "
    "x 3 batch sizes (16, 128, 1024), 10 epochs each. Measured (best validation accuracy): at lr "
    "0.0003 batch 16 reaches 92 % but batch 1024, with 64 times fewer steps, only 19 %; at lr 0.03 all "
    "three are within 2 points (95-97 %); at 0.3 every batch size fails (10-28 %). Look at Metric vs "
    "parameter with adam.lr, and at Parallel coordinates: the gap between batch sizes closes as the "
    "rate grows, until the rate is too large for all."
)


def mnist_cnn() -> Graph:
    """A CNN on 28x28 images in MNIST's files (issue 18); the files beside it are stand-ins."""
    b = Builder(
        "MNIST CNN (28x28)",
        "A convolutional network on 28x28 grayscale images read from MNIST's own files (the four IDX "
        "files, gzipped or not). The files it reads as shipped, in data/mnist_standin beside this graph, "
        "are NOT MNIST: a stand-in of 600 training and 150 test images made from scikit-learn's 8x8 digits "
        "scaled up to 28x28 (resources/build_mnist_standin.py), so the example runs anywhere with nothing "
        "downloaded. To train on MNIST itself, get train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, "
        "t10k-images-idx3-ubyte.gz and t10k-labels-idx1-ubyte.gz from "
        "https://ossci-datasets.s3.amazonaws.com/mnist/, put them in one folder and set the Dataset's path "
        "to that folder (absolute, or relative to this graph file); fashion_mnist and kmnist read the same "
        "layout. Training shifts each image by up to 2 pixels (augment_crop), and the publisher's test files "
        "are scored once, after training. On the stand-in, validation accuracy passes 90 % within the 5 "
        "epochs (tested).",
        epochs=5,
        batch_size=32,
        seed=0,
    )
    b.node(
        "data",
        "data.Dataset",
        dataset="mnist",
        path="data/mnist_standin",
        test_set="test_files",
        augment_crop=2,
    )
    last = b.chain(
        "data.x",
        ("conv1", "layers.Conv2d", {"out_channels": 8, "kernel_size": 3, "padding": 1}),
        ("bn1", "layers.BatchNorm2d"),
        ("relu1", "activations.ReLU"),
        ("pool1", "layers.MaxPool2d", {"kernel_size": 2}),
        ("conv2", "layers.Conv2d", {"out_channels": 16, "kernel_size": 3, "padding": 1}),
        ("bn2", "layers.BatchNorm2d"),
        ("relu2", "activations.ReLU"),
        ("pool2", "layers.MaxPool2d", {"kernel_size": 2}),
        ("flatten", "layers.Flatten"),
        ("drop1", "layers.Dropout", {"p": 0.3}),
        ("fc1", "layers.Linear", {"out_features": 10}),
    )
    classifier_head(b, last, 10, lr=0.003)
    b.graph.base_dir = EXAMPLES  # its data path is relative to the graph file, as saved there
    return b.done()


EXAMPLE_BUILDERS: dict[str, Callable[[], Graph]] = {
    "lr_batch_digits": lr_batch_digits,
    "transformer_text": transformer_text,
    "lstm_digits": lambda: recurrent_digits("LSTM"),
    "rnn_digits": lambda: recurrent_digits("RNN"),
    "sine_forecast": sine_forecast,
    "autoencoder_digits": autoencoder_digits,
    "gan_ring": gan_ring,
    "gan_digits": gan_digits,
    "transfer_digits_base": transfer_digits_base,
    "transfer_digits": transfer_digits,
    "cnn_residual_digits": cnn_residual_digits,
    "cnn_digits": cnn_digits,
    "mnist_cnn": mnist_cnn,
    "iris_hinge": iris_hinge,
    "regression_diabetes": regression_diabetes,
}


def main(names: list[str]) -> None:
    for name, build in EXAMPLE_BUILDERS.items():
        if names and name not in names:
            continue
        graph = build()
        problems = [p for p in analyze(graph).problems if p.severity != "info"]
        if problems:
            raise SystemExit(f"{name}: {problems[0]}")
        save_graph(graph, EXAMPLES / f"{name}.json")
        print(f"wrote {EXAMPLES / f'{name}.json'} ({len(graph.nodes)} nodes)")


if __name__ == "__main__":
    main(sys.argv[1:])
