"""Crash-recovery files: one per editor window, each beside a lock that tells a crash from a live window.

A window autosaves its unsaved graph to `<stem>-<id>.json` in the recovery folder and holds
`<stem>-<id>.lock` while that file exists. The operating system drops the lock when the
process ends, however it ends, so at start-up a recovery file whose lock can be taken belongs
to a window that crashed, and one whose lock is held belongs to a window still running
(never offered, never deleted). A clean exit deletes only the window's own file.

No Qt here: the dialog that offers a recovery lives in `editor.files`.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from engine.fileio import FileLock, LockBusy, atomic_write_text


@dataclass
class Orphan:
    """A crashed window's recovery file, locked by us while we decide what to do with it."""

    path: Path
    id: str
    lock: FileLock

    def read(self) -> str:
        return self.path.read_text(encoding="utf-8")

    def discard(self) -> None:
        """The user declined it (or it is unreadable): delete it."""
        self.path.unlink(missing_ok=True)
        self.release(remove_lock=True)

    def release(self, remove_lock: bool = False) -> None:
        """Leave it for another window (or, with remove_lock, after it is gone)."""
        if remove_lock:
            self.lock.path.unlink(missing_ok=True)  # while still held: nobody can be relying on it
        self.lock.release()


class RecoveryFile:
    """This window's recovery file; `base` (`.../recovery.json`) names the folder and the stem."""

    def __init__(self, base: Path):
        self.folder = base.parent
        self.stem = base.stem
        self.id = f"{os.getpid()}-{secrets.token_hex(3)}"
        self.path = self.folder / f"{self.stem}-{self.id}.json"
        self._lock = FileLock(self.path.with_suffix(".lock"))
        # a file written by an older Netwright, one for all windows; it has no lock, so it counts as crashed
        self._legacy = base

    def write(self, text: str) -> None:
        """Replace this window's recovery file (atomically), holding its lock first; raises OSError."""
        self.folder.mkdir(parents=True, exist_ok=True)
        self._lock.acquire()
        atomic_write_text(self.path, text)

    def discard(self) -> None:
        """Delete this window's recovery file and give up its lock (after a save, and on a clean exit)."""
        self.path.unlink(missing_ok=True)
        if self._lock.held:
            self._lock.path.unlink(missing_ok=True)
            self._lock.release()

    def orphans(self) -> list[Orphan]:
        """The recovery files of windows that are gone, newest first, each locked for us until released.

        A file whose lock another window holds is left alone: that window is still running.
        """
        candidates = [p for p in self.folder.glob(f"{self.stem}-*.json") if p != self.path]
        if self._legacy.is_file():
            candidates.append(self._legacy)
        found = []
        for path in candidates:
            lock = FileLock(path.with_suffix(".lock"))
            try:
                lock.acquire()
            except (LockBusy, OSError):
                continue
            if not path.is_file():  # its window saved or closed meanwhile
                lock.path.unlink(missing_ok=True)
                lock.release()
                continue
            found.append(Orphan(path, path.stem.removeprefix(f"{self.stem}-"), lock))
        return sorted(found, key=_modified, reverse=True)

    def adopt(self, orphan: Orphan) -> None:
        """Make `orphan` this window's own recovery file (a crash before the next autosave loses nothing)."""
        self._lock.acquire()
        os.replace(orphan.path, self.path)
        orphan.release(remove_lock=True)


def _modified(orphan: Orphan) -> float:
    try:
        return orphan.path.stat().st_mtime
    except OSError:
        return 0.0
