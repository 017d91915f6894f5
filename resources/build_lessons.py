"""Writes the lesson graphs in resources/lessons/ (run it after changing a lesson graph here).

    python resources/build_lessons.py [name ...]

Each lesson of engine/lessons/catalog.py names its graphs by file stem; this script builds
them with the same Builder as the examples. Where a lesson compares variants on one chart
(the optimizers race, scratch against frozen features), one graph holds one copy of the
network per variant, each with its own loss and optimizer: the training dashboard then
overlays their curves, one colour per loss.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from build_examples import Builder  # noqa: E402

from engine.analysis import analyze  # noqa: E402
from engine.graph import Graph, save_graph  # noqa: E402

LESSONS = Path(__file__).resolve().parent / "lessons"


# -- 1. overfitting and its cures ---------------------------------------------------------------


def big_mlp(name: str, description: str, dropout: float = 0.0, weight_decay: float = 0.0, **training) -> Graph:
    """Two 256-unit hidden layers trained on 20 % of the digits (359 images): far more weights than data."""
    settings = {"epochs": 100, "batch_size": 64, "seed": 0, **training}
    b = Builder(name, description, **settings)
    b.node("data", "data.Dataset", dataset="digits_flat", val_split=0.8)
    steps: list[tuple] = [("fc1", "layers.Linear", {"out_features": 256}), ("relu1", "activations.ReLU")]
    if dropout:
        steps.append(("drop1", "layers.Dropout", {"p": dropout}))
    steps += [("fc2", "layers.Linear", {"out_features": 256}), ("relu2", "activations.ReLU")]
    if dropout:
        steps.append(("drop2", "layers.Dropout", {"p": dropout}))
    steps.append(("fc3", "layers.Linear", {"out_features": 10}))
    last = b.chain("data.x", *steps)
    b.loss("loss", "losses.CrossEntropy", last, "data.y")
    b.optimizer("adam", "optimizers.Adam", "loss", lr=0.003, weight_decay=weight_decay)
    return b.done()


def overfitting_plain() -> Graph:
    return big_mlp(
        "Overfitting: a big MLP on little data",
        "Two hidden layers of 256 units learn from only 359 digit images. Watch validation loss "
        "fall, bottom out after about ten epochs and then climb while training loss keeps "
        "falling to nearly zero: the network memorises the training images.",
    )


def overfitting_dropout() -> Graph:
    return big_mlp(
        "Overfitting cured by dropout",
        "The same big MLP with Dropout (p = 0.5) after each hidden layer: every step trains a "
        "random half of the units, so no unit can rely on another to memorise an image. "
        "Training loss stays higher and validation loss bottoms out later and lower.",
        dropout=0.5,
    )


def overfitting_l2() -> Graph:
    return big_mlp(
        "Overfitting cured by L2 weight decay",
        "The same big MLP with weight decay 0.01 on the Adam optimizer (an L2 penalty): large "
        "weights cost loss, so the network keeps the simple fit. Validation loss stays near its "
        "minimum to the end instead of climbing.",
        weight_decay=0.01,
    )


def overfitting_early_stopping() -> Graph:
    return big_mlp(
        "Overfitting cured by early stopping",
        "The same big MLP with early stopping on validation loss (patience 10): training stops "
        "10 epochs after the best epoch, which the curves mark, and the weights of that best "
        "epoch are restored, so the model you keep is the one before it began to memorise.",
        early_stopping=True,
        patience=10,
        restore_best_weights=True,
    )


# -- 2. vanishing gradients -----------------------------------------------------------------------


def deep_stack(
    name: str,
    description: str,
    activation: str = "activations.Sigmoid",
    batch_norm: bool = False,
    residual: bool = False,
    init: str | None = None,
    depth: int = 8,
    epochs: int = 10,
) -> Graph:
    """`depth` Linear layers of 32 units under plain SGD, the classic setting for vanishing gradients."""
    b = Builder(name, description, epochs=epochs, batch_size=32, seed=0)
    b.node("data", "data.Dataset", dataset="digits_flat")
    src = "data.x"
    for i in range(1, depth + 1):
        linear = {"out_features": 32} | ({"init": init} if init else {})
        steps: list[tuple] = [(f"fc{i}", "layers.Linear", linear)]
        if batch_norm:
            steps.append((f"bn{i}", "layers.BatchNorm1d"))
        steps.append((f"act{i}", activation))
        last = b.chain(src, *steps)
        if residual and i > 1:  # the input skips the layer and is added to its output
            b.node(f"add{i}", "merge.Add")
            b.wire(f"{last}.out", f"add{i}.a")
            b.wire(src, f"add{i}.b")
            src = f"add{i}.out"
        else:
            src = f"{last}.out"
    head = {"out_features": 10} | ({"init": init} if init else {})
    last = b.chain(src, ("head", "layers.Linear", head))
    b.loss("loss", "losses.CrossEntropy", last, "data.y")
    b.optimizer("sgd", "optimizers.SGD", "loss", lr=0.1)
    return b.done()


def vanishing_sigmoid() -> Graph:
    return deep_stack(
        "Vanishing gradients: eight sigmoid layers",
        "Eight Linear + Sigmoid layers under plain SGD. A sigmoid's slope is at most 0.25, and "
        "backpropagation multiplies one such slope per layer: the gradient reaching fc1 is "
        "millions of times smaller than the head's (blue badges), so the first layers never "
        "learn and accuracy stays at chance.",
    )


def vanishing_relu_batchnorm() -> Graph:
    return deep_stack(
        "Vanishing gradients cured by ReLU and batch norm",
        "The same eight layers with ReLU (slope 1 where active) and BatchNorm1d (every layer's "
        "input rescaled to mean 0, variance 1). Gradients now reach fc1 at the same order of "
        "size as the head's, and the network learns in the first epoch.",
        activation="activations.ReLU",
        batch_norm=True,
    )


def vanishing_relu_default() -> Graph:
    return deep_stack(
        "Vanishing gradients: eight ReLU layers, default initialisation",
        "Eight Linear + ReLU layers without normalisation, weights drawn by PyTorch's default rule "
        "(uniform within 1/sqrt(fan_in), variance 1 / (3 fan_in)). Each ReLU layer then passes on "
        "only about a third of its input's variance, and the gradient shrinks the same way on its "
        "way back: ReLU alone does not save this stack.",
        activation="activations.ReLU",
    )


def vanishing_he_init() -> Graph:
    return deep_stack(
        "Vanishing gradients cured by He initialisation",
        "The same eight ReLU layers, their weights drawn with He (Kaiming) initialisation "
        "(he_uniform: variance 2 / fan_in). The factor 2 makes up for the half of the signal each "
        "ReLU zeroes, so the signal keeps its size through every layer, forward and backward, and "
        "the gradient reaches fc1 undiminished.",
        activation="activations.ReLU",
        init="he_uniform",
    )


def vanishing_residual() -> Graph:
    return deep_stack(
        "Vanishing gradients cured by a residual path",
        "The same eight sigmoid layers, but each layer's input is also added to its output (the "
        "Add nodes). The gradient flows back through the additions unchanged, around every "
        "sigmoid, so fc1 receives a gradient as large as the head's.",
        residual=True,
    )


# -- 3. exploding gradients -------------------------------------------------------------------------


def diabetes_mlp(name: str, description: str, grad_clip: float) -> Graph:
    b = Builder(name, description, epochs=30, batch_size=32, seed=0, grad_clip=grad_clip)
    b.node("data", "data.Dataset", dataset="diabetes")
    last = b.chain(
        "data.x",
        ("fc1", "layers.Linear", {"out_features": 32}),
        ("relu1", "activations.ReLU"),
        ("fc2", "layers.Linear", {"out_features": 1}),
    )
    b.loss("loss", "losses.MSE", last, "data.y")
    b.optimizer("sgd", "optimizers.SGD", "loss", lr=0.05)
    return b.done()


def exploding_diverges() -> Graph:
    return diabetes_mlp(
        "Exploding gradients: too large a learning rate",
        "A small MLP predicts disease progression (values near 150, squared errors in the tens "
        "of thousands) with SGD at learning rate 0.05. The first gradients are in the thousands; "
        "each step overshoots further than the last, and within a few steps the loss overflows: "
        "training stops and names the node whose output became infinite.",
        grad_clip=0.0,
    )


def exploding_clipped() -> Graph:
    return diabetes_mlp(
        "Exploding gradients cured by gradient clipping",
        "The same network and learning rate with grad_clip 10: before each step the whole "
        "gradient is scaled down to norm 10 whenever it is longer. The direction is kept, the "
        "step size is bounded, and the run converges instead of overflowing.",
        grad_clip=10.0,
    )


# -- 4. optimizers race -------------------------------------------------------------------------------

RACE = (
    ("sgd", "optimizers.SGD", {"lr": 0.05}),
    ("momentum", "optimizers.Momentum", {"lr": 0.05, "momentum": 0.9}),
    ("adam", "optimizers.Adam", {"lr": 0.001}),
    ("rmsprop", "optimizers.RMSprop", {"lr": 0.001}),
    ("adagrad", "optimizers.Adagrad", {"lr": 0.05}),
)


def small_mlp(b: Builder, prefix: str, hidden: int = 64) -> str:
    return b.chain(
        "data.x",
        (f"{prefix}fc1", "layers.Linear", {"out_features": hidden}),
        (f"{prefix}relu", "activations.ReLU"),
        (f"{prefix}fc2", "layers.Linear", {"out_features": 10}),
    )


def optimizers_race() -> Graph:
    b = Builder(
        "Optimizers race",
        "Five copies of the same 64-unit MLP learn the digits side by side, each with its own "
        "loss and optimizer: SGD, Momentum (same learning rate as SGD), Adam, RMSprop and "
        "Adagrad. The loss chart overlays them, one colour each.",
        epochs=10,
        batch_size=32,
        seed=0,
    )
    b.node("data", "data.Dataset", dataset="digits_flat")
    for name, type_id, params in RACE:
        last = small_mlp(b, f"{name}_")
        b.loss(f"loss_{name}", "losses.CrossEntropy", last, "data.y")
        b.optimizer(name, type_id, f"loss_{name}", **params)
    return b.done()


def optimizers_gradient_descent() -> Graph:
    b = Builder(
        "Full-batch gradient descent",
        "The same MLP with Gradient Descent: one step per epoch on the whole training set "
        "(it cannot share a run with mini-batch optimizers). 10 epochs are only 10 steps; the "
        "race's optimizers took 450 each.",
        epochs=10,
        batch_size=32,
        seed=0,
    )
    b.node("data", "data.Dataset", dataset="digits_flat")
    last = small_mlp(b, "")
    b.loss("loss", "losses.CrossEntropy", last, "data.y")
    b.optimizer("gd", "optimizers.GradientDescent", "loss", lr=0.5)
    return b.done()


# -- 8. batch and epoch ------------------------------------------------------------------------------


def batch_size_graph(batch: int | None) -> Graph:
    label = {None: "full batch", 1: "batch 1", 32: "batch 32"}[batch]
    what = {
        None: "one step per epoch on all 1,437 training images, the exact gradient: the loss "
        "falls smoothly but slowly per epoch",
        1: "one image per step, 1,437 steps per epoch: the per-batch loss jumps wildly and an "
        "epoch takes longest, since every step pays the same fixed cost for one sample",
        32: "45 steps per epoch: a gradient averaged over 32 images is noisy enough to move fast "
        "and calm enough to follow",
    }[batch]
    b = Builder(
        f"Batch and epoch: {label}",
        f"The same 64-unit MLP on the digits, {label}: {what}. Compare the raw per-batch loss "
        "(faint line) and the time per epoch with the other batch sizes.",
        epochs=5,
        batch_size=batch or 32,
        seed=0,
    )
    b.node("data", "data.Dataset", dataset="digits_flat")
    last = small_mlp(b, "")
    b.loss("loss", "losses.CrossEntropy", last, "data.y")
    if batch is None:
        b.optimizer("gd", "optimizers.GradientDescent", "loss", lr=0.5)
    else:
        b.optimizer("sgd", "optimizers.SGD", "loss", lr=0.01 if batch == 1 else 0.1)
    return b.done()


# -- 9. transfer learning -------------------------------------------------------------------------------


def transfer_cnn(b: Builder, prefix: str, frozen: bool) -> str:
    conv = {"out_channels": 16, "kernel_size": 3, "padding": 1, "trainable": not frozen}
    last = b.chain(
        "data.x",
        (f"{prefix}conv1", "layers.Conv2d", conv),
        (f"{prefix}relu1", "activations.ReLU"),
        (f"{prefix}pool1", "layers.MaxPool2d", {"kernel_size": 2}),
        (f"{prefix}conv2", "layers.Conv2d", {**conv, "out_channels": 32}),
        (f"{prefix}relu2", "activations.ReLU"),
        (f"{prefix}flatten", "layers.Flatten"),
        (f"{prefix}head", "layers.Linear", {"out_features": 5}),
    )
    return last


def transfer_race() -> Graph:
    b = Builder(
        "Transfer learning: from scratch vs frozen features",
        "Two copies of the same small CNN learn the digits 5 to 9 side by side. `scratch_*` "
        "starts from random weights and trains every layer; the frozen copy's conv1 and conv2 "
        "(trainable off) take the weights transfer_base learned on the digits 0 to 4 (File > "
        "Load Weights... > resources/lessons/transfer_base.safetensors) and only its head "
        "learns. The loss chart overlays both.",
        epochs=5,
        batch_size=32,
        seed=0,
    )
    b.node("data", "data.Dataset", dataset="digits_images", classes=[5, 6, 7, 8, 9])
    for prefix, frozen in (("scratch_", False), ("", True)):
        last = transfer_cnn(b, prefix, frozen)
        name = prefix.rstrip("_") or "frozen"
        b.loss(f"loss_{name}", "losses.CrossEntropy", last, "data.y")
        b.optimizer(f"adam_{name}", "optimizers.Adam", f"loss_{name}", lr=0.003)
    return b.done()


def transfer_base() -> Graph:
    b = Builder(
        "Transfer learning: the base network (digits 0-4)",
        "The small CNN trained on the digits 0 to 4 only; its conv1 and conv2 learn strokes "
        "and curves that the digits 5 to 9 share. resources/lessons/transfer_base.safetensors "
        "holds its weights after these 10 epochs.",
        epochs=10,
        batch_size=32,
        seed=0,
    )
    b.node("data", "data.Dataset", dataset="digits_images", classes=[0, 1, 2, 3, 4])
    last = transfer_cnn(b, "", frozen=False)
    b.loss("loss", "losses.CrossEntropy", last, "data.y")
    b.optimizer("adam", "optimizers.Adam", "loss", lr=0.003)
    return b.done()


# -- 5. memory -----------------------------------------------------------------------------------------------

MEMORY_STEPS = 50
MEMORY_EPOCHS = 20


def memory_race(forget_bias: float = 6.0) -> Graph:
    """A plain RNN and an LSTM side by side on first_token; ln(50) = 3.9, so bias 6 keeps 0.998 a step."""
    b = Builder(
        "Memory: a plain RNN against an LSTM over 50 steps",
        "Two recurrent networks of 32 units read the same sequences of 50 tokens and must name the "
        "first one; the 49 after it are random distractors from the same four tokens, and a start flag "
        "marks the first step. `rnn` is a plain RNN, `lstm` an LSTM whose forget gates start at bias "
        f"{forget_bias:g} (its `forget_bias`), so it starts out keeping its cell state. The loss chart "
        "overlays both.",
        epochs=MEMORY_EPOCHS,
        batch_size=32,
        seed=0,
    )
    b.node("data", "data.Dataset", dataset="first_token", num_samples=2000, sequence_length=MEMORY_STEPS)
    for name, type_id, extra in (("rnn", "layers.RNN", {}), ("lstm", "layers.LSTM", {"forget_bias": forget_bias})):
        last = b.chain(
            "data.x",
            (name, type_id, {"hidden_size": 32, **extra}),
            (f"{name}_head", "layers.Linear", {"out_features": 4}),
        )
        b.loss(f"loss_{name}", "losses.CrossEntropy", last, "data.y")
        b.optimizer(f"adam_{name}", "optimizers.Adam", f"loss_{name}", lr=0.02)
    return b.done()


# -- 6. losses ---------------------------------------------------------------------------------------------


def losses_outliers() -> Graph:
    b = Builder(
        "Losses: MSE against Huber on data with outliers",
        "Two one-weight-one-bias models fit the same points on the line y = 2x + 1, one in ten of them "
        "an outlier 10 to 20 above it: `mse_fit` by mean squared error, `huber_fit` by Huber loss "
        "(delta 1). Squared error grows with the square of a miss, so the outliers pull the MSE line up "
        "and tilt it; Huber loss grows only linearly beyond delta, so its line stays on the clean points.",
        epochs=30,
        batch_size=32,
        seed=0,
    )
    b.node("data", "data.Dataset", dataset="line_outliers", num_samples=500, noise=0.3)
    for name, loss in (("mse", "losses.MSE"), ("huber", "losses.Huber")):
        b.chain("data.x", (f"{name}_fit", "layers.Linear", {"out_features": 1}))
        b.loss(f"loss_{name}", loss, f"{name}_fit", "data.y")
        b.optimizer(f"sgd_{name}", "optimizers.SGD", f"loss_{name}", lr=0.05)
    return b.done()


def losses_binary() -> Graph:
    b = Builder(
        "Losses: binary classification with a sigmoid and binary cross-entropy",
        "Benign or malignant from 30 measurements: one output per sample, a logit. BCEWithLogits applies "
        "the sigmoid itself (turning the logit into a probability of the second class) and takes the "
        "binary cross-entropy, which is more accurate than a Sigmoid node followed by a plain BCE: no "
        "separate Sigmoid node here (validation warns if one is added).",
        epochs=30,
        batch_size=32,
        seed=0,
    )
    b.node("data", "data.Dataset", dataset="breast_cancer")
    last = b.chain(
        "data.x",
        ("fc1", "layers.Linear", {"out_features": 16}),
        ("relu1", "activations.ReLU"),
        ("fc2", "layers.Linear", {"out_features": 1}),
    )
    b.loss("loss", "losses.BCEWithLogits", last, "data.y")
    b.optimizer("adam", "optimizers.Adam", "loss", lr=0.003)
    return b.done()


def losses_hinge_vs_cross_entropy() -> Graph:
    b = Builder(
        "Losses: hinge against cross-entropy",
        "Two copies of one small MLP classify iris flowers, `ce_*` by cross-entropy, `hinge_*` by the "
        "multi-class hinge (margin) loss. Cross-entropy always wants more confidence, so its loss keeps "
        "falling; the hinge loss is exactly zero once the right class wins by the margin, so it stops "
        "pushing on those samples (a satisfied margin, not a vanishing gradient).",
        epochs=60,
        batch_size=16,
        seed=0,
    )
    b.node("data", "data.Dataset", dataset="iris", val_split=0.3)
    for name, loss in (("ce", "losses.CrossEntropy"), ("hinge", "losses.Hinge")):
        last = b.chain(
            "data.x",
            (f"{name}_fc1", "layers.Linear", {"out_features": 16}),
            (f"{name}_relu", "activations.ReLU"),
            (f"{name}_fc2", "layers.Linear", {"out_features": 3}),
        )
        b.loss(f"loss_{name}", loss, last, "data.y")
        b.optimizer(f"adam_{name}", "optimizers.Adam", f"loss_{name}", lr=0.01)
    return b.done()


def losses_distillation() -> Graph:
    b = Builder(
        "Losses: KL divergence in distillation",
        "A teacher (256 hidden units) learns the digits from their labels. A student (32 hidden units) "
        "never sees a label: it learns to match the teacher's softened outputs, softmax(logits / 4), by "
        "minimizing the KL divergence between the two distributions. The Detach node stops the student's "
        "loss from changing the teacher. Softened outputs say more than a label (this 3 looks a bit like "
        "an 8), which is why a small student learns well from them.",
        epochs=20,
        batch_size=32,
        seed=0,
    )
    b.node("data", "data.Dataset", dataset="digits_flat")
    teacher = b.chain(
        "data.x",
        ("teacher_fc1", "layers.Linear", {"out_features": 256}),
        ("teacher_relu", "activations.ReLU"),
        ("teacher_fc2", "layers.Linear", {"out_features": 10}),
    )
    b.loss("loss_teacher", "losses.CrossEntropy", teacher, "data.y")
    b.optimizer("adam_teacher", "optimizers.Adam", "loss_teacher", lr=0.003, scope=["teacher_fc1", "teacher_fc2"])
    student = b.chain(
        "data.x",
        ("student_fc1", "layers.Linear", {"out_features": 32}),
        ("student_relu", "activations.ReLU"),
        ("student_fc2", "layers.Linear", {"out_features": 10}),
    )
    for who, logits in (("teacher", teacher), ("student", student)):
        b.node(f"{who}_temperature", "merge.ConstantLike", value=0.25)
        b.wire(f"{logits}.out", f"{who}_temperature.like")
        b.node(f"{who}_soften", "merge.Multiply")
        b.wire(f"{logits}.out", f"{who}_soften.a")
        b.wire(f"{who}_temperature.out", f"{who}_soften.b")
    b.chain("teacher_soften.out", ("teacher_detach", "merge.Detach"), ("teacher_probs", "activations.Softmax"))
    b.chain("student_soften.out", ("student_log_probs", "activations.LogSoftmax"))
    b.loss("loss_student", "losses.KLDivergence", "student_log_probs", "teacher_probs.out")
    b.optimizer("adam_student", "optimizers.Adam", "loss_student", lr=0.003, scope=["student_fc1", "student_fc2"])
    return b.done()


# -- 7. activations ------------------------------------------------------------------------------------


def activations_dead_units() -> Graph:
    b = Builder(
        "Activations: dead ReLUs against Leaky ReLU",
        "Two copies of one MLP learn the digits with SGD at a high learning rate (0.8), `relu_*` with "
        "ReLU, `leaky_*` with Leaky ReLU (slope 0.01 below zero). Large early steps push many ReLU units "
        "to a negative input for every sample: they output 0, get a zero gradient, and never recover. "
        "A Leaky ReLU unit always passes a little gradient, so it cannot die.",
        epochs=10,
        batch_size=32,
        seed=0,
    )
    b.node("data", "data.Dataset", dataset="digits_flat")
    for name, act in (("relu", "activations.ReLU"), ("leaky", "activations.LeakyReLU")):
        last = b.chain(
            "data.x",
            (f"{name}_fc1", "layers.Linear", {"out_features": 64}),
            (f"{name}_act1", act),
            (f"{name}_fc2", "layers.Linear", {"out_features": 64}),
            (f"{name}_act2", act),
            (f"{name}_fc3", "layers.Linear", {"out_features": 10}),
        )
        b.loss(f"loss_{name}", "losses.CrossEntropy", last, "data.y")
        b.optimizer(f"sgd_{name}", "optimizers.SGD", f"loss_{name}", lr=DEAD_LR)
    return b.done()


DEAD_LR = 0.8


def activations_tanh_vs_sigmoid() -> Graph:
    b = Builder(
        "Activations: tanh against sigmoid",
        "Two copies of one four-layer MLP learn the digits with SGD, `tanh_*` with Tanh, `sigmoid_*` with "
        "Sigmoid. Tanh is zero-centred with slope up to 1; sigmoid's outputs are all positive (every "
        "weight of the next layer moves the same way) and its slope is at most 0.25, so it learns slower.",
        epochs=10,
        batch_size=32,
        seed=0,
    )
    b.node("data", "data.Dataset", dataset="digits_flat")
    for name, act in (("tanh", "activations.Tanh"), ("sigmoid", "activations.Sigmoid")):
        steps: list[tuple] = []
        for i in (1, 2, 3):
            steps += [(f"{name}_fc{i}", "layers.Linear", {"out_features": 32}), (f"{name}_act{i}", act)]
        last = b.chain("data.x", *steps, (f"{name}_fc4", "layers.Linear", {"out_features": 10}))
        b.loss(f"loss_{name}", "losses.CrossEntropy", last, "data.y")
        b.optimizer(f"sgd_{name}", "optimizers.SGD", f"loss_{name}", lr=0.1)
    return b.done()


def activations_softmax() -> Graph:
    b = Builder(
        "Activations: softmax outputs",
        "A small MLP's ten logits feed the cross-entropy loss (which applies the softmax itself) and a "
        "Softmax node `probabilities`, which turns them into ten numbers between 0 and 1 that sum to 1: "
        "the model's confidence in each digit. Select it in the Inspector after training to see them as "
        "bars per sample.",
        epochs=10,
        batch_size=32,
        seed=0,
    )
    b.node("data", "data.Dataset", dataset="digits_flat")
    last = b.chain(
        "data.x",
        ("fc1", "layers.Linear", {"out_features": 64}),
        ("relu1", "activations.ReLU"),
        ("fc2", "layers.Linear", {"out_features": 10}),
    )
    b.chain(f"{last}.out", ("probabilities", "activations.Softmax"))
    b.loss("loss", "losses.CrossEntropy", last, "data.y")
    b.optimizer("adam", "optimizers.Adam", "loss", lr=0.003)
    return b.done()


# -- 10. unsupervised ---------------------------------------------------------------------------------


def autoencoder_2d() -> Graph:
    b = Builder(
        "Unsupervised: an autoencoder with a 2-D code",
        "An encoder squeezes each 64-pixel digit into just two numbers (`latent`) and a decoder rebuilds the "
        "image from them; the loss compares the rebuilt image with the input, so no label is used. After "
        "training, select `latent` in the Inspector's Projection tab: each validation digit is a point, "
        "coloured by its label, and digits of one class gather together though the network never saw a "
        "label.",
        epochs=AUTOENCODER_EPOCHS,
        batch_size=32,
        seed=0,
    )
    b.node("data", "data.Dataset", dataset="digits_flat")
    last = b.chain(
        "data.x",
        ("enc1", "layers.Linear", {"out_features": 64}),
        ("enc_act", "activations.ReLU"),
        ("latent", "layers.Linear", {"out_features": 2}),
        ("dec1", "layers.Linear", {"out_features": 64}),
        ("dec_act", "activations.ReLU"),
        ("dec2", "layers.Linear", {"out_features": 64}),
        ("image", "activations.Sigmoid"),
    )
    b.loss("loss", "losses.MSE", last, "data.x")
    b.optimizer("adam", "optimizers.Adam", "loss", lr=0.003)
    return b.done()


AUTOENCODER_EPOCHS = 30


LESSON_BUILDERS: dict[str, Callable[[], Graph]] = {
    "overfitting_plain": overfitting_plain,
    "overfitting_dropout": overfitting_dropout,
    "overfitting_l2": overfitting_l2,
    "overfitting_early_stopping": overfitting_early_stopping,
    "vanishing_sigmoid": vanishing_sigmoid,
    "vanishing_relu_default": vanishing_relu_default,
    "vanishing_he_init": vanishing_he_init,
    "vanishing_relu_batchnorm": vanishing_relu_batchnorm,
    "vanishing_residual": vanishing_residual,
    "exploding_diverges": exploding_diverges,
    "exploding_clipped": exploding_clipped,
    "optimizers_race": optimizers_race,
    "optimizers_gradient_descent": optimizers_gradient_descent,
    "batch_1": lambda: batch_size_graph(1),
    "batch_32": lambda: batch_size_graph(32),
    "batch_full": lambda: batch_size_graph(None),
    "memory_race": memory_race,
    "transfer_base": transfer_base,
    "transfer_race": transfer_race,
    "losses_outliers": losses_outliers,
    "losses_binary": losses_binary,
    "losses_hinge_vs_cross_entropy": losses_hinge_vs_cross_entropy,
    "losses_distillation": losses_distillation,
    "activations_dead_units": activations_dead_units,
    "activations_tanh_vs_sigmoid": activations_tanh_vs_sigmoid,
    "activations_softmax": activations_softmax,
    "autoencoder_2d": autoencoder_2d,
}


def main(names: list[str]) -> None:
    LESSONS.mkdir(exist_ok=True)
    for name, build in LESSON_BUILDERS.items():
        if names and name not in names:
            continue
        graph = build()
        problems = [p for p in analyze(graph).problems if p.severity not in ("info", "warning")]
        if problems:
            raise SystemExit(f"{name}: {problems[0]}")
        save_graph(graph, LESSONS / f"{name}.json")
        print(f"wrote {LESSONS / f'{name}.json'} ({len(graph.nodes)} nodes)")
        if name in TRAINED:
            TRAINED[name](graph)


def train_weights(name: str):
    """Train a lesson's graph (seeded, one thread: the same weights every time) and keep its weights."""

    def train(graph: Graph) -> None:
        import torch

        from engine.training.checkpoint import save_weights
        from engine.training.trainer import Trainer

        torch.set_num_threads(1)
        trainer = Trainer(graph)
        trainer.fit()
        save_weights(trainer.modules, LESSONS / f"{name}.safetensors")
        print(f"wrote {LESSONS / f'{name}.safetensors'}")

    return train


# graphs whose trained weights ship beside them (lesson 9 loads the base network's)
TRAINED = {"transfer_base": train_weights("transfer_base")}


if __name__ == "__main__":
    main(sys.argv[1:])
