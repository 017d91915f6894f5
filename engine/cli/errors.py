"""Which exceptions are a user's mistake (one line, exit 2) rather than a bug."""

from __future__ import annotations

import sys


class UserError(Exception):
    """A mistake in what the user asked for; printed as one line."""


def USER_ERRORS() -> tuple[type[BaseException], ...]:  # noqa: N802 - reads as a constant
    from engine.data import DataError
    from engine.graph import GraphError, GraphFileError
    from engine.registry import ParamError

    errors: list[type[BaseException]] = [GraphFileError, GraphError, DataError, ParamError]
    # Only an imported compiler can have raised; importing it here would load torch for nothing.
    compiler = sys.modules.get("engine.compiler.compile")
    if compiler is not None:
        errors.append(compiler.CompileError)
    return tuple(errors)
