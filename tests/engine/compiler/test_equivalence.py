"""A compiled graph computes exactly what the equivalent hand-written PyTorch module does."""

import pytest
import torch
from torch import nn

from engine.compiler import CompileError, compile_graph
from engine.graph import Graph
from engine.registry import catalog
from tests.engine.conftest import make_mlp


def chain(graph: Graph, source: tuple[str, str], *node_ids: str) -> None:
    """Connect source -> node_ids[0] -> node_ids[1] ... through their `in`/`out` ports."""
    src, port = source
    for node_id in node_ids:
        graph.connect(src, port, node_id, "in")
        src, port = node_id, "out"


def copy_weights(compiled: nn.Module, reference: nn.Module) -> None:
    reference.load_state_dict(compiled.state_dict(), strict=True)


def assert_same(compiled, reference, **inputs):
    compiled.eval()
    reference.eval()
    with torch.no_grad():
        torch.testing.assert_close(compiled(**inputs), reference(*inputs.values()), rtol=0, atol=0)


class HandMLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(64, 32)
        self.relu1 = nn.ReLU()
        self.fc2 = nn.Linear(32, 10)

    def forward(self, x):
        return self.fc2(self.relu1(self.fc1(x)))


def test_mlp_matches_hand_written():
    compiled = compile_graph(make_mlp(), "fc2")
    reference = HandMLP()
    copy_weights(compiled, reference)
    assert_same(compiled, reference, data_x=torch.randn(5, 64))


class HandCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 8, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(8)
        self.relu1 = nn.ReLU()
        self.pool1 = nn.MaxPool2d(2)
        self.flatten1 = nn.Flatten()
        self.fc1 = nn.Linear(8 * 4 * 4, 10)

    def forward(self, x):
        return self.fc1(self.flatten1(self.pool1(self.relu1(self.bn1(self.conv1(x))))))


def test_cnn_matches_hand_written():
    graph = Graph()
    graph.add_node("data.Input", {"shape": [1, 8, 8]}, node_id="image")
    graph.add_node("layers.Conv2d", {"out_channels": 8, "kernel_size": 3, "padding": 1}, node_id="conv1")
    graph.add_node("layers.BatchNorm2d", node_id="bn1")
    graph.add_node("activations.ReLU", node_id="relu1")
    graph.add_node("layers.MaxPool2d", {"kernel_size": 2}, node_id="pool1")
    graph.add_node("layers.Flatten", node_id="flatten1")
    graph.add_node("layers.Linear", {"out_features": 10}, node_id="fc1")
    chain(graph, ("image", "out"), "conv1", "bn1", "relu1", "pool1", "flatten1", "fc1")
    compiled = compile_graph(graph, "fc1")
    reference = HandCNN()
    with torch.no_grad():  # non-trivial batch-norm statistics, so eval mode really uses them
        compiled.bn1.running_mean.uniform_(-1, 1)
        compiled.bn1.running_var.uniform_(0.5, 2)
    copy_weights(compiled, reference)
    assert_same(compiled, reference, image=torch.randn(4, 1, 8, 8))


class HandLSTM(nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm1 = nn.LSTM(8, 24, batch_first=True)
        self.fc1 = nn.Linear(24, 10)

    def forward(self, x):
        out, _ = self.lstm1(x)
        return self.fc1(out[:, -1])


def test_lstm_classifier_matches_hand_written():
    graph = Graph()
    graph.add_node("data.Input", {"shape": [8, 8]}, node_id="rows")
    graph.add_node("layers.LSTM", {"hidden_size": 24, "output": "last_step"}, node_id="lstm1")
    graph.add_node("layers.Linear", {"out_features": 10}, node_id="fc1")
    chain(graph, ("rows", "out"), "lstm1", "fc1")
    compiled = compile_graph(graph, "fc1")
    reference = HandLSTM()
    copy_weights(compiled, reference)
    assert_same(compiled, reference, rows=torch.randn(3, 8, 8))


class HandResidual(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(4, 4, 3, padding=1)
        self.relu1 = nn.ReLU()
        self.conv2 = nn.Conv2d(4, 4, 3, padding=1)
        self.relu2 = nn.ReLU()

    def forward(self, x):
        return self.relu2(x + self.conv2(self.relu1(self.conv1(x))))


def test_residual_block_matches_hand_written():
    graph = Graph()
    graph.add_node("data.Input", {"shape": [4, 6, 6]}, node_id="x")
    graph.add_node("layers.Conv2d", {"out_channels": 4, "kernel_size": 3, "padding": 1}, node_id="conv1")
    graph.add_node("activations.ReLU", node_id="relu1")
    graph.add_node("layers.Conv2d", {"out_channels": 4, "kernel_size": 3, "padding": 1}, node_id="conv2")
    graph.add_node("merge.Add", node_id="add1")
    graph.add_node("activations.ReLU", node_id="relu2")
    chain(graph, ("x", "out"), "conv1", "relu1", "conv2")
    graph.connect("x", "out", "add1", "a")
    graph.connect("conv2", "out", "add1", "b")
    chain(graph, ("add1", "out"), "relu2")
    compiled = compile_graph(graph, "relu2")
    reference = HandResidual()
    copy_weights(compiled, reference)
    assert_same(compiled, reference, x=torch.randn(2, 4, 6, 6))


def test_parameters_are_reachable_by_node_id_and_forward_is_readable():
    compiled = compile_graph(make_mlp())
    assert compiled.get_submodule("fc1").weight.shape == (32, 64)
    assert sorted(compiled.state_dict()) == ["fc1.bias", "fc1.weight", "fc2.bias", "fc2.weight"]
    code = compiled.code
    assert "def forward(self, data_x, data_y):" in code
    assert "fc1 = self.fc1(data_x)" in code
    assert "loss = self.loss(fc2, data_y)" in code
    out = compiled(data_x=torch.randn(4, 64), data_y=torch.tensor([0, 1, 2, 3]))
    assert set(out) == {"fc2", "loss"} and out["loss"].ndim == 0


def test_shared_modules_share_weights_between_programs():
    graph = make_mlp()
    full = compile_graph(graph)
    head = compile_graph(graph, "fc1", modules=full)
    assert head.get_submodule("fc1") is full.get_submodule("fc1")


def test_invalid_graph_names_the_node():
    graph = make_mlp()
    graph.nodes["data"].params["dataset"] = "digits_images"
    with pytest.raises(CompileError, match="Linear `fc1` gets"):
        compile_graph(graph)


def test_builder_failure_names_the_node():
    graph = make_mlp()
    relu = catalog().get("activations.ReLU")
    original = relu.build

    def explode(params, inputs):
        raise RuntimeError("boom")

    object.__setattr__(relu, "build", explode)  # NodeType is frozen; patch for this test only
    try:
        with pytest.raises(CompileError) as info:
            compile_graph(graph)
    finally:
        object.__setattr__(relu, "build", original)
    assert info.value.node_id == "relu1"
    assert "ReLU `relu1` could not be built: boom" in str(info.value)


def test_a_node_with_several_outputs_feeds_each_port_its_own_value():
    graph = Graph()
    graph.add_node("data.Input", {"shape": [2]}, node_id="real")
    graph.add_node("data.Input", {"shape": [2]}, node_id="fake")
    graph.add_node("merge.RealFakeBatch", node_id="pair")
    graph.add_node("layers.Linear", {"out_features": 1}, node_id="judge")
    graph.add_node("losses.BCEWithLogits", node_id="d_loss")
    graph.connect("real", "out", "pair", "real")
    graph.connect("fake", "out", "pair", "fake")
    graph.connect("pair", "out", "judge", "in")
    graph.connect("judge", "out", "d_loss", "prediction")
    graph.connect("pair", "is_real", "d_loss", "target")
    model = compile_graph(graph, ["judge", "d_loss"])
    assert "pair_is_real = pair[1]" in model.code
    real, fake = torch.randn(3, 2), torch.randn(3, 2)
    out = model(real=real, fake=fake)
    assert out["judge"].shape == (6, 1)
    targets = torch.tensor([[1.0]] * 3 + [[0.0]] * 3)
    expected = nn.functional.binary_cross_entropy_with_logits(out["judge"], targets)
    torch.testing.assert_close(out["d_loss"], expected)


def test_reserved_ids_cover_every_module_attribute():
    from engine.graph.model import RESERVED_IDS

    model = compile_graph(make_mlp())
    attributes = {name for name in dir(model) if not name.startswith("_")} - set(dict(model.named_children()))
    assert attributes <= RESERVED_IDS, sorted(attributes - RESERVED_IDS)


def test_a_reserved_id_is_a_problem_on_the_node_not_a_crash():
    from engine.analysis import validate

    graph = make_mlp()
    graph.nodes["fc1"].id = "code"
    graph.nodes = {("code" if k == "fc1" else k): v for k, v in graph.nodes.items()}
    graph.edges = [
        e.__class__("code" if e.src == "fc1" else e.src, e.src_port, "code" if e.dst == "fc1" else e.dst, e.dst_port)
        for e in graph.edges
    ]
    [problem] = validate(graph)
    assert problem.node_id == "code" and "reserved for PyTorch" in problem.message
    with pytest.raises(CompileError, match="reserved"):
        compile_graph(graph)
