"""Finding the user's file or folder and opening it safely: regular files only, bounded in size.

A dataset path can name anything: a named pipe (reading it waits forever), a device
(`/dev/zero` never ends), a folder, a file far larger than memory. Every reader goes through
`user_path` (what the path names, checked by its stat without opening it) and `open_regular`
(opens without blocking, checks again on the open descriptor, so a path swapped between the
two checks is still caught), and reads at most `max_data_bytes()` bytes.
"""

from __future__ import annotations

import io
import os
import stat
from pathlib import Path
from typing import Any

from engine.data.info import DataError
from engine.data.paths import resolve_data_path

# Data files and the arrays made from them are refused above this size (in MB, overridable).
MAX_DATA_MB_DEFAULT = 4096
MAX_DATA_ENV = "NETWRIGHT_MAX_DATA_MB"

_NOT_REGULAR = (
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def max_data_bytes() -> int:
    """The most bytes a data file (or the arrays read from it) may take: NETWRIGHT_MAX_DATA_MB, default 4096."""
    text = os.environ.get(MAX_DATA_ENV, "").strip()
    try:
        megabytes = float(text) if text else MAX_DATA_MB_DEFAULT
    except ValueError:
        megabytes = MAX_DATA_MB_DEFAULT
    return int(max(megabytes, 1) * 1024 * 1024)


def size_text(nbytes: float) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if nbytes < 1024 or unit == "GB":
            return f"{nbytes:.0f} {unit}" if unit == "bytes" else f"{nbytes:.1f} {unit}"
        nbytes /= 1024
    return f"{nbytes:.1f} TB"  # unreachable; keeps type checkers content


def check_size(name: str, nbytes: int, what: str = "is") -> None:
    """DataError when `nbytes` exceeds the data limit; `what` reads e.g. 'would take' for arrays."""
    limit = max_data_bytes()
    if nbytes > limit:
        raise DataError(
            f"'{name}' {what} {size_text(nbytes)}, more than the {size_text(limit)} Netwright reads "
            f"(set {MAX_DATA_ENV} to raise the limit)"
        )


def user_path(params: dict[str, Any], want: str) -> Path:
    """The existing regular file (`want="file"`) or folder (`want="folder"`) named by the path param.

    `params["path"]` should already be resolved by `Graph.resolved_params`; a relative path here
    is read from the current directory (Python callers that pass params directly).
    """
    dataset = params["dataset"]
    text = str(params.get("path", "")).strip()
    noun = "folder" if want == "folder" else "file"
    if not text:
        raise DataError(f"the {dataset} dataset needs a {noun}: set path on the Dataset node")
    path = resolve_data_path(text, None)
    try:
        mode = path.stat().st_mode  # follows links: a link to a regular file is a regular file
    except (OSError, ValueError):  # missing, a name too long, a NUL byte, a dangling link
        raise DataError(f"{noun} not found: {text}") from None
    if want == "folder":
        if not stat.S_ISDIR(mode):
            kind = not_regular_kind(mode) or "a file"
            raise DataError(
                f"'{path.name}' is {kind}; the {dataset} dataset needs a folder with one subfolder of images per class"
            )
        return path
    if stat.S_ISDIR(mode):
        raise DataError(f"'{path.name}' is a folder; the {dataset} dataset needs a file")
    if kind := not_regular_kind(mode):
        raise DataError(f"'{path.name}' is {kind}, not a regular file; the {dataset} dataset reads a saved file")
    return path


def not_regular_kind(mode: int) -> str | None:
    """What a special file is ('a named pipe (FIFO)'), or None for anything else."""
    return next((kind for test, kind in _NOT_REGULAR if test(mode)), None)


def open_regular(path: Path) -> io.BufferedReader:
    """Open a regular file for binary reading, never blocking on a pipe and refusing one over the limit.

    O_NONBLOCK makes opening a FIFO return at once; the descriptor's own stat then decides, so
    a file replaced by a pipe or device after `user_path` looked at it is refused too.
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    fd = os.open(path, flags)
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise DataError(f"'{path.name}' is a folder, not a file")
        if not stat.S_ISREG(info.st_mode):
            kind = not_regular_kind(info.st_mode) or "not a regular file"
            raise DataError(f"'{path.name}' is {kind}, not a regular file")
        check_size(path.name, info.st_size)
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        raw = _BoundedFile(fd, path.name, max_data_bytes())
    except BaseException:
        os.close(fd)
        raise
    return io.BufferedReader(raw)


class _BoundedFile(io.RawIOBase):
    """A file that raises DataError once a read reaches past `limit` bytes.

    Its stat size was checked, but some regular files (under /proc, a growing log) read far
    more than their size says.
    """

    def __init__(self, fd: int, name: str, limit: int):
        super().__init__()
        self._file = io.FileIO(fd, "rb", closefd=True)
        self._label = name
        self._limit = limit

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return self._file.seekable()

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        return self._file.seek(offset, whence)

    def tell(self) -> int:
        return self._file.tell()

    def fileno(self) -> int:
        return self._file.fileno()

    def readinto(self, buffer) -> int | None:
        count = self._file.readinto(buffer)
        if count and self._file.tell() > self._limit:
            raise DataError(
                f"'{self._label}' reads on past {size_text(self._limit)}, the most Netwright reads "
                f"(set {MAX_DATA_ENV} to raise the limit)"
            )
        return count

    def close(self) -> None:
        if not self.closed:
            self._file.close()
        super().close()


def stat_key(path: Path) -> tuple:
    """Changes whenever the file is rewritten: path, modification time and size."""
    st = path.stat()
    return (str(path.resolve()), st.st_mtime_ns, st.st_size)


def os_error_message(exc: OSError) -> str:
    """One line for an operating-system error while reading the user's data."""
    name = Path(exc.filename).name if exc.filename else "the data"
    return f"cannot read '{name}': {exc.strerror or exc}"
