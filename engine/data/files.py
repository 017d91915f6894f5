"""Finding the user's file or folder, and caching what was read from it by its stat."""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from pathlib import Path
from typing import Any, TypeVar

from engine.data.info import DataError

T = TypeVar("T")


def user_path(params: dict[str, Any], want: str) -> Path:
    """The existing file (`want="file"`) or folder (`want="folder"`) named by the path param."""
    dataset = params["dataset"]
    text = str(params.get("path", "")).strip()
    noun = "folder" if want == "folder" else "file"
    if not text:
        raise DataError(f"the {dataset} dataset needs a {noun}: set path on the Dataset node")
    path = Path(os.path.expanduser(text))
    try:
        exists = path.exists()
    except (OSError, ValueError):  # a name too long, or with a NUL byte
        exists = False
    if not exists:
        raise DataError(f"{noun} not found: {text}")
    if want == "folder" and not path.is_dir():
        raise DataError(
            f"'{path.name}' is a file; the {dataset} dataset needs a folder with one subfolder of images per class"
        )
    if want == "file" and path.is_dir():
        raise DataError(f"'{path.name}' is a folder; the {dataset} dataset needs a file")
    return path


def stat_key(path: Path) -> tuple:
    """Changes whenever the file is rewritten: path, modification time and size."""
    st = path.stat()
    return (str(path.resolve()), st.st_mtime_ns, st.st_size)


class ReadCache:
    """A small LRU of read results keyed by file stats and settings; remembers errors too.

    describe() runs on every edit in the editor, so a file is read again only when it
    changes. A remembered DataError is raised afresh (same message) each time. The editor
    and a training thread may both describe, so the table is locked (the read is not).
    """

    def __init__(self, size: int = 64):
        self._size = size
        self._items: OrderedDict[Hashable, tuple[bool, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, compute: Callable[[], T]) -> T:
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
        if found is None:
            try:
                found = (True, compute())
            except DataError as exc:
                found = (False, str(exc))
            with self._lock:
                self._items[key] = found
                while len(self._items) > self._size:
                    self._items.popitem(last=False)
        ok, value = found
        if not ok:
            raise DataError(value)
        return value

    def clear(self) -> None:
        self._items.clear()


def os_error_message(exc: OSError) -> str:
    """One line for an operating-system error while reading the user's data."""
    name = Path(exc.filename).name if exc.filename else "the data"
    return f"cannot read '{name}': {exc.strerror or exc}"
