"""A torch.nn layer no node type claims, kept whole as a "PyTorch module" node (layers.TorchModule).

The node is rebuilt from data alone: the class name in torch.nn and constructor arguments that
are JSON values, read back from the instance's attributes (torch.nn layers keep their arguments
as attributes of the same name: GroupNorm's num_groups, Softplus's beta). A layer whose arguments
cannot be read back that way, or whose rebuilt copy does not compute what it computes, is
refused with the reason, never kept approximately.
"""

from __future__ import annotations

import inspect
import json
from typing import Any

import torch
from torch import nn

from engine.registry import Unmapped

TYPE_ID = "layers.TorchModule"
SKIPPED = ("device", "dtype")  # where the tensors live is not part of the layer


def kept_module_params(module: nn.Module, in_shape: torch.Size, in_dtype: torch.dtype, out_shape: torch.Size) -> dict:
    """The TorchModule node's params for `module`; Unmapped when it cannot be kept from data alone."""
    cls = type(module)
    if getattr(nn, cls.__name__, None) is not cls or not cls.__module__.startswith("torch.nn.modules."):
        raise Unmapped("has no Netwright node")
    arguments = _constructor_arguments(module)
    _check_rebuilt(module, arguments, in_shape, in_dtype)
    return {
        "module": cls.__name__,
        "arguments": json.dumps(arguments),
        "in_shape": [int(d) for d in in_shape[1:]],
        "out_shape": [int(d) for d in out_shape[1:]],
    }


def _constructor_arguments(module: nn.Module) -> dict[str, Any]:
    cls = type(module)
    arguments: dict[str, Any] = {}
    for name, parameter in list(inspect.signature(cls.__init__).parameters.items())[1:]:
        if parameter.kind in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD) or name in SKIPPED:
            continue
        has_default = parameter.default is not inspect.Parameter.empty
        if not hasattr(module, name):
            if has_default:
                continue  # not kept on the instance: the rebuilt copy's check below tells if it mattered
            raise Unmapped(f"has no Netwright node, and its constructor argument {name!r} cannot be read back")
        held = getattr(module, name)
        if isinstance(parameter.default, bool) and (held is None or isinstance(held, torch.Tensor)):
            held = held is not None  # bias=True keeps a `bias` tensor on the layer (LayerNorm, GroupNorm)
        value = _json_value(held)
        if value is _NOT_JSON:
            raise Unmapped(
                f"has no Netwright node, and its argument {name!r} holds a {type(held).__name__}, not a plain value"
            )
        if not (has_default and value == _json_value(parameter.default)):
            arguments[name] = value
    return arguments


_NOT_JSON = object()


def _json_value(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (tuple, list, torch.Size)):
        items = [_json_value(v) for v in value]
        return _NOT_JSON if any(v is _NOT_JSON for v in items) else items
    return _NOT_JSON


def _check_rebuilt(module: nn.Module, arguments: dict, in_shape: torch.Size, in_dtype: torch.dtype) -> None:
    """The layer built again from its class and arguments, with its weights, must compute what it computes."""
    try:
        rebuilt = type(module)(**arguments)
        rebuilt.load_state_dict(module.state_dict())
    except Exception as exc:
        raise Unmapped(
            f"has no Netwright node, and rebuilding it from {arguments} fails ({type(exc).__name__})"
        ) from None
    generator = torch.Generator().manual_seed(0)
    if in_dtype.is_floating_point:
        sample = torch.randn(tuple(in_shape), generator=generator).to(in_dtype)
    else:
        sample = torch.randint(0, 2, tuple(in_shape), generator=generator).to(in_dtype)
    with torch.no_grad():
        expected, got = module.eval()(sample), rebuilt.eval()(sample)
    if not isinstance(expected, torch.Tensor) or not torch.allclose(expected, got, rtol=1e-5, atol=1e-6):
        raise Unmapped("has no Netwright node, and a copy built from its constructor arguments computes otherwise")
