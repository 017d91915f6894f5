"""Netwright: `python main.py` opens the editor with an example; `python main.py FILE` opens FILE.

Once installed, `netwright` and `netwright edit FILE` do the same (`netwright --help` lists the
engine's commands too)."""

# Kept parseable by old Pythons (no 3.11-only syntax before the check): on 3.10 the user must
# read which Python is needed, not a SyntaxError or an ImportError from deep inside the editor.
from __future__ import annotations

import sys
from pathlib import Path

MIN_PYTHON = (3, 11)


def python_problem(version_info: tuple = tuple(sys.version_info)) -> str | None:
    """One line when this Python is too old for Netwright, else None."""
    if tuple(version_info[:2]) >= MIN_PYTHON:
        return None
    found = ".".join(str(part) for part in version_info[:3])
    return (
        f"Netwright needs Python {MIN_PYTHON[0]}.{MIN_PYTHON[1]} or newer, but this is Python {found} "
        f"({sys.executable}): create the virtual environment with python3.11 or newer."
    )


def main(argv: list[str]) -> int:
    problem = python_problem(tuple(sys.version_info))
    if problem:
        print(problem, file=sys.stderr)
        return 1
    if any(arg in ("-h", "--help") for arg in argv[1:]):
        print(__doc__)
        return 0
    from editor.launch import open_editor

    return open_editor(Path(argv[1]) if len(argv) > 1 else None)


if __name__ == "__main__":
    code = main(sys.argv)
    if "editor.launch" in sys.modules:  # the editor ran: leave as the `netwright` command does
        sys.modules["editor.launch"].leave(code)
    sys.exit(code)
