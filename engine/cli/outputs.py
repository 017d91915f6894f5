"""Refuse output paths that would overwrite a command's own inputs (`-o net.json` for the graph being read)."""

from __future__ import annotations

import os
from pathlib import Path

from engine.cli.errors import UserError


def same_file(a: str | os.PathLike, b: str | os.PathLike) -> bool:
    """Whether two paths name one file: the same path, a symbolic link to it, or a hard link."""
    a, b = Path(a), Path(b)
    try:
        if a.exists() and b.exists():
            return os.path.samefile(a, b)
    except OSError:
        pass
    return a.resolve() == b.resolve()


def refuse_overwriting_inputs(
    outputs: dict[str, str | os.PathLike], inputs: dict[str, str | os.PathLike | None]
) -> None:
    """Raise a UserError when a file the command writes is one it reads: the input would be lost.

    `outputs` and `inputs` map how the user knows each file (`-o`, `--weights`) to its path."""
    for out_label, out_path in outputs.items():
        for in_label, in_path in inputs.items():
            if in_path is not None and same_file(out_path, in_path):
                raise UserError(
                    f"{out_label} would overwrite the {in_label} this command reads ({in_path}); "
                    "choose another output path"
                )
