"""The training child process as seen from the UI: start it, send jobs, steer them, poll events.

One spawn-started process (`engine.runs.worker.host_main`) serves every run of the
window, so torch and the datasets load once, ideally while the user is still editing
(`prewarm`). The UI thread polls the event queue every `POLL_MS` and re-emits each
message as `message(kind, data)`; the child batches its events, so a poll unpickles a
handful of small lists however fast training runs. Jobs go down a one-way pipe, pause /
resume / stop / learning-rate changes through a TrainingControl built on multiprocessing
primitives. Nothing here starts a thread in the editor process.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import queue
import time
from typing import Any

from PySide6 import QtCore

from editor.training.pacing import Pacer
from engine.runs.worker import host_main
from engine.training.control import TrainingControl

POLL_MS = 20
POLL_MAX_MS = 200  # on a busy machine polling backs off up to this (see editor.training.pacing)
IDLE_EXIT_S = 0.2  # how long an idle child gets to exit by itself before it is terminated
POLL_BUDGET_S = 0.008  # leave the rest of the frame to painting and input


class TrainingSession(QtCore.QObject):
    """States: idle, starting (job sent), running, paused, stopping."""

    message = QtCore.Signal(str, object)  # kind, data (see engine.runs.worker)
    state_changed = QtCore.Signal(str)
    devices_changed = QtCore.Signal(list)  # [(value, label)]

    def __init__(self, parent: QtCore.QObject | None = None):
        super().__init__(parent)
        self.context = multiprocessing.get_context("spawn")
        self.process = None
        self.control: TrainingControl | None = None
        self._events = None
        self._jobs = None
        self.state = "idle"
        self.devices: list[tuple[str, str]] = [("auto", "Auto"), ("cpu", "CPU")]
        self.ready = False
        self.warm = False  # the child has also loaded what the first job needs (see worker.warm_up)
        self.paused_confirmed = False
        self._timer = QtCore.QTimer(self)
        self._timer.setInterval(POLL_MS)
        self._timer.setTimerType(QtCore.Qt.TimerType.PreciseTimer)
        self._timer.timeout.connect(self._timed_poll)
        self.pacer = Pacer(POLL_MS, POLL_MAX_MS)  # polls (and the handlers they run) back off when busy

    # -- process ----------------------------------------------------------------------------------
    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.is_alive()

    def prewarm(self) -> None:
        """Start the child now, so it has imported torch by the time Train is pressed."""
        if self.alive:
            return
        ctx = self.context
        self._events = ctx.Queue()
        reader, self._jobs = ctx.Pipe(duplex=False)
        self.control = TrainingControl.for_processes(ctx)
        self.process = ctx.Process(
            target=host_main, args=(reader, self._events, self.control), name="netwright-training", daemon=True
        )
        self.process.start()
        reader.close()  # the child holds the only reading end: it sees EOF if the editor dies
        self.ready = self.warm = False
        self.pacer.reset()
        self._timer.start(POLL_MS)

    def start(self, job: dict[str, Any]) -> None:
        if self.state != "idle":
            raise RuntimeError(f"a run is already {self.state}")
        self.prewarm()
        self.control.reset()
        self.paused_confirmed = False
        self._jobs.send(job)
        self._set_state("starting")

    # -- steering ---------------------------------------------------------------------------------
    def pause(self) -> None:
        if self.state in ("starting", "running"):
            self.control.pause()
            self._set_state("paused")

    def resume(self, lr: float | None = None, optimizer: str | None = None) -> None:
        """Continue a paused run; a new learning rate, if given, applies from the next batch."""
        if self.state != "paused":
            return
        if lr is not None:
            self.control.set_lr(lr, optimizer)
        self.paused_confirmed = False
        self.control.resume()
        self._set_state("running")

    def stop(self) -> None:
        if self.state in ("starting", "running", "paused"):
            self.control.stop()
            self._set_state("stopping")

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Process events until the current run has finished (shutdown, tests)."""
        end = time.monotonic() + timeout
        while self.state != "idle" and time.monotonic() < end:
            self.poll()
            QtCore.QCoreApplication.processEvents(QtCore.QEventLoop.ProcessEventsFlag.AllEvents, 20)
            time.sleep(0.01)
        return self.state == "idle"

    def close(self, timeout: float = 5.0) -> None:
        """Stop any run, end the child (asking first, then terminating) and release everything."""
        self._timer.stop()
        if self.process is None:
            return
        if self.process.is_alive():
            # an idle child has nothing to save: a moment to leave by itself, then it is ended
            # (a torch process takes seconds to tear down, and quitting must not wait for that)
            idle = self.state == "idle"
            self.control.stop()
            with contextlib.suppress(BrokenPipeError, OSError):
                self._jobs.send(None)
            self.process.join(IDLE_EXIT_S if idle else timeout)
            if self.process.is_alive():
                self.process.terminate()
                self.process.join(2)
            if self.process.is_alive():
                self.process.kill()
                self.process.join(2)
        self._jobs.close()
        self._events.close()
        self._events.cancel_join_thread()
        self.process.close()
        self.process = None
        # let go of the queue, pipe and control now: their finalizers unlink the semaphores they
        # hold, which quitting cannot leave to the interpreter's teardown (editor.launch.leave)
        self._events = self._jobs = self.control = None
        self.ready = self.warm = False
        if self.state != "idle":
            self._set_state("idle")

    # -- events -----------------------------------------------------------------------------------
    def _timed_poll(self) -> None:
        self.pacer.tick_started()
        started = time.perf_counter()
        self.poll()
        interval = self.pacer.tick_done((time.perf_counter() - started) * 1000)
        if interval != self._timer.interval():
            self._timer.setInterval(interval)

    def poll(self) -> None:
        if self._events is None:
            return
        deadline = time.perf_counter() + POLL_BUDGET_S
        while time.perf_counter() < deadline:
            try:
                batch = self._events.get_nowait()
            except (queue.Empty, OSError, EOFError, ValueError):
                break
            for kind, data in batch:
                self._dispatch(kind, data)
        if self.process is not None and not self.process.is_alive() and self._events is not None:
            self._died()

    def _dispatch(self, kind: str, data: Any) -> None:
        if kind == "warm":
            self.warm = True
        elif kind == "hello":
            self.ready = True
            self.devices = [tuple(d) for d in data["devices"]]
            self.devices_changed.emit(self.devices)
        elif kind == "started" and self.state == "starting":
            self._set_state("running")
        elif kind == "event" and data.get("kind") == "paused":
            self.paused_confirmed = True
        elif kind == "finished":
            self._set_state("idle")
        self.message.emit(kind, data)

    def _died(self) -> None:
        """The child ended on its own (killed, crashed): report a running job as failed."""
        code = self.process.exitcode
        was = self.state
        self._timer.stop()
        self.process.close()
        self.process = None
        self._jobs.close()
        self._events.close()
        self._events = None
        self.ready = self.warm = False
        if was != "idle":
            self._set_state("idle")
            error = {
                "kind": "crash",
                "title": "The training process ended unexpectedly",
                "message": f"The training process exited with code {code} (out of memory, or killed).",
                "node_id": None,
                "suggestion": "Try a smaller batch size or model; the editor and your graph "
                "are unaffected. Press Train to start a fresh process.",
                "detail": "",
            }
            self.message.emit("finished", {"status": "failed", "error": error, "run_dir": None})

    def _set_state(self, state: str) -> None:
        if state != self.state:
            self.state = state
            self.state_changed.emit(state)
