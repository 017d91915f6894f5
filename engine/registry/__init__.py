"""The node registry: one source of truth for node types (no torch, no Qt)."""

from engine.registry.errors import ParamError, RegistryError, ShapeError
from engine.registry.nodetype import CATEGORIES, NodeType, Port
from engine.registry.params import Param
from engine.registry.registry import Registry, catalog, register
from engine.registry.spec import SCALAR, TensorSpec, floats, labels

__all__ = [
    "CATEGORIES",
    "SCALAR",
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
