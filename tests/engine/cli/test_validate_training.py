"""`validate` refuses what `train` would refuse, with the same words: both call the same checks."""

from __future__ import annotations

import pytest
import torch

from engine.cli import main
from engine.graph import save_graph
from tests.engine.conftest import make_mlp


def _frozen_only(graph):
    graph.nodes["fc1"].params["trainable"] = False
    graph.nodes["fc2"].params["trainable"] = False


HOSTILE = {
    "mixed precision on the cpu": lambda g: g.training.update(device="cpu", mixed_precision=True),
    "an unknown monitored metric": lambda g: g.training.update(early_stopping=True, monitor="val_acuracy"),
    "a plateau schedule on a metric the run lacks": lambda g: g.training.update(schedule="plateau", monitor="lr_x"),
    "a validation metric without validation data": lambda g: (
        g.training.update(early_stopping=True, monitor="val_loss"),
        g.nodes["data"].params.update(val_split=0.0),
    ),
    "every layer frozen": _frozen_only,
}
if not torch.cuda.is_available():
    HOSTILE["cuda on a machine without it"] = lambda g: g.training.update(device="cuda")


@pytest.mark.parametrize("spoil", HOSTILE.values(), ids=HOSTILE.keys())
def test_validate_refuses_what_train_refuses_in_the_same_words(tmp_path, capsys, spoil):
    graph = make_mlp(hidden=8)
    graph.training.update(epochs=1, device="cpu")
    spoil(graph)
    save_graph(graph, tmp_path / "g.json")
    validate_code = main(["validate", str(tmp_path / "g.json")])
    validated = capsys.readouterr()
    train_code = main(["train", str(tmp_path / "g.json"), "--out", str(tmp_path / "run"), "--no-progress"])
    trained = capsys.readouterr()
    assert (validate_code, train_code) == (2, 2)
    assert "OK" not in validated.out
    refusal = validated.err.removeprefix("training: ").strip()
    assert trained.err.strip() == f"error: {refusal}"


def test_a_graph_that_trains_and_a_model_without_training_both_validate(tmp_path, capsys):
    trains = make_mlp(hidden=8)
    trains.training.update(early_stopping=True, monitor="val_acc", device="cpu")
    model_only = make_mlp(hidden=8)
    model_only.remove_node("adam")
    for name, graph in (("trains", trains), ("model", model_only)):
        save_graph(graph, tmp_path / f"{name}.json")
        assert main(["validate", str(tmp_path / f"{name}.json")]) == 0
        assert capsys.readouterr().out.startswith("OK:")


def test_validate_loads_torch_only_for_device_settings_that_depend_on_the_machine():
    """The CPU and `auto` without mixed precision always work: validate answers without torch's start-up."""
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[3]
    probe = (
        "import sys\n"
        "from engine.cli import main\n"
        "main(['validate', 'resources/examples/mlp_digits.json'])\n"
        "print('torch' in sys.modules)\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], cwd=root, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "False", result.stdout
