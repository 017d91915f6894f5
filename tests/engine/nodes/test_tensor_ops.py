"""Scale, Shift, Transpose and Mean: the inline tensor code of real models imports as these nodes."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from engine.importers import ModelImportError
from engine.importers.pytorch import import_module


class Inline(nn.Module):
    """The VAE's 0.5 * logvar, pixel centring, a division, a residual add and a transpose + mean head."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(6, 6)

    def forward(self, x):
        h = 0.5 * self.fc(x)
        h = (h - 1.0) / 4
        h = h + x  # two tensors: an Add, not a Shift
        h = h.reshape(h.shape[0], 2, 3).transpose(1, 2)
        return h.mean(dim=-1)


def types(result) -> list[str]:
    return [n.type_id for n in result.graph.nodes.values() if n.type_id != "data.Input"]


def test_constants_and_tensor_ops_import_as_nodes_with_their_values():
    result = import_module(Inline(), (6,))
    assert types(result) == [
        "layers.Linear",
        "layers.Scale",
        "layers.Shift",
        "layers.Scale",
        "merge.Add",
        "layers.Reshape",
        "layers.Transpose",
        "layers.Mean",
    ]
    params = [n.params for n in result.graph.nodes.values() if n.type_id in ("layers.Scale", "layers.Shift")]
    assert params == [{"factor": 0.5}, {"offset": -1.0}, {"factor": 0.25}]
    assert result.max_abs_diff <= 1e-6


class ConstantMinusTensor(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(3, 3)

    def forward(self, x):
        return 1 - self.fc(x)


def test_a_constant_minus_a_tensor_is_named_as_the_form_no_node_takes():
    with pytest.raises(ModelImportError, match=r"sub.*has a form that none of layers\.Shift takes"):
        import_module(ConstantMinusTensor(), (3,))


@pytest.mark.slow  # torch's ONNX exporter loads for seconds
def test_the_onnx_forms_map_to_the_same_nodes(tmp_path):
    import logging
    import warnings

    from engine.importers.onnx_model import import_onnx

    model = nn.Sequential(nn.Linear(4, 4)).eval()

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.body = model

        def forward(self, x):
            return (self.body(x) - 2.0) / 8.0 * 3.0 + x

    path = tmp_path / "consts.onnx"
    logging.getLogger("torch.onnx").setLevel(logging.ERROR)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(Net().eval(), (torch.randn(2, 4),), str(path), dynamo=True, external_data=False)
    result = import_onnx(path)
    assert types(result).count("layers.Scale") == 2 and "layers.Shift" in types(result) and "merge.Add" in types(result)
    assert result.max_abs_diff is not None and result.max_abs_diff <= 1e-5


class Halves(nn.Module):
    """ShuffleNet's split written as slices, and a narrow."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(4, 4, 1)

    def forward(self, x):
        left, right = x[:, :2], x[:, 2:]
        return torch.cat((left, self.conv(x).narrow(1, 1, 2), right[..., 1:]), dim=-1)


def test_slices_and_narrow_import_as_slice_nodes():
    result = import_module(Halves(), (4, 3, 3))
    slices = [n.params for n in result.graph.nodes.values() if n.type_id == "layers.Slice"]
    assert slices == [
        {"dim": 0, "start": 0, "end": 2},
        {"dim": 0, "start": 2, "end": 0},
        {"dim": 0, "start": 1, "end": 3},
        {"dim": -1, "start": 1, "end": 0},
    ]
    assert result.max_abs_diff <= 1e-6
