"""Hand-written PyTorch models traced with torch.fx into graphs that compute the same outputs."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from engine.analysis import analyze
from engine.cli import main
from engine.compiler import compile_graph
from engine.graph import load_graph
from engine.importers import ModelImportError, import_module, import_pytorch
from tests.engine.importers.models import handwritten as hw

MODELS = Path(hw.__file__)


def _randomize_statistics(model: torch.nn.Module) -> torch.nn.Module:
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, torch.nn.BatchNorm2d):
                module.running_mean.uniform_(-1, 1)
                module.running_var.uniform_(0.5, 2)
    return model.eval()


@pytest.mark.parametrize(
    "cls, shape",
    [
        (hw.SmallCNN, (1, 8, 8)),
        (hw.LSTMClassifier, (6, 8)),
        (hw.GRUStateClassifier, (5, 8)),
        (hw.ResidualBlock, (20,)),
        (hw.OnnxFriendly, (1, 8, 8)),
    ],
    ids=["cnn", "lstm", "gru_state", "residual", "mixed"],
)
def test_imported_graph_computes_the_same_outputs(cls, shape, tmp_path):
    torch.manual_seed(0)
    model = _randomize_statistics(cls())
    result = import_module(model, shape)
    assert not analyze(result.graph).errors
    weights = result.save(tmp_path / "imported.json")
    graph = load_graph(tmp_path / "imported.json")  # what a user opens: the saved files
    compiled = compile_graph(graph, result.output)
    from safetensors.torch import load_file

    compiled.load_state_dict(load_file(str(weights)))
    compiled.eval()
    x = torch.randn(4, *shape, generator=torch.Generator().manual_seed(3))
    with torch.no_grad():
        torch.testing.assert_close(compiled(x), model(x), atol=1e-6, rtol=0)


def test_nodes_are_named_after_the_model_and_laid_out_by_depth():
    result = import_module(hw.LSTMClassifier(), (6, 8))
    graph = result.graph
    assert [n.type_id for n in graph.nodes.values()] == [
        "data.Input",
        "layers.LSTM",
        "layers.Linear",
        "activations.Tanh",
        "layers.Linear",
    ]
    assert list(graph.nodes) == ["x", "lstm", "head_0", "head_1", "head_2"]
    assert graph.nodes["lstm"].params["output"] == "last_step" and graph.nodes["lstm"].params["num_layers"] == 2
    xs = [graph.nodes[n].ui["x"] for n in graph.nodes]
    assert xs[0] == 0 and xs == sorted(xs) and len(set(xs)) == 5  # a chain: one column per node, left to right
    assert len({graph.nodes[n].ui["y"] for n in graph.nodes}) == 1  # and one straight row
    assert graph.nodes["x"].params["shape"] == [6, 8]


def test_the_imported_graph_exports_and_verifies(tmp_path):
    from engine.export import export_model

    result = import_module(hw.SmallCNN(), (1, 8, 8))
    weights = result.save(tmp_path / "cnn.json")
    exported = export_model(load_graph(tmp_path / "cnn.json"), tmp_path / "cnn.py", "python", weights=weights)
    assert exported.ok, exported.message


def test_every_unsupported_part_is_listed_by_kind_with_a_count():
    class Unusual(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.pair = torch.nn.Bilinear(4, 4, 4)  # two inputs: cannot be kept whole either
            self.fc = torch.nn.Linear(4, 4)
            self.head = torch.nn.Linear(4, 2)

        def forward(self, x):
            both = torch.erf(x) + torch.erf(self.fc(x)) + self.pair(x, x)
            return self.head(both)

    with pytest.raises(ModelImportError) as caught:
        import_module(Unusual(), (4,))
    lines = str(caught.value).splitlines()
    assert lines[0] == "cannot import Unusual: 3 parts in 2 kinds cannot be imported:"
    assert lines[1].strip() == "erf() x 2: has no Netwright node (erf in forward, erf_1 in forward)"
    assert lines[2].strip().startswith("nn.Bilinear x 1: has no Netwright node (and takes more than one input")
    assert len(lines) == 3  # the adds and head only follow parts that failed: not reported again


def test_tracing_failures_are_reported_not_raised():
    with pytest.raises(ModelImportError, match="torch.fx could not trace DataDependent"):
        import_module(hw.DataDependent(), (4,))


def test_recurrent_layers_must_be_batch_first():
    class TimeFirst(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.rnn = torch.nn.RNN(3, 4)

        def forward(self, x):
            return self.rnn(x)[0]

    with pytest.raises(ModelImportError, match="nn.RNN x 1: has batch_first=False"):
        import_module(TimeFirst(), (5, 3))


def test_a_dotted_name_imports_too():
    result = import_pytorch("tests.engine.importers.models.handwritten:GRUStateClassifier", None, (5, 8))
    assert result.output == "fc"


def test_cli_imports_a_file(tmp_path, capsys):
    out = tmp_path / "net.json"
    code = main(["import", "pytorch", str(MODELS), "--class", "SmallCNN", "--input-shape", "1,8,8", "-o", str(out)])
    assert code == 0
    assert "max abs diff 0" in capsys.readouterr().out
    assert out.is_file() and out.with_suffix(".safetensors").is_file()


@pytest.mark.parametrize(
    "args, message",
    [
        (["missing.py", "--class", "Net"], "missing.py: no such Python file"),
        ([str(MODELS), "--class", "Nope"], "no class 'Nope' (model classes there:"),
        ([str(MODELS), "--class", "NeedsArguments"], "--init-args '{\"name\": value}'"),
        ([str(MODELS), "--class", "SmallCNN", "--weights", "nowhere.safetensors"], "no such weights file"),
    ],
)
def test_cli_bad_input_is_one_line_and_exit_2(args, message, tmp_path, capsys):
    code = main(["import", "pytorch", *args, "--input-shape", "1,8,8", "-o", str(tmp_path / "g.json")])
    err = capsys.readouterr().err
    assert code == 2
    assert message in err and err.count("\n") == 1


def test_cli_help_says_importing_runs_the_file(capsys):
    with pytest.raises(SystemExit):
        main(["import", "pytorch", "--help"])
    assert "executes its code" in " ".join(capsys.readouterr().out.split())


ZOO = Path(__file__).parent / "models" / "zoo.py"


def test_cli_passes_constructor_arguments_as_json_and_infers_integer_ids(tmp_path, capsys):
    out = tmp_path / "lm.json"
    init = '{"rnn_type": "GRU", "ntoken": 30, "ninp": 6, "nhid": 8, "nlayers": 1, "dropout": 0.0}'
    args = ["import", "pytorch", str(ZOO), "--class", "RNNModel", "--init-args", init, "--input-shape", "5"]
    assert main([*args, "-o", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "max abs diff 0, max rel diff 0" in printed and "note: traced with torch.fx" in printed
    source = next(n for n in load_graph(out).nodes.values() if n.type_id == "data.Input")
    assert source.params["dtype"] == "long" and source.params["num_classes"] == 30


def test_cli_builds_the_model_with_a_factory_function(tmp_path, capsys):
    out = tmp_path / "resnet.json"
    args = ["import", "pytorch", str(ZOO), "--factory", "tiny_resnet", "--init-args", '{"num_classes": 3}']
    assert main([*args, "--input-shape", "3,16,16", "-o", str(out)]) == 0
    graph = load_graph(out)
    assert graph.nodes["fc"].params["out_features"] == 3 and graph.blocks["layer1_0"].title == "BasicBlock"


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--class", "RNNModel", "--init-args", "dict(ntoken=3)"], "--init-args 'dict(ntoken=3)': not valid JSON"),
        (["--class", "RNNModel", "--init-args", "[1, 2]"], "expected a JSON object of keyword arguments"),
        (["--class", "RNNModel", "--init-args", '{"ntoken": 3}'], "RNNModel(ntoken=3) failed: TypeError"),
        (["--factory", "nowhere"], "no function 'nowhere' (functions there:"),
    ],
)
def test_cli_bad_constructor_arguments_are_one_line(extra, message, tmp_path, capsys):
    code = main(["import", "pytorch", str(ZOO), *extra, "--input-shape", "5", "-o", str(tmp_path / "g.json")])
    err = capsys.readouterr().err
    assert code == 2 and message in err and err.count("\n") == 1


def test_torch_export_fallback_keeps_modules_scopes_and_reused_stateless_modules():
    class Block(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = torch.nn.Conv2d(3, 3, 3, padding=1)
            self.relu = torch.nn.ReLU()

        def forward(self, x):
            return self.relu(self.conv(x) + x)

    class Branchy(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.ngpu = 1
            self.blocks = torch.nn.Sequential(Block(), Block())
            self.relu = torch.nn.ReLU()
            self.fc = torch.nn.Linear(48, 2)

        def forward(self, x):
            if x.is_cuda and self.ngpu > 1:  # torch.fx cannot trace this branch
                return x
            x = self.blocks(self.relu(x))
            return self.fc(torch.flatten(self.relu(x), 1))

    result = import_module(Branchy(), (3, 4, 4))
    assert result.notes[0].startswith("traced with torch.export (torch.fx could not: TraceError")
    graph = result.graph
    assert {"relu", "relu_1"} <= set(graph.nodes)  # self.relu called twice: two nodes
    assert graph.blocks["blocks_0"].title == "Block"
    assert set(graph.blocks["blocks_0"].nodes) == {"blocks_0_conv", "blocks_0_add", "blocks_0_relu"}
    assert result.max_abs_diff <= 1e-5


def test_a_part_after_a_failed_one_is_listed_when_it_would_fail_on_its_own():
    class Chain(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = torch.nn.Linear(4, 4)
            self.pair = torch.nn.Bilinear(4, 4, 4)

        def forward(self, x):
            h = self.fc(torch.erf(x))  # fc would import: not listed
            return torch.erfc(self.pair(h, h))  # Bilinear and erfc would not: both listed

    with pytest.raises(ModelImportError) as caught:
        import_module(Chain(), (4,))
    kinds = [line.strip().split(" x ")[0] for line in str(caught.value).splitlines()[1:]]
    assert kinds == ["erf()", "nn.Bilinear", "erfc()"]


def test_the_examples_vae_as_written_lists_its_whole_gap():
    class VAE(torch.nn.Module):  # pytorch/examples vae/main.py: samples in eval too, returns three values
        def __init__(self):
            super().__init__()
            self.fc1, self.fc21, self.fc22 = torch.nn.Linear(16, 8), torch.nn.Linear(8, 2), torch.nn.Linear(8, 2)
            self.fc3, self.fc4 = torch.nn.Linear(2, 8), torch.nn.Linear(8, 16)

        def forward(self, x):
            h1 = torch.relu(self.fc1(x.view(-1, 16)))
            mu, logvar = self.fc21(h1), self.fc22(h1)
            std = torch.exp(0.5 * logvar)
            z = mu + torch.randn_like(std) * std
            return torch.sigmoid(self.fc4(torch.relu(self.fc3(z)))), mu, logvar

    with pytest.raises(ModelImportError) as caught:
        import_module(VAE(), (16,))
    lines = [line.strip() for line in str(caught.value).splitlines()]
    assert lines[1:] == [
        "exp() x 1: has no Netwright node (exp in forward)",
        "randn_like() x 1: has no Netwright node (randn_like in forward)",
        "the return value x 1: forward returns several values; a Netwright model has one output (forward)",
    ]


def test_a_per_sample_scalar_output_is_one_line():
    class Scores(torch.nn.Module):  # DCGAN's discriminator ends with output.view(-1, 1).squeeze(1)
        def __init__(self):
            super().__init__()
            self.fc = torch.nn.Linear(4, 1)

        def forward(self, x):
            return torch.sigmoid(self.fc(x)).view(-1, 1).squeeze(1)

    with pytest.raises(ModelImportError, match=r"squeeze\(\) x 1: leaves one number per sample with no axis"):
        import_module(Scores(), (4,))


def test_torch_export_path_reports_parameters_used_outside_layers_in_one_line():
    class Scaled(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.fc, self.ngpu = torch.nn.Linear(4, 4), 1
            self.scale = torch.nn.Parameter(torch.ones(4))
            self.register_buffer("offset", torch.zeros(4))

        def forward(self, x):
            if x.is_cuda and self.ngpu > 1:
                return x
            return self.fc(x) * self.scale + self.offset

    with pytest.raises(ModelImportError) as caught:
        import_module(Scaled(), (4,))
    assert str(caught.value).splitlines()[1].strip() == (
        "a parameter or buffer used directly x 2: uses a parameter or buffer directly "
        "(only layers' own weights can be imported) (scale, offset)"
    )
