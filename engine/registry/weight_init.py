"""How a weighted layer's weights are first drawn: one parameter, one applier, used everywhere.

Every node type with weights drawn at random takes the `init` parameter (and `init_std` for
the normal scheme). The compiler calls `init_weights` on each module right after building it,
so training, the compiled module and the ONNX / pt2 / TorchScript exports (made from the
compiled module) start from the same weights; the `python` export writes the same function's
source into the file (`INIT_SOURCE`) and wraps each constructor in it (`with_init`), so the
generated model draws the same numbers for the same seed. Only strings and a lazily imported
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


def apply_init(module: torch.nn.Module, params: dict[str, Any]) -> torch.nn.Module:
    """The node's `init` applied to its freshly built module (no-op for types without the parameter)."""
    return init_weights(module, params.get("init", "default"), params.get("init_std", INIT_STD.default))


def with_init(constructor: str, params: dict[str, Any]) -> str:
    """The constructor as the python export writes it: wrapped in init_weights unless the init is default."""
    scheme = params.get("init", "default")
    if scheme == "default":
        return constructor
    std = f", std={params.get('init_std', INIT_STD.default)!r}" if scheme == "normal" else ""
    return f"init_weights({constructor}, {scheme!r}{std})"


def uses_init(params: dict[str, Any]) -> bool:
    return params.get("init", "default") != "default"
