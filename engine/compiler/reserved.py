"""The node ids the compiler cannot use, asked of torch and Python themselves.

A node becomes a child module (`model.<id>`) and a variable of the generated forward(), so an
id is unusable when a compiled module already has that attribute (`training`, `__init__`,
`_modules`, ...), when it is forward()'s own first argument (`self`), or when Python refuses to
assign to it (`__debug__`). Validation runs without torch, so it reads a snapshot of this set
(`engine/graph/reserved_ids.py`); regenerate it with

    python -m engine.compiler.reserved

A test fails when the snapshot misses a name the installed torch reserves, and the compiler
checks against the live set too, so a newer torch can never turn an id into a traceback.
"""

from __future__ import annotations

import builtins
import inspect
import sys
from functools import cache
from pathlib import Path

from torch import fx, nn

from engine.fileio import atomic_write_text
from engine.graph.model import valid_node_id
from engine.graph.reserved_ids import RESERVED_IDS

SNAPSHOT = Path(__file__).resolve().parents[1] / "graph" / "reserved_ids.py"


@cache
def compiler_reserved_ids() -> frozenset[str]:
    """Every syntactically valid node id that the installed torch's compiled module cannot take."""
    program = fx.Graph()
    program.output(program.placeholder("x"))
    module = fx.GraphModule(nn.Module(), program)
    attributes = set(dir(module))  # class attributes and those its __init__ set
    forward_self = next(iter(inspect.signature(type(module).forward).parameters))
    unassignable = {name for name in dir(builtins) if not _assignable(name)}
    return frozenset(name for name in attributes | {forward_self} | unassignable if valid_node_id(name))


def _assignable(name: str) -> bool:
    try:
        compile(f"{name} = None", "<node id>", "exec")
    except SyntaxError:
        return False
    return True


def snapshot_text(names: frozenset[str]) -> str:
    """The source of `engine/graph/reserved_ids.py` holding `names`."""
    lines = [
        '"""Node ids the compiled PyTorch module reserves: a generated snapshot, do not edit.',
        "",
        "Written by `python -m engine.compiler.reserved` (see engine/compiler/reserved.py), which",
        "keeps every name an earlier torch reserved, so a graph valid with one supported torch is",
        "valid with all. Validation reads it without loading torch.",
        '"""',
        "",
        "RESERVED_IDS = frozenset(",
        "    {",
        *(f'        "{name}",' for name in sorted(names)),
        "    }",
        ")",
        "",
    ]
    return "\n".join(lines)


def main() -> int:
    names = RESERVED_IDS | compiler_reserved_ids()
    atomic_write_text(SNAPSHOT, snapshot_text(names))
    added = sorted(names - RESERVED_IDS)
    print(f"{SNAPSHOT}: {len(names)} reserved ids ({len(added)} new{': ' + ', '.join(added) if added else ''})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
