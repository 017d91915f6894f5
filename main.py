"""Netwright: `python main.py` opens the editor with an example; `python main.py FILE` opens FILE."""

from __future__ import annotations

import sys
from pathlib import Path


def main(argv: list[str]) -> int:
    if any(arg in ("-h", "--help") for arg in argv[1:]):
        print(__doc__)
        return 0
    from editor.platform_check import display_problem

    problem = display_problem()
    if problem:
        print(problem, file=sys.stderr)
        return 1
    from editor.app import run

    return run(Path(argv[1]) if len(argv) > 1 else None)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
