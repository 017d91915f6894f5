"""Reads and prepares the Inspector's node views on a thread of their own, so the GUI thread only shows them.

Reading an epoch's safetensors and turning its arrays into images takes 10-20 ms for a digits
CNN's convolution (bench/bench_inspection.py --ui): on the GUI thread that made a live run's UI
late. `NodeLoader.request` hands the newest request to its thread and returns; requests that
arrive while one is being prepared replace each other (only the newest is prepared: epochs that
arrive faster than they can be drawn are skipped), and `ready` carries the result back to the GUI
thread by a queued signal, tagged with the request's number so the panel drops stale ones.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

from PySide6 import QtCore

from editor.inspector.node_view import NodePicture, ProbeLook, prepare_node
from engine.inspection.store import InspectionError, InspectionStore, Probe


@dataclass(frozen=True)
class NodeRequest:
    number: int  # the panel's count of requests: a result for an older one is dropped
    run_dir: Path
    epoch: int
    node_id: str
    output_id: str | None
    sample: int
    probe: Probe
    look: ProbeLook
    class_names: list[str] | None


@dataclass(frozen=True)
class NodeResult:
    number: int
    picture: NodePicture | None
    error: str | None = None  # one line, when the epoch could not be read


class NodeLoader(QtCore.QObject):
    ready = QtCore.Signal(object)  # NodeResult, delivered on the GUI thread

    def __init__(self, parent=None):
        super().__init__(parent)
        self.worker = _Worker(self._emit)

    def request(self, request: NodeRequest) -> None:
        self.worker.request(request)

    def close(self) -> None:
        self.worker.close()

    def _emit(self, result: NodeResult) -> bool:
        try:
            self.ready.emit(result)
            return True
        except RuntimeError:  # the panel is gone
            return False


class _Worker:
    """The thread's side, plain Python (its owner closes it from a Qt destructor). The thread starts with
    the first request and waits for the next between them: starting a thread per request made the GUI
    thread wait until the new one was scheduled, milliseconds on a busy machine."""

    def __init__(self, deliver):
        self._deliver = deliver
        self._wake = threading.Condition()
        self._next: NodeRequest | None = None
        self._closed = False
        self._thread: threading.Thread | None = None
        self._store: InspectionStore | None = None  # the thread's own reader (stores are not shared)

    def request(self, request: NodeRequest) -> None:
        with self._wake:
            if self._closed:
                return
            self._next = request  # an older request not yet started is dropped
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="netwright-inspector", daemon=True)
                self._thread.start()
            self._wake.notify()

    def close(self, *_args) -> None:
        with self._wake:
            self._closed = True
            self._wake.notify()
            thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(5)

    def _run(self) -> None:
        while True:
            with self._wake:
                self._wake.wait_for(lambda: self._next is not None or self._closed)
                if self._closed:
                    return
                request, self._next = self._next, None
            try:
                result = self._prepare(request)
            except Exception as exc:  # noqa: BLE001 - a bad recording must not end the loader: say it instead
                result = NodeResult(request.number, None, f"Cannot show this epoch: {type(exc).__name__}: {exc}")
            if not self._deliver(result):
                with self._wake:
                    self._closed = True
                return

    def _prepare(self, request: NodeRequest) -> NodeResult:
        try:
            if self._store is None or self._store.run_dir != request.run_dir:
                self._store = InspectionStore(request.run_dir)
            store = self._store
            record = store.read(request.epoch, request.node_id)
            output = None
            if request.output_id == request.node_id:
                output = record
            elif request.output_id:
                output = store.read(request.epoch, request.output_id)
        except InspectionError as exc:
            return NodeResult(request.number, None, f"Cannot show this epoch: {exc}")
        picture = prepare_node(record, request.probe, request.look, request.sample, request.class_names, output)
        return NodeResult(request.number, picture)
