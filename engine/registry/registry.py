"""The catalog of node types, keyed by type id; duplicates are refused."""

from __future__ import annotations

import importlib
from collections.abc import Iterator

from engine.registry.errors import RegistryError
from engine.registry.imports import ImportIndex
from engine.registry.nodetype import CATEGORIES, NodeType


class Registry:
    def __init__(self):
        self._types: dict[str, NodeType] = {}
        self._legacy: dict[str, str] = {}
        self._import_index: ImportIndex | None = None

    def register(self, node_type: NodeType) -> NodeType:
        ids = (node_type.type_id, *node_type.legacy_ids)
        for type_id in ids:
            if type_id in self._types or type_id in self._legacy:
                raise RegistryError(f"node type {type_id!r} is already registered")
        self._types[node_type.type_id] = node_type
        for legacy in node_type.legacy_ids:
            self._legacy[legacy] = node_type.type_id
        self._import_index = None
        return node_type

    def import_index(self) -> ImportIndex:
        """Which type claims each torch.nn class, traced call and ONNX op (built once, on first use)."""
        if self._import_index is None:
            self._import_index = ImportIndex.build(self)
        return self._import_index

    def resolve(self, type_id: str) -> str | None:
        """The current id for `type_id` (which may be a legacy id), or None if unknown."""
        if type_id in self._types:
            return type_id
        return self._legacy.get(type_id)

    def get(self, type_id: str) -> NodeType:
        current = self.resolve(type_id)
        if current is None:
            raise RegistryError(f"unknown node type {type_id!r}")
        return self._types[current]

    def __contains__(self, type_id: str) -> bool:
        return self.resolve(type_id) is not None

    def __iter__(self) -> Iterator[NodeType]:
        return iter(self._types.values())

    def __len__(self) -> int:
        return len(self._types)

    def by_category(self) -> dict[str, list[NodeType]]:
        groups: dict[str, list[NodeType]] = {c: [] for c in CATEGORIES}
        for node_type in self._types.values():
            groups[node_type.category].append(node_type)
        return groups


_CATALOG = Registry()
_loaded = False


def catalog() -> Registry:
    """The registry with every built-in node type loaded."""
    global _loaded
    if not _loaded:
        _loaded = True
        importlib.import_module("engine.nodes")
    return _CATALOG


def register(node_type: NodeType) -> NodeType:
    return _CATALOG.register(node_type)
