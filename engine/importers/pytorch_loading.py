"""Where an imported model comes from: a Python file (run to define it), a module by dotted name, a class or factory.

Loading a model from a Python file runs that file: importing code executes it by design.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import uuid
from pathlib import Path
from typing import Any

from torch import nn

from engine.importers.common import ModelImportError
from engine.importers.pytorch_trace import first_line as _first


def _load_source(source: str) -> tuple[Any, str]:
    """The Python module of a file (executing it) or of a dotted name, and how messages name it."""
    path = Path(source)
    if source.endswith(".py"):
        if not path.is_file():
            raise ModelImportError(f"{source}: no such Python file")
        spec = importlib.util.spec_from_file_location(f"netwright_import_{uuid.uuid4().hex}", path)
        module = importlib.util.module_from_spec(spec)
        sys.path.insert(0, str(path.resolve().parent))  # so the file can import its neighbours
        try:
            spec.loader.exec_module(module)
        except Exception as exc:
            raise ModelImportError(f"{source}: running the file failed: {type(exc).__name__}: {_first(exc)}") from None
        finally:
            sys.path.remove(str(path.resolve().parent))
        return module, source
    module_name = source.partition(":")[0]
    try:
        return importlib.import_module(module_name), module_name
    except ImportError as exc:
        raise ModelImportError(f"cannot import module {module_name!r}: {_first(exc)}") from None


def load_model_class(source: str, class_name: str | None = None) -> type:
    """The class `class_name` from a Python file (executing it), or from a dotted name `pkg.mod:Class`."""
    if source.endswith(".py") and not class_name:
        if not Path(source).is_file():
            raise ModelImportError(f"{source}: no such Python file")
        raise ModelImportError(f"{source}: name the model class to import (e.g. --class Net) or a --factory function")
    if not source.endswith(".py") and not class_name:
        source, _, class_name = source.replace(":", ".").rpartition(".")
    module, where = _load_source(source)
    cls = getattr(module, class_name, None)
    if cls is None:
        found = sorted(
            n
            for n, v in vars(module).items()
            if isinstance(v, type) and issubclass(v, nn.Module) and v.__module__ == module.__name__
        )
        raise ModelImportError(f"{where}: no class {class_name!r} (model classes there: {', '.join(found) or 'none'})")
    if not (isinstance(cls, type) and issubclass(cls, nn.Module)):
        raise ModelImportError(f"{where}: {class_name} is not an nn.Module class")
    return cls


def load_factory(source: str, factory: str) -> Any:
    """The function `factory` of a Python file (executing it) or module, which returns the model."""
    module, where = _load_source(source)
    function = getattr(module, factory, None)
    if not callable(function) or isinstance(function, type):
        found = sorted(
            n for n, v in vars(module).items() if callable(v) and not isinstance(v, type) and not n.startswith("_")
        )
        raise ModelImportError(f"{where}: no function {factory!r} (functions there: {', '.join(found) or 'none'})")
    return function


__all__ = ["load_factory", "load_model_class"]
