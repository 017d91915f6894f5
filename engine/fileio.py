"""Atomic file writes, output folders and folder locks: a failed or crashed write never leaves a
half-written file, and the file it was replacing stays whole.

Every output goes to a temporary file beside its target, is flushed to disk and renamed over
the target; a failure (a full or read-only disk) removes the temporary file and raises an
`OSError` naming the target. Writers that produce a file themselves (torch, safetensors,
ONNX) serialize to memory first: torch's zip writer aborts the whole process when a disk
fills under it (measured with torch 2.13: `torch.jit.save` and `torch.export.save` to a path
or an open file end in `terminate called ...`, rc 134), while writing bytes fails cleanly.
New files get the permissions the user's umask gives (0644 under 022), not mkstemp's 0600;
a file that is replaced keeps its mode.
"""

from __future__ import annotations

import io
import os
import secrets
import shutil
import tempfile
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import BinaryIO

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None

_UMASK_GUARD = threading.Lock()


def current_umask() -> int:
    """The process's umask, read without changing it where the system allows."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    with _UMASK_GUARD:  # elsewhere the only way to read it is to set it and put it back
        mask = os.umask(0o022)
        os.umask(mask)
    return mask


def _mode_for(target: Path, default: int = 0o666) -> int:
    """A replaced file keeps its mode; a new one gets what open() would give it."""
    try:
        return target.stat().st_mode & 0o7777
    except OSError:
        return default & ~current_umask()


def _fsync_folder(folder: Path) -> None:
    """Make a rename in `folder` durable (where folders can be opened, i.e. not on Windows)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _named(exc: OSError, path: Path) -> OSError:
    """The same error, naming the file the caller asked for rather than a temporary one."""
    if exc.errno is None:
        return exc
    return OSError(exc.errno, exc.strerror, str(path))  # OSError(errno, ...) picks the subclass


def _write_temp(target: Path, data: bytes | bytearray | memoryview) -> Path:
    """`data` in a new temporary file beside `target`, flushed to disk, with the target's final mode."""
    mode = _mode_for(target)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return Path(tmp)


def atomic_write_files(files: Mapping[str | os.PathLike, bytes | bytearray | memoryview]) -> None:
    """Write several files that belong together: every one is written in full before any is replaced.

    A failure while writing leaves every target as it was; raises OSError naming the target.
    """
    pending: list[tuple[Path, Path]] = []
    try:
        for path, data in files.items():
            target = Path(path)
            try:
                target.parent.mkdir(parents=True, exist_ok=True)
                pending.append((_write_temp(target, data), target))
            except OSError as exc:
                raise _named(exc, target) from exc
        while pending:
            tmp, target = pending[0]
            try:
                os.replace(tmp, target)
            except OSError as exc:
                raise _named(exc, target) from exc
            pending.pop(0)
            _fsync_folder(target.parent)
    finally:
        for tmp, _ in pending:
            tmp.unlink(missing_ok=True)


def atomic_write_bytes(path: str | os.PathLike, data: bytes | bytearray | memoryview) -> None:
    """Write to a temporary file beside `path`, flush it to disk, then rename over `path`."""
    atomic_write_files({path: data})


def atomic_write_text(path: str | os.PathLike, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def append_whole(path: str | os.PathLike, data: bytes) -> None:
    """Append all of `data` to `path` or nothing: a failed write is cut back to the old end.

    For logs that grow too long to rewrite each time (per-batch metrics); the file holds
    whole records only, as long as every call appends whole records.
    """
    path = Path(path)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o666)
    except OSError as exc:
        raise _named(exc, path) from exc
    try:
        start = os.lseek(fd, 0, os.SEEK_END)
        view = memoryview(data)
        try:
            while view:
                view = view[os.write(fd, view) :]
        except OSError as exc:
            os.ftruncate(fd, start)
            raise _named(exc, path) from exc
    finally:
        os.close(fd)


def serialized(save: Callable[[BinaryIO], object]) -> memoryview:
    """What `save(file)` writes, as bytes in memory (see the module docstring for why)."""
    buffer = io.BytesIO()
    save(buffer)
    return buffer.getbuffer()


# -- folders of files ---------------------------------------------------------------------------


def _staging_prefix(folder: Path) -> str:
    return f".{folder.name}.new-"


def _previous(folder: Path) -> Path:
    return folder.with_name(f".{folder.name}.old")


def atomic_write_folder(folder: str | os.PathLike, files: Mapping[str, bytes | bytearray | memoryview]) -> None:
    """Replace `folder` by one holding exactly `files` (name -> bytes), all or nothing.

    The files are written into a new folder beside it, which then takes its place; a failure
    leaves the old folder as it was. A crash between the two renames leaves the old folder
    as `.NAME.old`, which `committed_folder` finds.
    """
    folder = Path(folder)
    parent = folder.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        for stale in parent.glob(_staging_prefix(folder) + "*"):  # left by a process killed mid-write
            shutil.rmtree(stale, ignore_errors=True)
        staging = Path(tempfile.mkdtemp(prefix=_staging_prefix(folder), dir=parent))
    except OSError as exc:
        raise _named(exc, folder) from exc
    previous = _previous(folder)
    try:
        os.chmod(staging, 0o777 & ~current_umask())
        for name, data in files.items():
            try:
                os.replace(_write_temp(staging / name, data), staging / name)
            except OSError as exc:
                raise _named(exc, folder / name) from exc
        _fsync_folder(staging)
        if folder.exists():
            if previous.exists():
                shutil.rmtree(previous)
            os.rename(folder, previous)
        os.rename(staging, folder)
        _fsync_folder(parent)
    except BaseException as exc:
        shutil.rmtree(staging, ignore_errors=True)
        if not folder.exists() and previous.is_dir():
            os.rename(previous, folder)
        if isinstance(exc, OSError) and not str(exc.filename or "").startswith(str(folder / "_")[:-1]):
            raise _named(exc, folder) from exc  # not one of its files: name the folder, not a temporary one
        raise
    shutil.rmtree(previous, ignore_errors=True)


def committed_folder(folder: str | os.PathLike) -> Path:
    """`folder`, or the copy `atomic_write_folder` set aside when a crash came between its renames."""
    folder = Path(folder)
    previous = _previous(folder)
    return previous if not folder.exists() and previous.is_dir() else folder


# -- output folders -----------------------------------------------------------------------------


class OutputError(Exception):
    """An output file or folder that cannot be written; the message is one line naming it and why."""


def write_failure(exc: OSError, fallback: str | os.PathLike = "") -> str:
    """One line for a failed write: `cannot write PATH: No space left on device`."""
    where = exc.filename or fallback
    why = exc.strerror or str(exc) or type(exc).__name__
    return f"cannot write {where}: {why}" if where else f"cannot write: {why}"


def prepare_output_folder(folder: str | os.PathLike, what: str = "output folder") -> Path:
    """Create `folder` if needed and prove it can hold new files, or raise OutputError saying why."""
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise OutputError(f"{what} {folder} is a file, not a folder; choose a folder")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        blocker = next((p for p in folder.parents if p.is_file()), folder)
        raise OutputError(f"{what} {folder}: {blocker} is a file, where a folder is needed") from None
    except OSError as exc:
        raise OutputError(f"cannot create {what} {folder}: {exc.strerror or exc}") from None
    probe = folder / f".write-test-{secrets.token_hex(4)}"
    try:
        probe.write_bytes(b"")
    except OSError as exc:
        raise OutputError(f"cannot write to {what} {folder}: {exc.strerror or exc}") from None
    probe.unlink()
    return folder


# -- locks ----------------------------------------------------------------------------------------


class LockBusy(OutputError):
    """Another process (or another lock in this one) holds the lock; `owner` is what it wrote, if anything."""

    def __init__(self, message: str, owner: str = ""):
        super().__init__(message)
        self.owner = owner


class FileLock:
    """An advisory lock on `path`, held while this object holds the file open.

    The operating system releases it when the process dies, however it dies, so a lock that
    can be taken means its last holder is gone. The lock file is kept (deleting it would let
    two processes lock two different files); it holds the holder's process id, for messages.
    """

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        self._handle = None

    @property
    def held(self) -> bool:
        return self._handle is not None

    def acquire(self) -> FileLock:
        """Take the lock or raise LockBusy at once (never waits); OSError when the file cannot be made."""
        if self._handle is not None:
            return self
        handle = open(self.path, "a+", encoding="utf-8")  # noqa: SIM115 - held until release()
        try:
            _lock(handle)
        except OSError:
            handle.seek(0)
            owner = handle.read(100).strip()
            handle.close()
            raise LockBusy(f"{self.path} is locked", owner) from None
        try:
            handle.seek(0)
            handle.truncate()
            handle.write(str(os.getpid()))
            handle.flush()
        except OSError:
            pass  # the lock is what matters; the process id is only for messages
        self._handle = handle
        return self

    def release(self) -> None:
        if self._handle is not None:
            _unlock(self._handle)
            self._handle.close()
            self._handle = None

    def is_free(self) -> bool:
        """True when nobody holds the lock (checked by taking and releasing it)."""
        if self._handle is not None:
            return False
        try:
            self.acquire()
        except (LockBusy, OSError):
            return False
        self.release()
        return True

    def __enter__(self) -> FileLock:
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()


def _lock(handle) -> None:
    if fcntl is not None:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    else:  # pragma: no cover - Windows
        import msvcrt

        handle.seek(0)
        msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)


def _unlock(handle) -> None:
    if fcntl is not None:
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
    else:  # pragma: no cover - Windows
        import msvcrt

        handle.seek(0)
        msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)
