"""How a weighted layer's weights are first drawn: one parameter, one applier, used everywhere.

Every node type with weights drawn at random takes the `init` parameter (and `init_std` for
the normal scheme). The compiler calls `init_weights` on each module right after building it,
so training, the compiled module and the ONNX / pt2 / TorchScript exports (made from the
compiled module) start from the same weights; the `python` export writes the same function's
source into the file (`INIT_SOURCE`) and wraps each constructor in it (`with_init`), so the
generated model draws the same numbers for the same seed. The LSTM's `forget_bias` rides the same
path (`shift_forget_gates`, applied after the init, `FORGET_SOURCE`). Only strings and a lazily imported
torch here: the registry stays torch-free on import.
"""

from __future__ import annotations

import inspect
from typing import TYPE_CHECKING, Any

from engine.registry.params import Param

if TYPE_CHECKING:  # torch stays out of the import path of the registry
    import torch

SCHEMES = ("default", "xavier_uniform", "xavier_normal", "he_uniform", "he_normal", "normal", "zeros")

INIT = Param(
    "init",
    "choice",
    "default",
    "How the weights are drawn before training (biases start at zero unless default).",
    choices=SCHEMES,
    choice_descriptions={
        "default": "PyTorch's own rule for this layer (for Linear and Conv: uniform within ±1/√fan_in).",
        "xavier_uniform": "Xavier/Glorot: uniform, variance 2/(fan_in+fan_out); keeps signals steady through tanh "
        "and sigmoid.",
        "xavier_normal": "Xavier/Glorot: normal with std √(2/(fan_in+fan_out)).",
        "he_uniform": "He/Kaiming: uniform, variance 2/fan_in; made for ReLU, which zeroes half the signal.",
        "he_normal": "He/Kaiming: normal with std √(2/fan_in); made for ReLU networks.",
        "normal": "Normal with mean 0 and the std set in init_std.",
        "zeros": "Every weight and bias zero: all units compute the same thing and stay identical "
        "(the symmetry that random initialisation breaks).",
    },
)
INIT_STD = Param(
    "init_std",
    "float",
    0.01,
    "Standard deviation of the weights for the normal init.",
    minimum=1e-8,
    maximum=100.0,
    applies_when={"init": ("normal",)},
)
INIT_PARAMS = (INIT, INIT_STD)
# LSTM only: where its forget gates start, applied after `init` (which zeroes biases) so both hold.
FORGET_BIAS = Param(
    "forget_bias",
    "float",
    0.0,
    "Added to the forget gates' bias before training (0: as drawn). At 0 a fresh LSTM keeps about half of "
    "its cell state per step, so it forgets within a few steps before it can learn to remember; 1 is the "
    "usual start (Jozefowicz et al. 2015), and about ln(steps) lets it keep memories across sequences of "
    "that many steps (Tallec and Ollivier 2018).",
    minimum=-10.0,
    maximum=10.0,
)


def init_weights(module: torch.nn.Module, scheme: str, std: float = 0.01) -> torch.nn.Module:
    """Redraw `module`'s weights with `scheme` and return it; `default` keeps PyTorch's own.

    Weight matrices and kernels (two or more axes) are drawn by the scheme; vectors (biases)
    start at zero. Parameters are visited in `named_parameters` order, so the same seed gives
    the same numbers wherever this runs.
    """
    from torch import nn

    if scheme == "default":
        return module
    draw = {
        "xavier_uniform": nn.init.xavier_uniform_,
        "xavier_normal": nn.init.xavier_normal_,
        "he_uniform": lambda w: nn.init.kaiming_uniform_(w, nonlinearity="relu"),
        "he_normal": lambda w: nn.init.kaiming_normal_(w, nonlinearity="relu"),
        "normal": lambda w: nn.init.normal_(w, 0.0, std),
        "zeros": nn.init.zeros_,
    }[scheme]
    for _, tensor in module.named_parameters():
        if tensor.dim() >= 2:
            draw(tensor)
        else:
            nn.init.zeros_(tensor)
    return module


INIT_SOURCE = inspect.getsource(init_weights).replace("torch.nn.Module", "nn.Module")


def shift_forget_gates(module: torch.nn.Module, value: float) -> torch.nn.Module:
    """Add `value` to the forget gate's input bias in every layer and direction of an LSTM, and return it.

    torch stores an LSTM's four gates stacked as input, forget, cell, output, so the forget
    gate's biases are the second quarter of each `bias_ih_*` vector.
    """
    import torch

    hidden = module.hidden_size
    with torch.no_grad():
        for name, tensor in module.named_parameters():
            if name.startswith("bias_ih"):
                tensor[hidden : 2 * hidden] += value
    return module


FORGET_SOURCE = inspect.getsource(shift_forget_gates).replace("torch.nn.Module", "nn.Module")


def apply_init(module: torch.nn.Module, params: dict[str, Any]) -> torch.nn.Module:
    """The node's `init` (then its `forget_bias`) applied to its freshly built module (no-op for types without)."""
    module = init_weights(module, params.get("init", "default"), params.get("init_std", INIT_STD.default))
    return shift_forget_gates(module, params["forget_bias"]) if uses_forget_bias(params) else module


def with_init(constructor: str, params: dict[str, Any]) -> str:
    """The constructor as the python export writes it: wrapped in init_weights unless the init is default,
    then in shift_forget_gates if the node has a forget bias."""
    scheme = params.get("init", "default")
    if scheme != "default":
        std = f", std={params.get('init_std', INIT_STD.default)!r}" if scheme == "normal" else ""
        constructor = f"init_weights({constructor}, {scheme!r}{std})"
    if uses_forget_bias(params):
        constructor = f"shift_forget_gates({constructor}, {params['forget_bias']!r})"
    return constructor


def uses_init(params: dict[str, Any]) -> bool:
    return params.get("init", "default") != "default"


def uses_forget_bias(params: dict[str, Any]) -> bool:
    return params.get("forget_bias", 0.0) != 0.0
