"""The lessons: their graphs and texts (what to do, what to look at, why, what was measured).

Texts use `backticks` for node ids and settings; the editor renders them as code, and
docs/examples.md keeps them as Markdown code. The measured figures come from the claim tests
(tests/engine/lessons/test_lesson_claims.py) on a 2-core CPU machine, one torch thread.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

LESSONS_DIR = Path(__file__).resolve().parents[2] / "resources" / "lessons"


@dataclass(frozen=True)
class LessonGraph:
    file: str  # stem of resources/lessons/<file>.json
    caption: str  # one line: what this graph is, in the lesson

    @property
    def path(self) -> Path:
        return LESSONS_DIR / f"{self.file}.json"


@dataclass(frozen=True)
class Lesson:
    number: int
    slug: str
    title: str
    graphs: tuple[LessonGraph, ...]
    do: str  # what to do
    look: str  # what to look at
    why: str  # why it happens
    measured: str  # the figures measured here, which the claim test checks
    view: str = ""  # an extra view the Lesson pane shows under the text ("surface", "lines"), if any
    concepts: tuple[str, ...] = ()  # glossary terms this lesson shows


LESSONS: tuple[Lesson, ...] = (
    Lesson(
        1,
        "overfitting",
        "Overfitting and its cures",
        (
            LessonGraph("overfitting_plain", "a 256-256 MLP on 359 digit images: it overfits"),
            LessonGraph("overfitting_dropout", "the same with Dropout p = 0.5 after each hidden layer"),
            LessonGraph("overfitting_l2", "the same with L2 weight decay 0.01 on the optimizer"),
            LessonGraph("overfitting_early_stopping", "the same with early stopping (patience 10, best weights)"),
        ),
        do="Train `overfitting_plain` (100 epochs, a few seconds). Then open and train each cure and compare "
        "their curves, or tick the runs in the Runs panel to overlay them.",
        look="The loss chart: training loss falls towards zero while validation loss bottoms out after about ten "
        "epochs and then climbs for the rest of the run: the gap between the two curves is overfitting, and "
        "the training doctor's card names it (overfitting since epoch 11) with the cures to try. "
        "With dropout the minimum comes later and lower; with L2 validation loss stays flat near its minimum; "
        "with early stopping the run ends 10 epochs after the best epoch, which the chart marks, and the "
        "final metrics are that epoch's (its weights are restored).",
        why="Two layers of 256 units hold about 85,000 weights, and 359 training images are not enough to pin "
        "them down: after learning what digits share, the network keeps lowering its training loss by "
        "memorising each image's quirks, which do not carry over to new images. Dropout trains a random half "
        "of the units at each step, so no unit can rely on another; weight decay makes large weights cost "
        "loss; early stopping simply keeps the model from before the memorising began.",
        measured="plain: validation loss 0.232 at its minimum (epoch 11), 0.349 at epoch 100 (34 % above), "
        "training loss 0.0004. Dropout: minimum 0.175 at epoch 29, 0.258 at the end. L2: 0.237 at epoch 66, "
        "0.240 at the end. Early stopping stops at epoch 21 with the weights of epoch 11 (validation loss 0.232).",
        concepts=("overfitting", "validation", "dropout", "regularization", "early stopping"),
    ),
    Lesson(
        2,
        "vanishing-gradients",
        "Vanishing gradients",
        (
            LessonGraph("vanishing_sigmoid", "eight Linear + Sigmoid layers under plain SGD"),
            LessonGraph("vanishing_relu_default", "eight ReLU layers with PyTorch's default initialisation"),
            LessonGraph("vanishing_he_init", "the same ReLU layers with He initialisation"),
            LessonGraph("vanishing_relu_batchnorm", "the sigmoid stack with ReLU and BatchNorm1d instead"),
            LessonGraph("vanishing_residual", "the same sigmoid layers with a residual path around each"),
        ),
        do="Open `vanishing_sigmoid`: before any training, the Problems panel already warns that `act4` is the "
        "fourth saturating activation in a row with no normalization (its quick fix inserts a BatchNorm). Train it "
        "(10 epochs, a second or two), then train the cures and compare their gradient norms.",
        look="The gradient-norm badges on the layers and the Gradient norms chart: the head's gradient is about "
        "0.5, fc8's ten times smaller, and so on down to fc1 at about 1e-7, blue badges on the first layers. "
        "Accuracy stays at chance (10 %). Swapping in ReLU is not enough with PyTorch's default initial "
        "weights (fc1 still gets a few thousandths of the head's gradient, accuracy at chance); with He "
        "initialisation, or with batch norm, every layer's gradient is as large as the head's and accuracy "
        "passes 90 %. The residual path rescues even the unchanged sigmoid layers.",
        why="Backpropagation multiplies the gradient by each layer's local slope on the way back. A sigmoid's "
        "slope is at most 0.25 (and far less where it saturates), so eight layers shrink it by 0.25^8, about "
        "1.5e-5, or much more: the first layers receive almost nothing and never learn. ReLU's slope is "
        "exactly 1 where it is active, but it zeroes half the signal, and default weights (variance "
        "1 / (3 fan_in)) shrink the rest: He initialisation (variance 2 / fan_in) exactly makes up for both, "
        "and batch norm rescales every layer's input whatever the weights. An Add node "
        "passes the gradient back unchanged, so a residual path gives every layer a direct route to the loss.",
        measured="after 10 epochs, fc1's gradient norm over the head's: sigmoid 2.7e-7 (validation accuracy "
        "0.10, chance), ReLU with default initialisation 3.7e-3 (0.10), ReLU with He initialisation 3.1 "
        "(0.94), ReLU + batch norm 6.4 (0.97), residual sigmoid 0.21 (0.76).",
        concepts=(
            "vanishing gradients",
            "backpropagation",
            "weight initialization",
            "batch normalization",
            "residual connection",
        ),
    ),
    Lesson(
        3,
        "exploding-gradients",
        "Exploding gradients",
        (
            LessonGraph("exploding_diverges", "an MLP on diabetes with SGD at learning rate 0.05: it diverges"),
            LessonGraph("exploding_clipped", "the same with gradient clipping at norm 10"),
        ),
        do="Train `exploding_diverges`: it stops within the first epoch. Then train `exploding_clipped`.",
        look="The stop message and the Problems panel: the run ends as diverged and names the node whose output "
        "first became infinite, the MSE loss `loss`, which the canvas marks. With clipping (the training "
        "setting `grad_clip`) the same learning rate gives a loss that falls steadily.",
        why="The targets are around 150, so the first squared errors are in the tens of thousands and the "
        "gradients in the thousands. At learning rate 0.05 the first step overshoots, the next error is larger, "
        "its gradient larger still: each step multiplies the error, until the numbers overflow. Clipping "
        "rescales the whole gradient to norm 10 whenever it is longer, keeping its direction but bounding "
        "each step, so the run cannot blow up.",
        measured="unclipped: diverges at epoch 1, step 5, naming MSE `loss`. Clipped at 10: validation MSE "
        "from about 22,600 after epoch 1 to about 3,400 at epoch 30, every value finite.",
        concepts=("exploding gradients", "gradient clipping", "learning rate"),
    ),
    Lesson(
        4,
        "optimizers",
        "Optimizers race",
        (
            LessonGraph("optimizers_race", "SGD, Momentum, Adam, RMSprop and Adagrad, one MLP each, overlaid"),
            LessonGraph("optimizers_gradient_descent", "the same MLP with full-batch Gradient Descent"),
        ),
        do="Train `optimizers_race` (10 epochs): one run trains the five copies side by side. Then look at the "
        "loss surface view, which runs each optimizer on a 2-D valley.",
        look="The loss chart overlays the five optimizers, one colour each. Momentum, at the same learning rate "
        "as SGD, reaches a third of SGD's validation loss; Adagrad is fastest at first. On the loss surface, "
        "Gradient Descent zig-zags down the valley's steep wall and then crawls along its flat, curved floor; "
        "Momentum overshoots, swings back and rolls to the minimum; Adam heads there on a path of its own.",
        why="Plain gradient descent steps in proportion to the slope, so it is fast where the surface is steep "
        "and slow where it is flat, exactly wrong in a long narrow valley. Momentum keeps a running sum of "
        "past steps: the zig-zag across the valley cancels out and the steady push along it adds up. Adam, "
        "RMSprop and Adagrad divide each weight's step by the size of its recent gradients, so every "
        'direction moves at a similar pace. (Goh, "Why Momentum Really Works", Distill 2017.)',
        measured="after 10 epochs, validation loss: SGD 0.445, Momentum 0.134, Adam 0.293, RMSprop 0.249, "
        "Adagrad 0.147 (all above 0.91 accuracy). On the valley after 150 steps at learning rate 0.02: "
        "Momentum ends 0.0004 from the minimum, Gradient Descent 0.40; Adam (lr 0.1) 0.03.",
        view="surface",
        concepts=("optimizer", "gradient descent", "stochastic gradient descent", "momentum", "learning rate"),
    ),
    Lesson(
        5,
        "memory",
        "Memory: a plain RNN against an LSTM",
        (LessonGraph("memory_race", "a plain RNN and an LSTM recall the first of 50 tokens, side by side"),),
        do="Train `memory_race` (20 epochs, under a minute): one run trains both networks on the same "
        "sequences. Then set the LSTM's `forget_bias` to 0 and train again; then try other seeds.",
        look="The loss chart overlays `loss_rnn` and `loss_lstm`, and the Runs panel shows each one's accuracy. "
        "The RNN's validation loss stays near ln 4 = 1.39 and its accuracy at chance (25 %) for the whole run; "
        "the LSTM's loss drops after a few epochs and its accuracy reaches 100 % by epoch 8. With `forget_bias` "
        "0 the LSTM stays at chance too: the gates alone are not enough if they start out forgetting. Other "
        "seeds move the epoch where the LSTM takes off, and sometimes let the RNN tell two of the four tokens "
        "apart (50 %), no more in the seeds measured.",
        why="Each sequence is 50 steps: its first token (one of four, marked by a start flag), then 49 random "
        "tokens from the same four. A plain RNN adds every step's input into its state through the same "
        "weights, so each distractor overwrites a little of the first token, and the gradient that should "
        "teach it to keep that token is multiplied by the recurrent weights and tanh's slope 49 times on its "
        "way back: it vanishes, and the RNN never learns which step matters. An LSTM keeps a separate cell "
        "state that its forget gate multiplies by a number near 1 and its input gate can shut, so the first "
        "token can ride to the end untouched and the gradient flows back along the cell. But a fresh forget "
        "gate sits near 0.5, halving the cell every step (0.5^49 = 2e-15); `forget_bias` 6 starts it at "
        "0.998, so a memory lasts from the start and the input gate can learn to open only on the flagged step.",
        measured="seed 0, 20 epochs (Adam, learning rate 0.02, 32 units each), validation accuracy: RNN 0.25 "
        "(chance), LSTM 1.00 from epoch 8; the LSTM with forget_bias 0 stays at 0.27 (chance). Seeds 1, 2, 3 at "
        "epoch 20: RNN 0.26, 0.50, 0.51; LSTM 0.74, 0.75, 1.00.",
        concepts=("vanishing gradients", "weight initialization"),
    ),
    Lesson(
        6,
        "losses",
        "Losses",
        (
            LessonGraph("losses_outliers", "MSE against Huber on a line with outliers, side by side"),
            LessonGraph("losses_binary", "binary classification: one logit, sigmoid and binary cross-entropy"),
            LessonGraph("losses_hinge_vs_cross_entropy", "hinge against cross-entropy on iris, side by side"),
            LessonGraph("losses_distillation", "a student learns a teacher's softened outputs by KL divergence"),
        ),
        do="Train `losses_outliers` (30 epochs, about a second): the chart under this text then draws the "
        "points and the two fitted lines (each fit is one Linear layer: its weight is the slope, its bias the "
        "intercept). "
        "Then train the other three graphs.",
        look="Outliers: both lines find the slope (about 2), but the MSE line's intercept is pulled up to "
        "about 2.3 by the outliers, while the Huber line stays at about 1.1, on the clean points (the true "
        "line is y = 2x + 1). Binary: one output per sample, accuracy about 97 %. Hinge against "
        "cross-entropy: both reach about 98 % on iris; the hinge loss is exactly zero on every sample that "
        "clears the margin, and the gradient badges call it satisfied, not vanishing. Distillation: the "
        "student's accuracy, which it never trained for, follows the teacher's.",
        why="A loss says what a mistake costs. Squared error costs a miss of 10 a hundred times a miss of 1, "
        "so a few outliers dominate the fit; Huber loss is squared near zero and linear beyond `delta`, so "
        "each outlier pulls with a bounded force. Binary cross-entropy on a sigmoid is the log-likelihood of "
        "the right class; taken from the logit directly it stays exact where the sigmoid saturates. The "
        "hinge loss only asks the right class to win by a margin; cross-entropy always asks for more "
        "confidence. KL divergence measures how far one distribution is from another: matching a teacher's "
        "softened distribution passes on how similar the classes look to it, not only which one is right.",
        measured="outliers after 30 epochs: MSE line slope 1.90, intercept 2.29; Huber line slope 2.00, "
        "intercept 1.09. Binary: validation accuracy 0.97. Iris after 60 epochs: cross-entropy 1.00, hinge "
        "0.98. Distillation after 20 epochs: teacher 0.97, student 0.95 validation accuracy (student "
        "trained on the teacher's outputs only).",
        view="lines",
        concepts=("loss function", "logits", "supervised learning"),
    ),
    Lesson(
        7,
        "activations",
        "Activations",
        (
            LessonGraph("activations_dead_units", "ReLU against Leaky ReLU at a high learning rate, side by side"),
            LessonGraph("activations_tanh_vs_sigmoid", "four layers of Tanh against four of Sigmoid, side by side"),
            LessonGraph("activations_softmax", "softmax outputs: a Softmax node beside the loss"),
        ),
        do="Train `activations_dead_units` (10 epochs), then `activations_tanh_vs_sigmoid` and "
        "`activations_softmax`; after the last, select `probabilities` in [the Inspector](view/inspector).",
        look="Dead units: the Dead units chart and the badges on `relu_act1` and `relu_act2` show the share of "
        "units that output 0 for every validation sample; the Leaky ReLU copy has none and ends with a "
        "lower loss. Tanh against sigmoid: the tanh copy's loss falls from the first epoch while the sigmoid "
        "copy stays at chance for all 10. Softmax: every sample's ten probabilities sum to 1, most of the "
        "mass on one digit.",
        why="A ReLU unit whose input is negative for every sample outputs 0 and receives a zero gradient, so "
        "nothing can bring it back: one large step (here the learning rate 0.8) can kill it for good. Leaky "
        "ReLU keeps a small slope below zero, so a unit always gets some gradient. Tanh is a sigmoid "
        "stretched to (-1, 1): its outputs are centred on zero and its slope is up to 1 instead of 0.25, so "
        "gradients survive more layers. Softmax exponentiates the logits and divides by their sum: "
        "probabilities that stress the largest logit.",
        measured="dead units after 10 epochs at learning rate 0.8: ReLU copy 81 % of `relu_act1` and 41 % of "
        "`relu_act2` dead, validation accuracy 0.85; Leaky ReLU copy 0.95. Tanh 0.92 against sigmoid 0.10 "
        "(validation loss 0.28 against 2.31). Softmax: rows sum to 1 within 3e-7, mean top probability 0.93.",
        concepts=("activation function", "logits"),
    ),
    Lesson(
        8,
        "batch-and-epoch",
        "Batch and epoch",
        (
            LessonGraph("batch_1", "batch size 1: 1,437 steps per epoch"),
            LessonGraph("batch_32", "batch size 32: 45 steps per epoch"),
            LessonGraph("batch_full", "the whole training set as one batch (Gradient Descent): 1 step per epoch"),
        ),
        do="Train each of the three graphs (5 epochs each).",
        look="The faint per-batch loss line of the loss chart, and the time per epoch in the Training panel. "
        "Batch 1 gives a band of wild jumps and the slowest epochs; batch 32 a narrow band; the full batch "
        "one point per epoch on a smooth curve, and the fewest steps.",
        why="An epoch is one pass over the training data; a batch is the group of samples whose averaged "
        "gradient makes one step. One sample is a noisy estimate of the true gradient (the noise can even "
        "help escape poor regions), and every step pays a fixed cost, so small batches mean many noisy, "
        "cheap-per-sample-but-slow-per-epoch steps. The full batch gives the exact gradient but only one "
        "step per epoch. Mini-batches of 16 to 256 sit in between, which is why they are the default.",
        measured="steps per epoch 1,437, 45 and 1. Relative spread (std / mean) of the last epoch's per-batch "
        "losses: batch 1 2.5, batch 32 0.20, full batch 0. Time per epoch on this machine (2 cores, busy): "
        "1.6-2.3 s, 0.06-0.1 s and 0.002-0.015 s. Validation accuracy after 5 epochs: 0.95, 0.92 and 0.59: "
        "per epoch, more steps learn more; per second, batch 32 is far ahead.",
        concepts=("batch", "epoch", "mini-batch", "stochastic gradient descent"),
    ),
    Lesson(
        9,
        "transfer-learning",
        "Transfer learning",
        (
            LessonGraph("transfer_race", "a CNN from scratch and one with frozen pretrained features, overlaid"),
            LessonGraph("transfer_base", "the base CNN, trained on the digits 0 to 4"),
        ),
        do="Open `transfer_race`, choose File > Load Weights... and pick resources/lessons/"
        "transfer_base.safetensors (the weights `transfer_base` trains to: its conv1, conv2 and head match "
        "by id; the `scratch_*` layers keep their random weights). Then train (5 epochs).",
        look="The loss chart overlays `loss_scratch` and `loss_frozen`. After the first epoch the frozen copy's "
        "validation loss is less than half of the scratch copy's, though only its head learns; the scratch "
        "copy catches up later, because it has every layer to train and 900 images to train them on.",
        why="A convolutional layer trained on the digits 0 to 4 has learned to detect strokes, curves and "
        "corners, which the digits 5 to 9 are made of too. Freezing those layers (trainable off) keeps them "
        "as a fixed feature extractor, and only the linear head has to learn which features mean which digit: "
        "a much easier problem, so it is solved in fewer steps and with less data.",
        measured="after epoch 1, validation loss: frozen features 0.233, scratch 0.51 (accuracy 0.97 vs 0.94); "
        "after 5 epochs both near 0.99 accuracy.",
        concepts=("transfer learning", "feature extraction", "fine-tuning", "convolution"),
    ),
    Lesson(
        10,
        "unsupervised",
        "Unsupervised: an autoencoder's 2-D code",
        (LessonGraph("autoencoder_2d", "an autoencoder whose code is just two numbers"),),
        do="Train `autoencoder_2d` (30 epochs, a few seconds). Then open [the Inspector](view/inspector), select the node "
        "`latent` and choose its Projection tab.",
        look="Each validation digit is a point at its two code numbers (projected by PCA, which for two "
        "numbers only turns the picture), coloured by its label. Digits of one class gather in one region, "
        "0s and 6s apart from 1s and 7s, though the network was never shown a label.",
        why="To rebuild 64 pixels from two numbers the encoder must put images that look alike at nearby "
        "codes: the reconstruction loss alone makes it discover what makes a 0 a 0. This is unsupervised "
        "learning: structure found in the inputs themselves.",
        measured="validation reconstruction MSE 0.040 after 30 epochs; a 5-nearest-neighbour classifier on "
        "the 2-D codes of the validation digits (5-fold) is right 70 % of the time, against 10 % by chance.",
        concepts=("unsupervised learning",),
    ),
)


def lesson_by_slug(slug: str) -> Lesson | None:
    return next((lesson for lesson in LESSONS if lesson.slug == slug), None)
