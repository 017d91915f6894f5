"""The headless command line: `python -m engine COMMAND ...` (also `netwright COMMAND ...`).

Each command is a module with `add_parser(subparsers)` and `run(args) -> int`. A user
mistake (a missing file, bad JSON, bad data) prints one line and exits with 2, never a
traceback. A front end that offers more commands (the `netwright` launcher adds `edit`)
passes its program name and a function that adds its own subcommands.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Callable

from engine.cli.errors import USER_ERRORS, UserError

COMMANDS = ("validate", "summary", "nodes", "train", "sweep", "inspect", "export", "predict", "import", "doctor")

EXIT_USAGE = 2
PROG = "python -m engine"
DESCRIPTION = "Netwright's headless engine."

AddCommands = Callable[[argparse._SubParsersAction], None]


def build_parser(
    prog: str = PROG, description: str = DESCRIPTION, add_commands: AddCommands | None = None
) -> argparse.ArgumentParser:
    """The parser of every engine command; `add_commands` adds a front end's own commands first."""
    parser = argparse.ArgumentParser(prog=prog, description=description)
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    if add_commands is not None:
        add_commands(subparsers)
    for name in COMMANDS:
        module = _command(name)
        if module is not None:
            module.add_parser(subparsers)
    return parser


def main(
    argv: list[str] | None = None,
    prog: str = PROG,
    description: str = DESCRIPTION,
    add_commands: AddCommands | None = None,
) -> int:
    parser = build_parser(prog, description, add_commands)
    args = parser.parse_args(argv)
    try:
        return int(args.handler(args) or 0)
    except (UserError, *USER_ERRORS()) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `netwright nodes | head`: the reader left; say nothing more
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # so the interpreter's final flush cannot fail again
        return 141


def _command(name: str):
    try:
        return importlib.import_module(f"engine.cli.{name}")
    except ModuleNotFoundError as exc:
        if exc.name == f"engine.cli.{name}":
            return None  # a command that is not part of this build yet
        raise
