"""The node registry: one source of truth for node types (no torch, no Qt)."""

from engine.registry.codegen import LayerCode, LossCode, NodeContext, OptimizerCode
from engine.registry.errors import ParamError, RegistryError, ShapeError
from engine.registry.imports import NoImport, OnnxImport, OnnxMapping, PyTorchImport, Unmapped
from engine.registry.nodetype import CATEGORIES, NodeType, Port
from engine.registry.params import Param
from engine.registry.registry import Registry, catalog, register
from engine.registry.spec import SCALAR, TensorSpec, floats, labels

__all__ = [
    "CATEGORIES",
    "SCALAR",
    "LayerCode",
    "LossCode",
    "NoImport",
    "NodeContext",
    "OnnxImport",
    "OnnxMapping",
    "OptimizerCode",
    "PyTorchImport",
    "Unmapped",
    "NodeType",
    "Param",
    "ParamError",
    "Port",
    "Registry",
    "RegistryError",
    "ShapeError",
    "TensorSpec",
    "catalog",
    "floats",
    "labels",
    "register",
]
