"""Running a sweep: N worker processes, each taking trials from the shared study until none are left.

    sweep = Sweep(graph, "mlp.json", experiment, folder)   # folder: where study.db and the tables go
    summary = sweep.run(jobs=2, on_change=print)

Workers are long-lived processes started with multiprocessing *spawn* (a trial's torch threads and
crashes stay in its process): each imports torch and loads the graph once, then loops: under the
study lock, ask Optuna for the next trial (none left: it ends); train it (engine.sweeps.trial) while
a thread beats its heartbeat; tell Optuna. A trial touches the study a few times (ask, its values,
its run id, its curve and result in one write, tell), not once per epoch unless pruning needs it.
The coordinating process (this one) sleeps until a worker sends an event (a pipe each) or ends,
rewrites trials.csv and trials.json after a change (at most every PUBLISH_S), restarts a worker that died (its trial is
recorded as failed, with the exit code) and, when stopped (Ctrl+C, SIGTERM from the editor,
`stop()`), stops the trials mid-epoch: finished trials are already in the storage, the interrupted
ones run again on `--resume`.

Several machines: run the same command with `--storage URL` (e.g. PostgreSQL) and `--resume` on
each; each coordinator's workers draw from the one study, and the lock keeps SQLite on one disk
from over-running the trial budget (over a network database two machines may each start the
last trial; no trial is ever run twice).
"""

from __future__ import annotations

import math
import multiprocessing
import os
import signal
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any

from engine.graph import Graph, dumps_graph, loads_graph
from engine.runs.store import RunStore
from engine.sweeps.experiment import Experiment, save_definition
from engine.sweeps.space import SweepSpecError
from engine.sweeps.study import (
    HEARTBEAT_S,
    TrialAsker,
    default_storage,
    fail_stale,
    has_work,
    heartbeat,
    make_pruner,
    make_sampler,
    open_storage,
    queue_missing_grid_points,
    study_lock,
    tell,
    trial_rows,
    write_tables,
)

WAKE_S = 5.0  # the coordinator wakes on events and worker exits; this is only a safety net
# The tables are rewritten at most this often (the editor polls trials.json every 0.4 s): each rewrite
# reads the whole study and writes two files, ~6 ms of CPU that short trials paid twice each, taken from
# the cores the trials train on (bench/bench_sweep.py). The last change is always written, this late at most.
PUBLISH_S = 0.5
MAX_CRASHES = 3  # workers dying in a row (no trial ending in between) before the sweep gives up
STOP_WAIT_S = 60  # how long stopped workers get to write their runs before they are killed


@dataclass
class SweepSummary:
    status: str  # finished, stopped
    metric: str
    direction: str
    rows: list[dict[str, Any]]
    best: dict[str, Any] | None
    folder: Path
    counts: dict[str, int] = field(default_factory=dict)
    problem: str | None = None  # why it ended before its trials were done, when it did


def default_jobs(graph: Graph, cores: int | None = None) -> int:
    """As many workers as the cores allow, given the torch threads one trial wants (its model's size)."""
    from engine.analysis import analyze
    from engine.analysis.parameters import count_parameters
    from engine.training.threads import WORK_PER_THREAD, step_work

    cores = cores or os.cpu_count() or 1
    analysis = analyze(graph)
    try:
        counts = {node_id: c.total for node_id, c in count_parameters(graph, analysis).items()}
    except Exception:  # noqa: BLE001 - an estimate; a graph that cannot be counted gets one thread per trial
        counts = {}
    work = step_work(graph, analysis, counts, int(graph.training.get("batch_size", 32)))
    threads = max(1, min(cores, work // WORK_PER_THREAD))
    return max(1, cores // threads)


class Sweep:
    """One experiment on one graph: creates or joins its study, runs workers, writes the tables."""

    def __init__(
        self,
        graph: Graph,
        graph_file: str | os.PathLike,
        experiment: Experiment,
        folder: str | os.PathLike,
        storage: str | None = None,
        resume: bool = False,
        overrides: dict[str, Any] | None = None,
        runs_folder: str | os.PathLike | None = None,
    ):
        self.graph, self.graph_file, self.experiment = graph, str(graph_file), experiment
        self.folder = Path(folder)
        self.storage_url = storage or default_storage(self.folder)
        self.resume = resume
        self.overrides = dict(overrides or {})
        self.metric, self.direction = experiment.metric_for(graph)
        # the graph's runs folder; the editor names its own (it sweeps a snapshot of the open graph)
        self.runs = RunStore(runs_folder) if runs_folder else RunStore.beside(graph_file)
        self._stopping = False
        self.publish_s = PUBLISH_S  # the tables' (and on_change's) quickest rate; 0: after every change
        self.problem: str | None = None  # why the sweep ended early, when it did
        self._ctx = multiprocessing.get_context("spawn")
        self._control = None
        self._stop_event = None

    # -- the study --------------------------------------------------------------------------------
    def open_study(self):
        """Create the study, or join it with `resume`; refuse a different experiment under the same name."""
        import optuna

        self.folder.mkdir(parents=True, exist_ok=True)
        with study_lock(self.storage_url):  # two processes creating one SQLite file's tables at once collide
            storage = open_storage(self.storage_url)
        name = self.experiment.name
        exists = any(s.study_name == name for s in optuna.get_all_study_summaries(storage))
        if exists and not self.resume:
            raise SweepSpecError(
                f"{self.folder}: experiment {name!r} already has trials in {self.storage_url}; "
                "continue it with --resume, or choose another --out"
            )
        study = optuna.create_study(
            study_name=name,
            storage=storage,
            direction=self.direction,
            load_if_exists=True,
            sampler=make_sampler(self.experiment, 0),
            pruner=make_pruner(self.experiment),
        )
        with study_lock(self.storage_url):
            saved = study.user_attrs.get("experiment")
            mine = self._comparable(self.experiment.to_dict())
            if saved is None:
                study.set_user_attr("experiment", self.experiment.to_dict())
                study.set_user_attr("metric", self.metric)
            elif self._comparable(saved) != mine:
                raise SweepSpecError(
                    f"{self.folder}: the study {name!r} was made for another definition "
                    f"({_describe(saved)}); run it as it was, or choose another --out"
                )
            if self.experiment.strategy == "grid":
                queue_missing_grid_points(study, self.experiment)
        save_definition(self.folder, self.experiment, self.graph_file)
        return study

    @staticmethod
    def _comparable(doc: dict[str, Any]) -> dict[str, Any]:
        """What must match to continue a study: the settings swept, the strategy, the metric (not the budget)."""
        return {k: doc.get(k) for k in ("strategy", "params", "metric", "prune")}

    # -- running ------------------------------------------------------------------------------------
    def run(
        self,
        jobs: int | None = None,
        on_change: Callable[[list[dict[str, Any]]], None] | None = None,
    ) -> SweepSummary:
        """Run until every trial is done or `stop()`; `on_change` gets the table after each change."""
        study = self.open_study()
        jobs = jobs or default_jobs(self.graph)
        from engine.training.control import TrainingControl

        self._control = TrainingControl.for_processes(self._ctx)
        self._stop_event = self._ctx.Event()
        lock = self._ctx.Lock()
        job = self.worker_job(jobs)
        workers: dict[int, Any] = {}
        pipes: dict[int, Connection] = {}  # worker slot -> the end its events arrive on
        current: dict[int, int] = {}  # worker slot -> trial id it is training
        crashes = 0  # workers that died since a trial last started or ended
        next_slot = 0

        def start_worker() -> None:
            nonlocal next_slot
            receive, send = self._ctx.Pipe(duplex=False)
            args = ({**job, "slot": next_slot}, send, self._control)
            process = self._ctx.Process(
                target=_worker_process, args=(*args, self._stop_event, lock), name=f"sweep-worker-{next_slot}"
            )
            process.start()
            send.close()  # the worker holds the only sending end
            workers[next_slot] = process
            pipes[next_slot] = receive
            next_slot += 1

        self._publish(study, on_change, "running")
        published, unpublished = time.monotonic(), False
        for _ in range(jobs):
            start_worker()
        previous = _install_sigterm()
        try:
            while workers:
                # wakes when a worker says something or ends; no polling (stop() ends the workers too)
                timeout = max(0.0, published + self.publish_s - time.monotonic()) if unpublished else WAKE_S
                ready = wait([*pipes.values(), *(p.sentinel for p in workers.values())], timeout=timeout)
                changed = self._drain(pipes, current)
                if changed:  # a trial started or ended: the workers are working
                    crashes = 0
                for slot, process in list(workers.items()):
                    # a ready sentinel: the process has ended, though the system may not report it
                    # reaped for a moment (is_alive() still True): join rather than spin
                    if process.sentinel not in ready and process.is_alive():
                        continue
                    process.join()
                    del workers[slot]
                    self._drain(pipes, current)
                    if slot in pipes:
                        pipes.pop(slot).close()
                    trial_id = current.pop(slot, None)
                    if process.exitcode == 0:
                        continue
                    if trial_id is not None:  # its trial is failed with the reason; the sweep goes on
                        _fail_crashed(study, trial_id, process.exitcode)
                        changed = True
                    crashes += 1
                    if crashes > MAX_CRASHES:  # dying before any trial ends, again and again: say so, stop
                        self.problem = f"worker processes keep ending unexpectedly (last: {_how(process.exitcode)})"
                    elif not self._stopping and has_work(study, self.experiment):
                        start_worker()
                unpublished = unpublished or changed
                if unpublished and time.monotonic() - published >= self.publish_s:
                    self._publish(study, on_change, "running")
                    published, unpublished = time.monotonic(), False
        except KeyboardInterrupt:
            self.stop()
            self._wait(workers, pipes, current)
        finally:
            _restore_sigterm(previous)
        status = "stopped" if self._stopping else "finished"
        rows = self._publish(study, on_change, status)
        from engine.sweeps.study import best_row

        counts: dict[str, int] = {}
        for row in rows:
            counts[row["state"]] = counts.get(row["state"], 0) + 1
        return SweepSummary(
            status, self.metric, self.direction, rows, best_row(rows, self.direction), self.folder, counts, self.problem
        )

    def worker_job(self, jobs: int) -> dict[str, Any]:
        """What each of `jobs` workers is given (plain data: it crosses to a spawned process)."""
        return {
            "graph": dumps_graph(self.graph),
            "graph_file": self.graph_file,
            "base_dir": str(self.graph.base_dir) if self.graph.base_dir else None,
            "experiment": self.experiment.to_dict(),
            "metric": self.metric,
            "direction": self.direction,
            "storage": self.storage_url,
            "runs": str(self.runs.folder),
            "threads": max(1, (os.cpu_count() or 1) // jobs),
            "overrides": self.overrides,
        }

    def stop(self) -> None:
        """Stop: no new trials, and the running ones end at their next batch (they run again on resume)."""
        self._stopping = True
        if self._stop_event is not None:
            self._stop_event.set()
        if self._control is not None:
            self._control.stop()

    def _wait(self, workers: dict[int, Any], pipes: dict[int, Connection], current: dict[int, int]) -> None:
        deadline = time.monotonic() + STOP_WAIT_S
        for process in workers.values():
            process.join(max(0.1, deadline - time.monotonic()))
            if process.is_alive():
                process.kill()
                process.join()
        self._drain(pipes, current)

    @staticmethod
    def _drain(pipes: dict[int, Connection], current: dict[int, int]) -> bool:
        """Read every event waiting ("started"/"finished", slot, trial id); whether there was one.
        A pipe whose worker has gone is dropped (its process is handled by the caller)."""
        changed = False
        for slot, pipe in list(pipes.items()):
            try:
                while pipe.poll():
                    kind, _, trial_id = pipe.recv()
                    if kind == "started":
                        current[slot] = trial_id
                    else:
                        current.pop(slot, None)
                    changed = True
            except (EOFError, OSError):
                del pipes[slot]
                pipe.close()
        return changed

    def _publish(self, study, on_change, status: str) -> list[dict[str, Any]]:
        rows = trial_rows(study)
        write_tables(self.folder, self.experiment, self.metric, self.direction, rows, status)
        if on_change is not None:
            on_change(rows)
        return rows


def _worker_process(*args) -> None:
    """A worker process's target: the loop, then out without the interpreter's teardown (seconds of
    freeing torch's and SQLAlchemy's objects at this point, which the sweep's end waited for).
    Everything is written by then: the runs and tables atomically, the study committed."""
    worker_main(*args)
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    os._exit(0)


def worker_main(job: dict[str, Any], events, control, stop_event, lock) -> None:
    """A worker process: take trials from the study until the budget or the grid is used up, or stopped."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the coordinator handles Ctrl+C and stops us cleanly
    import optuna

    from engine.sweeps.trial import TrialContext
    from engine.training.threads import ThreadChoice, apply_threads

    apply_threads(ThreadChoice(job["threads"], "sweep", 0, os.cpu_count() or 1, 0.0))
    import engine.data.builtin  # noqa: F401 - loaded before the first trial's clock starts, like any warm worker
    import engine.training.trainer  # noqa: F401

    _warm_lazy_imports()

    graph = loads_graph(job["graph"], job["graph_file"])
    graph.base_dir = Path(job["base_dir"]) if job["base_dir"] else None
    experiment = Experiment.from_dict(job["experiment"], graph)
    storage = open_storage(job["storage"])
    study = optuna.load_study(study_name=experiment.name, storage=storage, pruner=make_pruner(experiment))
    study.sampler = make_sampler(experiment, _worker_number(study, job["storage"], lock))
    context = TrialContext(
        graph,
        job["graph_file"],
        experiment,
        job["metric"],
        job["direction"],
        RunStore(job["runs"]),
        job["threads"],
        control,
        job["overrides"],
    )
    slot = job["slot"]
    asker = TrialAsker(study, experiment)
    stale_checked = -math.inf
    while not stop_event.is_set():
        with study_lock(job["storage"], lock):  # "is there work left? then ask": one worker at a time
            if time.monotonic() - stale_checked >= HEARTBEAT_S:  # a lost machine's trial frees its budget
                fail_stale(study)
                stale_checked = time.monotonic()
            trial = asker.ask()
            if trial is None:
                break
        events.send(("started", slot, trial._trial_id))
        with heartbeat(storage, trial._trial_id):
            state, value = _train(trial, context, study)
        tell(study, trial, value, state)
        events.send(("finished", slot, trial._trial_id))
    storage.engine.dispose()  # its connections closed: SQLite folds its write-ahead log back into the file


def _train(trial, context, study) -> tuple[Any, float | None]:
    """Run the trial: (state, value) to tell Optuna. An error outside training (the storage gone) fails
    the trial and ends the worker with it, as `study.optimize` would; the coordinator starts another."""
    import optuna
    from optuna.trial import TrialState

    from engine.sweeps.trial import TrialFailed, TrialInterrupted, run_trial

    try:
        return None, run_trial(trial, context)  # None: Optuna completes it (or fails an unusable value)
    except optuna.TrialPruned:
        return TrialState.PRUNED, None
    except (TrialFailed, TrialInterrupted):  # the message (or none: interrupted) is stored on the trial
        return TrialState.FAIL, None
    except Exception:
        tell(study, trial, None, TrialState.FAIL)
        raise


def _warm_lazy_imports() -> None:
    """What the first trial would otherwise load on its clock (seconds on a busy machine): torch's
    optimizers import its compiler on first use, the built-in datasets scikit-learn."""
    import contextlib

    import torch

    torch.optim.Adam([torch.zeros(1, requires_grad=True)])
    with contextlib.suppress(ImportError):
        import sklearn.datasets  # noqa: F401


def _worker_number(study, storage_url: str, lock) -> int:
    """This worker's number in the study (0, 1, ... in the order workers joined, across machines and
    resumed sessions): it seeds the worker's sampler, so no two workers draw the same values and one
    worker on a fresh study draws the same values every time."""
    with study_lock(storage_url, lock):
        number = int(study.user_attrs.get("workers", 0))
        study.set_user_attr("workers", number + 1)
    return number


def _fail_crashed(study, trial_id: int, exitcode: int | None) -> None:
    """A worker that died mid-trial (killed, out of memory, a crash in native code): fail its trial, with why."""
    from optuna.trial import TrialState

    storage = study._storage
    try:
        if storage.get_trial(trial_id).state != TrialState.RUNNING:
            return
        storage.set_trial_user_attr(trial_id, "message", f"the trial's process ended unexpectedly ({_how(exitcode)})")
        storage.set_trial_state_values(trial_id, TrialState.FAIL)
    except Exception:  # noqa: BLE001 - already finished by someone else (heartbeat): nothing to do
        pass


def _how(exitcode: int | None) -> str:
    return f"killed by signal {-exitcode}" if exitcode is not None and exitcode < 0 else f"exit code {exitcode}"


def _install_sigterm():
    """SIGTERM (the editor's Stop) ends the sweep like Ctrl+C: cleanly, keeping every finished trial."""

    def interrupt(signum, frame):
        raise KeyboardInterrupt

    try:
        return signal.signal(signal.SIGTERM, interrupt)
    except ValueError:  # not the main thread (a test driving Sweep from a thread): stop() still works
        return None


def _restore_sigterm(previous) -> None:
    if previous is not None:
        signal.signal(signal.SIGTERM, previous)


def _describe(doc: dict[str, Any]) -> str:
    params = ", ".join(str(p.get("target")) for p in doc.get("params") or [] if isinstance(p, dict))
    return f"{doc.get('strategy')} over {params}"
