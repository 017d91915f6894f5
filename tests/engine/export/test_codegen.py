"""The python export: a codegen entry for every node type, golden files, a train() that runs."""

from __future__ import annotations

import importlib.util
import os
import uuid
from pathlib import Path

import pytest
import torch

from engine.export.exporter import export_model
from engine.export.model_part import model_part
from engine.export.python_source import python_source
from engine.registry import LayerCode, LossCode, OptimizerCode, catalog
from tests.engine.conftest import make_mlp
from tests.engine.export.graphs import GRAPHS, digits_cnn, lstm_classifier, residual_mlp
from tests.engine.export.test_block_export import residual_cnn

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("NETWRIGHT_UPDATE_GOLDEN") == "1"  # regenerate: NETWRIGHT_UPDATE_GOLDEN=1 pytest ...


def test_every_computing_node_type_has_codegen():
    missing = [t.type_id for t in catalog() if t.role != "source" and t.codegen is None]
    assert not missing, f"give {missing} a `codegen` in their registry entries"


def test_each_role_has_the_codegen_of_its_kind():
    kind = {"op": LayerCode, "loss": LossCode, "optimizer": OptimizerCode}
    wrong = [t.type_id for t in catalog() if t.role in kind and not isinstance(t.codegen, kind[t.role])]
    assert not wrong, f"{wrong}: a layer needs a LayerCode, a loss a LossCode, an optimizer an OptimizerCode"


@pytest.mark.parametrize(
    "name, make", [("digits_mlp", make_mlp), ("digits_cnn", digits_cnn), ("blocks_cnn", residual_cnn)]
)
def test_generated_python_matches_the_golden_file(name, make):
    source = python_source(model_part(make()), f"{name}.safetensors")
    golden = GOLDEN / f"{name}.py"
    if UPDATE:
        golden.write_text(source, encoding="utf-8")
    assert source == golden.read_text(encoding="utf-8"), (
        f"generated Python changed; review and run NETWRIGHT_UPDATE_GOLDEN=1 pytest {__file__}"
    )


def test_generated_python_is_deterministic():
    assert python_source(model_part(digits_cnn()), "w.safetensors") == python_source(
        model_part(digits_cnn(), seed=9), "w.safetensors"
    )


def _load(path: Path):
    spec = importlib.util.spec_from_file_location(f"generated_{uuid.uuid4().hex}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("make", [make_mlp, lstm_classifier, residual_mlp], ids=["mlp", "lstm", "residual"])
def test_generated_train_runs_and_learns(make, tmp_path):
    graph = make()
    part = model_part(graph)
    export_model(graph, tmp_path / "model.py", "python")
    module = _load(tmp_path / "model.py")
    model = module.load_model().train()
    dims = part.inputs[0].spec.dims
    classes = part.output_spec.dims[-1]
    generator = torch.Generator().manual_seed(0)
    x = torch.randn(64, *dims, generator=generator)
    y = torch.randint(0, classes, (64,), generator=generator)
    history = module.train(model, x, y, x[:16], y[:16], epochs=3)
    assert 1 <= len(history) <= 3 and "val_loss" in history[-1]
    assert history[-1]["train_loss"] < history[0]["train_loss"] or len(history) < 3


def test_train_settings_reach_the_generated_code():
    source = python_source(model_part(residual_mlp()), "w.safetensors")
    assert "torch.optim.AdamW(opt_parameters, lr=0.001, betas=(0.9, 0.999), eps=1e-08, weight_decay=0.01)" in source
    assert "nn.CrossEntropyLoss(label_smoothing=0.1)" in source
    assert "0.0001 * sum(p.abs().sum() for p in opt_parameters)  # L1 regularization" in source
    assert "nn.utils.clip_grad_norm_(opt_parameters, 1.0)" in source
    assert "torch.optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)" in source
    assert "elif epoch - best_epoch >= 2:" in source
    assert "skip = fc_b + relu" in source


def test_frozen_layers_and_layers_outside_the_exported_part_are_trained(tmp_path):
    graph = make_mlp()
    graph.nodes["fc1"].params["trainable"] = False
    source = python_source(model_part(graph), "w.safetensors")
    assert "model.fc1.requires_grad_(False)" in source
    assert 'for name in ["fc2"]' in source
    from tests.engine.export.graphs import two_headed

    # The `aux` part lacks the other head, fc2, which the one optimizer also trains: TrainingNetworks holds it.
    source = python_source(model_part(two_headed(), "aux"), "w.safetensors")
    assert "self.fc2 = nn.Linear(32, 10)" in source and "self.aux = model.aux" in source
    assert "loss, aux_loss = networks.adam_losses(data_x, data_y)" in source


def test_every_graph_exports_to_readable_python(tmp_path):
    for name, make in GRAPHS.items():
        result = export_model(make(), tmp_path / f"{name}.py", "python")
        assert result.ok, result.message
        compile((tmp_path / f"{name}.py").read_text(), f"{name}.py", "exec")
