"""Small graphs the export and import tests share: an MLP, a CNN, an LSTM classifier, a residual block."""

from __future__ import annotations

from engine.graph import Graph
from tests.engine.conftest import make_mlp


def chain(
    graph: Graph,
    source: tuple[str, str],
    node_ids: list[str],
    loss: str = "losses.CrossEntropy",
    optimizer: str = "optimizers.Adam",
) -> Graph:
    """Connect `source` -> node_ids in a line, then a loss against data.y and an optimizer."""
    src, port = source
    for node_id in node_ids:
        graph.connect(src, port, node_id, "in")
        src, port = node_id, "out"
    graph.add_node(loss, node_id="loss")
    graph.add_node(optimizer, node_id="opt")
    graph.connect(src, port, "loss", "prediction")
    graph.connect("data", "y", "loss", "target")
    graph.connect("loss", "loss", "opt", "losses")
    return graph


def digits_cnn() -> Graph:
    """The digits CNN of docs/export.md."""
    g = Graph(name="Digits CNN")
    g.add_node("data.Dataset", {"dataset": "digits_images"}, node_id="data")
    g.add_node("layers.Conv2d", {"out_channels": 8, "padding": 1}, node_id="conv1")
    g.add_node("layers.BatchNorm2d", node_id="bn1")
    g.add_node("activations.ReLU", node_id="relu1")
    g.add_node("layers.MaxPool2d", node_id="pool1")
    g.add_node("layers.Conv2d", {"out_channels": 16, "padding": 1}, node_id="conv2")
    g.add_node("activations.ReLU", node_id="relu2")
    g.add_node("layers.MaxPool2d", node_id="pool2")
    g.add_node("layers.Flatten", node_id="flat")
    g.add_node("layers.Dropout", {"p": 0.25}, node_id="drop")
    g.add_node("layers.Linear", {"out_features": 10}, node_id="fc")
    return chain(g, ("data", "x"), ["conv1", "bn1", "relu1", "pool1", "conv2", "relu2", "pool2", "flat", "drop", "fc"])


def lstm_classifier() -> Graph:
    g = Graph(name="Digits LSTM")
    g.add_node("data.Dataset", {"dataset": "digits_sequence"}, node_id="data")
    g.add_node("layers.LSTM", {"hidden_size": 16}, node_id="lstm")
    g.add_node("layers.Linear", {"out_features": 10}, node_id="fc")
    return chain(g, ("data", "x"), ["lstm", "fc"], optimizer="optimizers.RMSprop")


def residual_mlp() -> Graph:
    """x -> fc_in -> relu -> (fc_a -> relu_a -> fc_b) + shortcut -> ln -> head; L1, clipping, a schedule."""
    g = Graph(name="Residual MLP")
    g.training.update(
        {
            "grad_clip": 1.0,
            "schedule": "step",
            "schedule_step_size": 2,
            "epochs": 3,
            "early_stopping": True,
            "patience": 2,
        }
    )
    g.add_node("data.Dataset", {"dataset": "wine"}, node_id="data")
    g.add_node("layers.Linear", {"out_features": 16}, node_id="fc_in")
    g.add_node("activations.ReLU", node_id="relu")
    g.add_node("layers.Linear", {"out_features": 16}, node_id="fc_a")
    g.add_node("activations.GELU", node_id="gelu")
    g.add_node("layers.Linear", {"out_features": 16}, node_id="fc_b")
    g.add_node("merge.Add", node_id="skip")
    g.add_node("layers.LayerNorm", node_id="ln")
    g.add_node("layers.Linear", {"out_features": 3}, node_id="head")
    g.add_node("losses.CrossEntropy", {"label_smoothing": 0.1}, node_id="loss")
    g.add_node("optimizers.AdamW", {"l1": 1e-4}, node_id="opt")
    for edge in (
        ("data", "x", "fc_in", "in"),
        ("fc_in", "out", "relu", "in"),
        ("relu", "out", "fc_a", "in"),
        ("fc_a", "out", "gelu", "in"),
        ("gelu", "out", "fc_b", "in"),
        ("fc_b", "out", "skip", "a"),
        ("relu", "out", "skip", "b"),
        ("skip", "out", "ln", "in"),
        ("ln", "out", "head", "in"),
        ("head", "out", "loss", "prediction"),
        ("data", "y", "loss", "target"),
        ("loss", "loss", "opt", "losses"),
    ):
        g.connect(*edge)
    return g


def two_headed() -> Graph:
    """One trunk, two heads with a loss each: two model outputs, so no single export."""
    g = make_mlp()
    g.add_node("layers.Linear", {"out_features": 10}, node_id="aux")
    g.add_node("losses.CrossEntropy", node_id="aux_loss")
    g.connect("relu1", "out", "aux", "in")
    g.connect("aux", "out", "aux_loss", "prediction")
    g.connect("data", "y", "aux_loss", "target")
    g.connect("aux_loss", "loss", "adam", "losses")
    return g


GRAPHS = {"mlp": make_mlp, "cnn": digits_cnn, "lstm": lstm_classifier, "residual": residual_mlp}
