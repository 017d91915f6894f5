"""What was read from the user's files, cached by their stat, and reads a caller can defer.

describe() runs on every edit in the editor, so a file is read again only when it changes.
The editor must never read a file on its GUI thread (a slow drive, a huge file, a path that
never ends): it installs a sink on that thread with `defer_reads_here`, and from then on a read
there that is not cached yet is not done but handed to the sink as a `PendingRead`, to run on
another thread; the dataset shows `DataPending` until it is done. Other threads read as usual.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token
from dataclasses import dataclass
from typing import Any, TypeVar

from engine.data.files import max_data_bytes, os_error_message
from engine.data.info import DataError

T = TypeVar("T")


class DataPending(DataError):
    """The data is being read elsewhere (inside `deferred_reads`); its description is not known yet."""


@dataclass(frozen=True)
class PendingRead:
    """A read `deferred_reads` skipped. `run` reads and remembers the outcome (errors too);
    `give_up(message)` remembers `message` as the outcome unless the read has finished."""

    key: Hashable
    label: str
    run: Callable[[], None]
    give_up: Callable[[str], None]


ReadSink = Callable[[PendingRead], None]
# Threads start with an empty context, so a sink set on one thread never defers another's reads.
_SINK: ContextVar[ReadSink | None] = ContextVar("netwright_read_sink", default=None)


def defer_reads_here(sink: ReadSink | None) -> Token:
    """From now on, on this thread, uncached reads go to `sink` and raise DataPending (None: read again)."""
    return _SINK.set(sink)


def stop_deferring(token: Token) -> None:
    """Undo the `defer_reads_here` that returned `token`."""
    _SINK.reset(token)


@contextmanager
def deferred_reads() -> Iterator[list[PendingRead]]:
    """Within the block (this thread only), uncached reads raise DataPending and are listed instead."""
    pending: list[PendingRead] = []
    token = defer_reads_here(pending.append)
    try:
        yield pending
    finally:
        stop_deferring(token)


class ReadCache:
    """A small LRU of read results keyed by file stats and settings; remembers errors too.

    A remembered error is raised afresh (same message) each time. The editor's reading thread
    and its GUI thread both use it, so the table is locked (the read is not).
    """

    def __init__(self, size: int = 64):
        self._size = size
        self._items: OrderedDict[Hashable, tuple[bool, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, compute: Callable[[], T], label: str = "the data") -> T:
        key = (key, max_data_bytes())  # a raised limit reads again what the old one refused
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
        if found is None:
            sink = _SINK.get()
            if sink is not None:
                sink(self._pending(key, compute, label))
                raise DataPending(f"reading '{label}' in the background…")
            found = self._compute(compute)
            self._store(key, found)
        ok, value = found
        if not ok:
            raise DataError(value)
        return value

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def _compute(self, compute: Callable[[], Any]) -> tuple[bool, Any]:
        try:
            return (True, compute())
        except DataError as exc:
            return (False, str(exc))
        except OSError as exc:  # permissions, a file vanishing mid-read: remembered like any other fault
            return (False, os_error_message(exc))

    def _store(self, key: Hashable, found: tuple[bool, Any], replace: bool = True) -> None:
        with self._lock:
            if not replace and key in self._items:
                return
            self._items[key] = found
            self._items.move_to_end(key)
            while len(self._items) > self._size:
                self._items.popitem(last=False)

    def _pending(self, key: Hashable, compute: Callable[[], Any], label: str) -> PendingRead:
        def run() -> None:
            try:
                found = self._compute(compute)
            except Exception as exc:  # noqa: BLE001 - a reader's bug must still end the wait with a message
                found = (False, f"cannot read '{label}' ({exc.__class__.__name__})")
            self._store(key, found)

        def give_up(message: str) -> None:
            self._store(key, (False, message), replace=False)

        return PendingRead((id(self), key), label, run, give_up)
