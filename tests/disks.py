"""Small disks for tests of full and read-only output folders.

Tests run as root (here and in CI), for whom `chmod` cannot make a folder read-only, so
these mount a tiny tmpfs instead; every mount is undone when the block ends.
"""

from __future__ import annotations

import contextlib
import errno
import subprocess
from collections.abc import Iterator
from pathlib import Path

FILLER = ".filler"


def _mount(*args: str) -> None:
    done = subprocess.run(["mount", *args], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, f"mount {' '.join(args)} failed (these tests need root): {done.stderr.strip()}"


@contextlib.contextmanager
def small_disk(folder: Path, size_kib: int = 512) -> Iterator[Path]:
    """`folder` as an empty tmpfs of `size_kib` KiB while the block runs."""
    folder.mkdir(parents=True, exist_ok=True)
    _mount("-t", "tmpfs", "-o", f"size={size_kib}k", "tmpfs", str(folder))
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], capture_output=True, timeout=30)


def fill(folder: Path) -> Path:
    """Write a filler file in `folder` until its disk is full; delete it to free the space again."""
    filler = folder / FILLER
    with open(filler, "ab", buffering=0) as handle:
        chunk = b"\0" * 4096
        while True:
            try:
                handle.write(chunk)
            except OSError as exc:
                assert exc.errno == errno.ENOSPC, exc
                break
        # the last partial block
        for size in (1024, 256, 64, 16, 1):
            with contextlib.suppress(OSError):
                while True:
                    handle.write(b"\0" * size)
    return filler


def make_read_only(folder: Path) -> None:
    """Remount the disk at `folder` read-only."""
    _mount("-o", "remount,ro", str(folder))


def listing(folder: Path) -> dict[str, bytes]:
    """Every file under `folder` but the filler, by relative path, with its bytes."""
    return {
        str(p.relative_to(folder)): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != FILLER
    }
