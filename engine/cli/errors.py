"""Which exceptions are a user's mistake (one line, exit 2) rather than a bug."""

from __future__ import annotations


class UserError(Exception):
    """A mistake in what the user asked for; printed as one line."""


def USER_ERRORS() -> tuple[type[BaseException], ...]:  # noqa: N802 - reads as a constant
    from engine.data import DataError
    from engine.graph import GraphError, GraphFileError
    from engine.registry import ParamError

    errors: list[type[BaseException]] = [GraphFileError, GraphError, DataError, ParamError]
    try:  # the compiler needs torch; validate and summary should still work without it loaded
        from engine.compiler import CompileError

        errors.append(CompileError)
    except ImportError:
        pass
    return tuple(errors)
