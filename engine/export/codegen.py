"""The code generation of every node type, keyed by type id: views derived from the registry.

Each registry entry carries its own codegen (engine/registry/codegen.py); these read-only
mappings collect them by kind for code that looks a type up by id. There is no second table
to keep in step: a new type's entry is all the `python` export needs.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from engine.registry import LayerCode, LossCode, NodeContext, OptimizerCode, catalog
from engine.registry.codegen import Codegen


class CodegenByKind(Mapping[str, Codegen]):
    """Type id -> the entry's codegen, for the entries whose codegen is one of `kinds`."""

    def __init__(self, *kinds: type):
        self._kinds = kinds

    def _table(self) -> dict[str, Codegen]:
        return {t.type_id: t.codegen for t in catalog() if isinstance(t.codegen, self._kinds)}

    def __getitem__(self, type_id: str) -> Codegen:
        return self._table()[type_id]

    def __iter__(self) -> Iterator[str]:
        return iter(self._table())

    def __len__(self) -> int:
        return len(self._table())


LAYERS = CodegenByKind(LayerCode)
LOSSES = CodegenByKind(LossCode)
OPTIMIZERS = CodegenByKind(OptimizerCode)
CODEGEN = CodegenByKind(LayerCode, LossCode, OptimizerCode)

__all__ = [
    "CODEGEN",
    "LAYERS",
    "LOSSES",
    "OPTIMIZERS",
    "CodegenByKind",
    "LayerCode",
    "LossCode",
    "NodeContext",
    "OptimizerCode",
]
