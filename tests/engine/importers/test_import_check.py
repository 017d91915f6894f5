"""An import must show that it reproduces the original: NaN and infinite values never pass the check."""

from __future__ import annotations

import logging
import warnings

import pytest
import torch

from engine.cli import main
from engine.importers import ModelImportError, import_module, import_onnx
from engine.importers.common import TOLERANCE, checked_difference
from engine.weights import write_weights
from tests.engine.importers.models import handwritten as hw
from tests.engine.importers.test_pytorch_import import MODELS


def test_a_nan_difference_fails_the_check():
    # NaN compares false with everything: `nan > 1e-4` is False, so a naive check lets it pass
    with pytest.raises(ModelImportError, match="differs from the model by nan"):
        checked_difference("Net", "the model", torch.ones(2, 3), torch.tensor([[1.0, float("nan"), 1.0]] * 2))


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), float("-inf")])
def test_an_original_that_is_not_finite_cannot_vouch_for_the_import(bad):
    with pytest.raises(ModelImportError, match="itself gives NaN or infinite outputs"):
        checked_difference("Net", "the ONNX model", torch.tensor([bad, 1.0]), torch.tensor([bad, 1.0]))


def test_a_close_enough_import_passes_and_reports_the_difference():
    assert checked_difference("Net", "the model", torch.zeros(3), torch.full((3,), TOLERANCE / 2)) == pytest.approx(
        TOLERANCE / 2
    )
    assert checked_difference("Net", "the model", torch.zeros(0, 3), torch.zeros(0, 3)) == 0.0
    with pytest.raises(ModelImportError, match="differs from the model by 0.001"):
        checked_difference("Net", "the model", torch.zeros(3), torch.full((3,), 1e-3))


@pytest.mark.parametrize("bad", [float("nan"), float("inf")])
def test_a_model_with_weights_that_are_not_finite_is_refused_naming_them(bad):
    model = hw.ResidualBlock().eval()
    with torch.no_grad():
        model.fc_a.weight[0, 0] = bad
    with pytest.raises(ModelImportError, match=r"not finite \(NaN or infinite\): fc_a\.weight$"):
        import_module(model, (20,))


def test_a_model_whose_output_overflows_is_refused():
    model = hw.ResidualBlock().eval()
    with torch.no_grad():
        model.out.weight.fill_(3e38)  # finite weights, infinite outputs
    with pytest.raises(ModelImportError, match="itself gives NaN or infinite outputs"):
        import_module(model, (20,))


def test_an_onnx_file_with_nan_weights_is_refused_naming_the_tensor(tmp_path):
    model = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.ReLU(), torch.nn.Linear(3, 2)).eval()
    with torch.no_grad():
        model[2].bias[1] = float("nan")
    path = tmp_path / "nan.onnx"
    logging.getLogger("torch.onnx").setLevel(logging.ERROR)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, (torch.randn(2, 4),), str(path), dynamo=True, external_data=False, verbose=False)
    with pytest.raises(ModelImportError, match=r"cannot import nan: weights that are not finite .*\.bias"):
        import_onnx(path)


@pytest.mark.parametrize("suffix", [".safetensors", ".pt"])
def test_cli_import_with_nan_weights_is_one_line_naming_the_tensor(tmp_path, capsys, suffix):
    state = hw.SmallCNN().state_dict()
    state["fc2.bias"][3] = float("nan")
    weights = tmp_path / f"w{suffix}"
    torch.save(state, weights) if suffix == ".pt" else write_weights(state, weights)
    code = main(
        ["import", "pytorch", str(MODELS), "--class", "SmallCNN", "--input-shape", "1,8,8", "--weights", str(weights)]
        + ["-o", str(tmp_path / "g.json")]
    )
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1
    assert "fc2.bias (1 NaN of 10 values)" in err and err.count(str(weights)) == 1
    assert not (tmp_path / "g.json").exists()
