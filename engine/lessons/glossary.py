"""The glossary (Help > Glossary): every term of the course and every node type, in a few sentences.

Each entry links to where the term can be seen: the node type's help (`node/<type id>`), the
lesson that makes it happen (`lesson/<slug>`) or the panel that shows it (`view/<name>`, the
names the editor's lessons module answers to). Node types get an entry each from the registry's
own help, with links to the lessons whose graphs use them; a course term that is also a node
type's title (Dropout) carries both. tests/engine/lessons/test_glossary.py checks every link.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache

from engine.lessons.catalog import LESSONS


@dataclass(frozen=True)
class GlossaryEntry:
    term: str
    text: str
    links: tuple[tuple[str, str], ...] = ()  # (label, "kind/name")

    @property
    def anchor(self) -> str:
        return "term-" + re.sub(r"[^a-z0-9]+", "-", self.term.lower()).strip("-")


def _term(term: str, text: str, *links: str) -> GlossaryEntry:
    """`links` as "kind/name"; their labels are made here (the lesson's title, the view's name)."""
    return GlossaryEntry(term, text, tuple((_label(link), link) for link in links))


def _label(link: str) -> str:
    kind, name = link.split("/", 1)
    if kind == "lesson":
        lesson = next((lesson for lesson in LESSONS if lesson.slug == name), None)
        return f"Lesson {lesson.number}: {lesson.title}" if lesson else name
    if kind == "view":
        return {"curves": "Reading the Curves", "surface": "the loss surface"}.get(name, f"the {name.title()} panel")
    if kind == "node":
        return f"{name.rsplit('.', 1)[-1]} node"
    return name


GLOSSARY: tuple[GlossaryEntry, ...] = (
    _term(
        "accuracy",
        "The share of samples whose highest-scoring class is the right one. Easy to read, but it ignores how "
        "confident the model is: the loss keeps falling while accuracy stands still.",
        "view/training",
    ),
    _term(
        "activation function",
        "The nonlinear function applied after a layer (ReLU, Sigmoid, Tanh...). Without one, stacked linear "
        "layers collapse into a single linear map, however many there are.",
        "node/activations.ReLU",
        "lesson/vanishing-gradients",
    ),
    _term(
        "backpropagation",
        "How the gradient of the loss with respect to every weight is computed: the chain rule applied from "
        "the loss backwards, layer by layer, each multiplying the incoming gradient by its own local slope. "
        "The gradient-norm badges show its result per layer.",
        "lesson/vanishing-gradients",
        "view/training",
    ),
    _term(
        "batch",
        "The group of samples whose averaged gradient makes one optimizer step (the training setting "
        "`batch_size`). Small batches give noisy, cheap steps; the whole training set gives the exact "
        "gradient but one step per epoch.",
        "lesson/batch-and-epoch",
        "view/settings",
    ),
    _term(
        "batch normalization",
        "Rescales each feature over the batch to mean 0 and variance 1, then applies a learned scale and "
        "shift. Keeps every layer's inputs in a range where activations have useful slopes, so deep networks "
        "train faster and their gradients neither vanish nor explode as easily.",
        "node/layers.BatchNorm1d",
        "lesson/vanishing-gradients",
    ),
    _term(
        "convolution",
        "A small filter slid over an image, computing the same weighted sum at every position: weights are "
        "shared across the image, so a stroke detector works wherever the stroke is.",
        "node/layers.Conv2d",
        "lesson/transfer-learning",
    ),
    _term(
        "dropout",
        "During training, each unit is zeroed with probability p (the rest scaled up to match), a different "
        "random set at every step; at evaluation nothing is dropped. No unit can rely on another, which "
        "curbs overfitting.",
        "node/layers.Dropout",
        "lesson/overfitting",
    ),
    _term(
        "early stopping",
        "Stop training when the validation metric has not improved for `patience` epochs, and keep the "
        "weights of the best epoch (`restore_best_weights`): the model from before it began to overfit.",
        "lesson/overfitting",
        "view/settings",
    ),
    _term(
        "epoch",
        "One pass over the whole training set. The curves' horizontal axis counts epochs; how many steps "
        "an epoch holds depends on the batch size.",
        "lesson/batch-and-epoch",
        "view/curves",
    ),
    _term(
        "exploding gradients",
        "Gradients that grow from step to step or from layer to layer until the weights and the loss overflow "
        "to infinity or NaN. Training stops and names the node whose output first overflowed. Cures: a "
        "smaller learning rate, gradient clipping, normalisation.",
        "lesson/exploding-gradients",
        "view/problems",
    ),
    _term(
        "feature extraction",
        "Using a network's trained layers as a fixed function that turns raw inputs into useful features, "
        "and training only a new head on top of them.",
        "lesson/transfer-learning",
    ),
    _term(
        "fine-tuning",
        "Continuing to train pretrained layers on a new task, usually with a small learning rate, instead of "
        "freezing them: more flexible than feature extraction, but needs more data.",
        "lesson/transfer-learning",
    ),
    _term(
        "gradient",
        "For each weight, how much the loss changes when that weight changes a little. The optimizer moves "
        "every weight against its gradient; its size per layer is shown on the gradient-norm badges.",
        "view/training",
    ),
    _term(
        "gradient clipping",
        "Before each step, scale the whole gradient down to a maximum norm (the training setting `grad_clip`) "
        "whenever it is longer: the direction is kept, the step size is bounded.",
        "lesson/exploding-gradients",
        "view/settings",
    ),
    _term(
        "gradient descent",
        "The basic optimizer: every weight takes a step against its gradient, of size learning rate times "
        "the gradient. Full-batch gradient descent uses the whole training set for each step.",
        "node/optimizers.GradientDescent",
        "lesson/optimizers",
        "view/surface",
    ),
    _term(
        "hyperparameter",
        "A setting chosen before training rather than learned: learning rate, batch size, epochs, layer "
        "sizes, dropout rate. The node parameters and the training settings are hyperparameters.",
        "view/settings",
        "view/properties",
    ),
    _term(
        "learning rate",
        "How large a step the optimizer takes along the gradient. Too small and training crawls; too large "
        "and the loss jumps around or diverges.",
        "lesson/exploding-gradients",
        "lesson/optimizers",
    ),
    _term(
        "logits",
        "A classifier's raw, unnormalised class scores, the output of its last Linear layer. Softmax turns "
        "them into probabilities; CrossEntropy takes logits directly (it applies the softmax itself).",
        "node/losses.CrossEntropy",
        "node/activations.Softmax",
    ),
    _term(
        "loss function",
        "A single number that says how wrong the predictions are; training lowers it. The choice encodes "
        "what 'wrong' means: squared error, cross-entropy, a margin, a divergence between distributions.",
        "node/losses.MSE",
        "view/curves",
    ),
    _term(
        "mini-batch",
        "A batch smaller than the training set, typically 16 to 256 samples: the usual compromise between "
        "noisy single-sample steps and slow full-batch steps.",
        "lesson/batch-and-epoch",
    ),
    _term(
        "momentum",
        "An optimizer that keeps a running sum of past steps and moves along it: oscillations across a "
        "valley cancel out while steady progress along it accumulates.",
        "node/optimizers.Momentum",
        "lesson/optimizers",
        "view/surface",
    ),
    _term(
        "optimizer",
        "The rule that turns gradients into weight updates: gradient descent, SGD, Momentum, Adam, RMSprop, "
        "Adagrad. In a graph, an optimizer node minimizes the losses wired into it.",
        "node/optimizers.Adam",
        "lesson/optimizers",
    ),
    _term(
        "overfitting",
        "The model learns its training samples' quirks instead of the pattern: training loss keeps falling "
        "while validation loss rises. Cures: more data, dropout, weight decay, early stopping, a smaller model.",
        "lesson/overfitting",
        "view/curves",
    ),
    _term(
        "pooling",
        "Shrinks a feature map by keeping the maximum (or average) of each small window: fewer numbers to "
        "process, and a little tolerance to where exactly a feature is.",
        "node/layers.MaxPool2d",
        "node/layers.AvgPool2d",
    ),
    _term(
        "receptive field",
        "The patch of the input image that one unit of a convolutional layer can see. It grows with every "
        "convolution and pooling layer, so deeper layers see larger shapes.",
        "node/layers.Conv2d",
        "node/layers.MaxPool2d",
    ),
    _term(
        "regularization",
        "Anything that discourages a model from fitting its training data too closely: weight decay (an L2 "
        "penalty on the weights, the optimizers' `weight_decay`), an L1 penalty (`l1`), dropout, early stopping.",
        "lesson/overfitting",
        "node/optimizers.Adam",
    ),
    _term(
        "residual connection",
        "A shortcut that adds a block's input to its output, so the block only learns a correction and the "
        "gradient flows back through the addition unchanged. It lets networks with hundreds of layers train.",
        "node/merge.Add",
        "lesson/vanishing-gradients",
    ),
    _term(
        "stochastic gradient descent",
        "Gradient descent with the gradient estimated on a random mini-batch at each step (SGD): many cheap, "
        "noisy steps per epoch instead of one exact one.",
        "node/optimizers.SGD",
        "lesson/optimizers",
        "lesson/batch-and-epoch",
    ),
    _term(
        "supervised learning",
        "Learning from examples whose answers are given (a label or a number per sample): the loss compares "
        "the prediction with the Dataset's `y`.",
        "node/data.Dataset",
    ),
    _term(
        "transfer learning",
        "Reusing what a network learned on one task for another: load its trained layers, freeze them or "
        "fine-tune them, and train a new head. Reaches good accuracy with less data and fewer steps.",
        "lesson/transfer-learning",
    ),
    _term(
        "underfitting",
        "The model does poorly even on its training data: training and validation loss are both high and "
        "close. Cures: a larger model, more epochs, a better learning rate, fewer constraints.",
        "view/curves",
    ),
    _term(
        "unsupervised learning",
        "Learning structure from data without answers: an autoencoder learns to rebuild its input through a "
        "narrow code, a GAN learns to generate samples like the data.",
        "node/losses.MSE",
    ),
    _term(
        "validation",
        "Samples held out from training (the Dataset's `val_split`) and used only to measure: how the model "
        "does on data it has not trained on, the only honest estimate of how it will do on new data.",
        "node/data.Dataset",
        "view/curves",
    ),
    _term(
        "vanishing gradients",
        "Gradients that shrink layer by layer on their way back, so the first layers barely learn. Typical "
        "of deep stacks of sigmoid or tanh layers. Cures: ReLU, batch normalization, careful initialisation, "
        "residual connections.",
        "lesson/vanishing-gradients",
        "view/training",
    ),
    _term(
        "weight initialization",
        "How weights are drawn before training (every weighted layer's `init`). Random weights break the "
        "symmetry between units; their scale decides whether signals and gradients keep their size through "
        "many layers: Xavier/Glorot for tanh and sigmoid, He/Kaiming for ReLU.",
        "lesson/vanishing-gradients",
        "node/layers.Linear",
    ),
    _term(
        "weight decay",
        "An L2 penalty on the weights, applied by the optimizer (`weight_decay`): every step shrinks each weight "
        "a little, so only weights the data keeps asking for stay large.",
        "lesson/overfitting",
        "node/optimizers.SGD",
    ),
)


def _first_sentences(text: str, count: int = 2) -> str:
    sentences = re.split(r"(?<=[.!?])\s+(?=[A-Z`(])", text.strip())
    return " ".join(sentences[:count])


@lru_cache(maxsize=1)
def lessons_using() -> dict[str, tuple[str, ...]]:
    """For each node type, the slugs of the lessons whose graphs use it (read from the lesson files)."""
    found: dict[str, list[str]] = {}
    for lesson in LESSONS:
        for graph in lesson.graphs:
            if not graph.path.is_file():
                continue
            nodes = json.loads(graph.path.read_text(encoding="utf-8")).get("nodes", [])
            for node in nodes.values() if isinstance(nodes, dict) else nodes:
                slugs = found.setdefault(node.get("type", ""), [])
                if lesson.slug not in slugs:
                    slugs.append(lesson.slug)
    return {type_id: tuple(slugs) for type_id, slugs in found.items()}


def glossary_entries() -> list[GlossaryEntry]:
    """The course's terms and one entry per node type, sorted by term."""
    from engine.registry import catalog

    by_term = {entry.term.lower(): entry for entry in GLOSSARY}
    used = lessons_using()
    entries = dict(by_term)
    for node_type in catalog():
        targets = [f"node/{node_type.type_id}"] + [f"lesson/{slug}" for slug in used.get(node_type.type_id, ())]
        links = tuple((_label(target), target) for target in targets)
        key = node_type.title.lower()
        if key in entries and key in by_term:  # a course term with the node's name: it links to the node too
            entry = entries[key]
            extra = tuple(link for link in links if link not in entry.links)
            entries[key] = GlossaryEntry(entry.term, entry.text, entry.links + extra)
            continue
        if key in entries:  # two node types with one title (none today): keep both, told apart by id
            key = node_type.type_id.lower()
        entries[key] = GlossaryEntry(node_type.title, _first_sentences(node_type.help), links)
    return sorted(entries.values(), key=lambda e: e.term.lower())
