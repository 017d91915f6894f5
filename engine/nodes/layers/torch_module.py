"""The opaque "PyTorch module" node: a torch.nn layer Netwright has no node for, kept whole by an import.

What it holds is data only: the torch.nn class name, its constructor arguments as JSON, and the
shapes it was imported with; its weights live in the graph's weights file like any layer's.
Reading a graph never runs code: building the node looks the class up in `torch.nn` itself
(never a user's module, never a container of other modules) and calls it with JSON values, so
the worst a crafted file can do is build a stock torch layer. A layer a user wrote in Python has
no such description and is not imported this way: its own forward is traced instead.

Shape inference stays torch-free: the node knows the input shape it was imported with and the
output shape torch gave for it; for another input shape it says so and suggests re-importing.
"""

from __future__ import annotations

import json
import re
from typing import Any

from engine.nodes.layers.common import IN, OUT
from engine.registry import LayerCode, NodeType, NoImport, Param, ShapeError, register
from engine.registry.codegen import call

CLASS_NAME = re.compile(r"^[A-Z][A-Za-z0-9_]*$")
CONTAINERS = ("Sequential", "ModuleList", "ModuleDict", "ParameterList", "ParameterDict", "Module", "Container")


def constructor_arguments(params: dict[str, Any]) -> dict[str, Any]:
    """The `arguments` param as a dict; ShapeError when it is not a JSON object."""
    try:
        value = json.loads(params["arguments"] or "{}")
    except json.JSONDecodeError as exc:
        raise ShapeError(
            f"its constructor arguments are not JSON ({exc.msg} at character {exc.pos})",
            'write them as a JSON object, e.g. {"num_groups": 2, "num_channels": 8}',
        ) from None
    if not isinstance(value, dict):
        raise ShapeError("its constructor arguments must be a JSON object", 'e.g. {"num_groups": 2}')
    return value


def _infer(params, inputs):
    x = inputs["in"]
    module = params["module"]
    if not CLASS_NAME.match(module) or module in CONTAINERS:
        raise ShapeError(
            f"names {module!r}, not a torch.nn layer class", "use a class name from torch.nn, e.g. GroupNorm"
        )
    constructor_arguments(params)
    if list(x.dims) != list(params["in_shape"]):
        raise ShapeError(
            f"gets {x.bracket()} but was imported for [B, {', '.join(map(str, params['in_shape']))}]; "
            "Netwright does not know the shape rule of a kept PyTorch module",
            "feed it the shape it was imported with, or import the model again with the new input shape",
        )
    return {"out": x.with_dims(*params["out_shape"])}


def torch_layer_class(name: str):
    """The torch.nn layer class `name`; ValueError for anything else (a container, a name outside torch.nn)."""
    import torch.nn as nn

    cls = getattr(nn, name, None)
    if (
        not isinstance(cls, type)
        or not issubclass(cls, nn.Module)
        or not cls.__module__.startswith("torch.nn.modules.")
        or name in CONTAINERS
    ):
        raise ValueError(f"torch.nn has no layer class {name!r}")
    return cls


def _build(params, inputs):
    arguments = constructor_arguments(params)
    return torch_layer_class(params["module"])(**arguments)


def _code(ctx) -> str:
    return call(f"nn.{ctx.params['module']}", **constructor_arguments(ctx.params))


register(
    NodeType(
        type_id="layers.TorchModule",
        title="PyTorch module",
        aliases=("opaque", "kept module", "torch.nn layer", "imported layer"),
        category="layers",
        help=(
            "A torch.nn layer that Netwright has no node for, kept whole when a model is imported "
            "(GroupNorm, Softplus, PixelShuffle, ...): it holds the class name, its constructor "
            "arguments and its weights, trains and exports like any layer, and lets the rest of the "
            "imported model stay editable. Its shape rule is not known to Netwright: it takes the "
            "input shape it was imported with and gives the output shape torch gave for it. A "
            "graph file only names a torch.nn class and JSON arguments, so opening one never runs "
            "code from the file."
        ),
        inputs=IN,
        outputs=OUT,
        params=(
            Param("module", "str", "GroupNorm", "The torch.nn class, e.g. GroupNorm."),
            Param(
                "arguments",
                "str",
                '{"num_groups": 2, "num_channels": 4}',
                "Constructor arguments as a JSON object.",
            ),
            Param(
                "in_shape", "ints", [4, 6, 6], "The input shape it was imported with (without the batch).", minimum=1
            ),
            Param("out_shape", "ints", [4, 6, 6], "The output shape torch gave for that input.", minimum=1),
        ),
        infer=_infer,
        build=_build,
        has_weights=True,
        weight_init=False,  # its weights come from the import; a fresh one starts as torch starts it
        codegen=LayerCode(_code),
        pytorch_import=NoImport("the PyTorch importer makes one for a torch.nn layer that no other node type claims"),
        onnx_import=NoImport("an ONNX file holds operators, not torch.nn layers to keep whole"),
    )
)
