"""The headless command line: `python -m engine COMMAND ...`.

Each command is a module with `add_parser(subparsers)` and `run(args) -> int`. A user
mistake (a missing file, bad JSON, bad data) prints one line and exits with 2, never a
traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from engine.cli.errors import USER_ERRORS, UserError

COMMANDS = ("validate", "summary", "nodes", "train", "export", "import")

EXIT_USAGE = 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m engine", description="Netwright's headless engine.")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMANDS:
        module = _command(name)
        if module is not None:
            module.add_parser(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.handler(args) or 0)
    except (UserError, *USER_ERRORS()) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


def _command(name: str):
    try:
        return importlib.import_module(f"engine.cli.{name}")
    except ModuleNotFoundError as exc:
        if exc.name == f"engine.cli.{name}":
            return None  # a command that is not part of this build yet
        raise
