"""The Optuna study behind an experiment: storage, sampler, pruner, the trial budget and the trial table.

The study lives in an Optuna storage: by default SQLite (`study.db` in the experiment's folder);
any database URL Optuna takes (PostgreSQL, MySQL) lets several machines work on one experiment.
Everything the table shows is kept in the storage (trial user attributes), so any machine can
write trials.csv and trials.json from it.

A trial's state in the table: complete, pruned, failed (it raised, diverged or crashed: it has a
`message`), running, or interrupted (stopped or its process vanished: it has no message, does not
count against the budget, and a grid puts its point back in the queue when the sweep resumes).
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import math
import os
import threading
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import optuna
from optuna.trial import FrozenTrial, TrialState

from engine.fileio import FileLock, LockBusy, atomic_write_text
from engine.sweeps.experiment import Experiment
from engine.sweeps.space import SweptParam

STUDY_DB = "study.db"
TRIALS_CSV = "trials.csv"
TRIALS_JSON = "trials.json"
HEARTBEAT_S = 10  # a worker that stops beating for GRACE_S (machine lost) has its trial failed
GRACE_S = 60
SQLITE_TIMEOUT_S = 60  # several processes write one SQLite file: wait for its lock rather than fail

optuna.logging.set_verbosity(optuna.logging.WARNING)  # our progress bar and table say what happened


def default_storage(folder: str | os.PathLike) -> str:
    return f"sqlite:///{Path(folder).resolve() / STUDY_DB}"


def open_storage(url: str) -> optuna.storages.RDBStorage:
    """An RDB storage with heartbeats (so a lost worker's trial is failed, not left running forever)."""
    kwargs: dict[str, Any] = {}
    if url.startswith("sqlite"):
        kwargs["connect_args"] = {"timeout": SQLITE_TIMEOUT_S}
    with warnings.catch_warnings():  # heartbeats are "experimental" in Optuna 5; we rely on them knowingly
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        storage = optuna.storages.RDBStorage(
            url, engine_kwargs=kwargs, heartbeat_interval=HEARTBEAT_S, grace_period=GRACE_S
        )
    if url.startswith("sqlite"):
        _fast_sqlite(storage)
    return storage


def _fast_sqlite(storage: optuna.storages.RDBStorage) -> None:
    """Write-ahead log, synced at checkpoints: a trial's few commits each cost a flush, not a full sync
    (measured with bench/bench_sweep.py). A crash of the machine may lose the last commits, never the file."""
    import sqlalchemy

    def pragmas(connection, _record) -> None:
        cursor = connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    sqlalchemy.event.listen(storage.engine, "connect", pragmas)
    storage.engine.dispose()  # the connection made while creating the tables reconnects with them


def make_sampler(experiment: Experiment, stream: int) -> optuna.samplers.BaseSampler:
    """The sampler of one worker. `stream` makes each worker (and each resumed session) draw its own
    random numbers: two workers with one seed would otherwise propose the same first trials."""
    seed = (experiment.seed * 1_000_003 + stream * 7919) % 2**32
    if experiment.strategy == "tpe":
        startup = max(3, min(10, experiment.trials // 4))
        return optuna.samplers.TPESampler(seed=seed, n_startup_trials=startup, constant_liar=True)
    # random, and grid (whose points are all queued up front: the sampler only ever replays them)
    return optuna.samplers.RandomSampler(seed=seed)


def make_pruner(experiment: Experiment) -> optuna.pruners.BasePruner:
    if not experiment.prune:
        return optuna.pruners.NopPruner()
    return optuna.pruners.MedianPruner(n_startup_trials=3, n_warmup_steps=1)


def suggest(trial: optuna.Trial, param: SweptParam) -> Any:
    """Ask the trial for a value of `param` within the domain its definition gives."""
    name = param.target
    if param.kind == "values":
        return trial.suggest_categorical(name, list(param.values))
    if param.kind == "log" and param.count is not None:
        return trial.suggest_categorical(name, param.grid_values())
    log = param.kind == "log"
    if param.is_int:
        return trial.suggest_int(name, int(param.low), int(param.high), step=int(param.step or 1), log=log)
    if param.step is not None:  # Optuna wants high on the step grid
        steps = math.floor((param.high - param.low) / param.step + 1e-9)
        return trial.suggest_float(name, param.low, param.low + steps * param.step, step=param.step)
    return trial.suggest_float(name, param.low, param.high, log=log)


def store_outcome(study: optuna.Study, trial_id: int, curve: dict[int, float], attrs: dict[str, Any]) -> None:
    """A trial's epoch curve (Optuna's intermediate values, the steps not stored yet) and user attributes,
    in one transaction: one commit where Optuna's calls make one per epoch and per attribute. Optuna has
    no batched write, so for a relational storage this writes its rows with its own models in one session;
    any other storage gets the public calls."""
    backend = getattr(study._storage, "_backend", study._storage)
    if not isinstance(backend, optuna.storages.RDBStorage):
        for step, value in curve.items():
            study._storage.set_trial_intermediate_value(trial_id, step, value)
        for key, value in attrs.items():
            study._storage.set_trial_user_attr(trial_id, key, value)
        return
    import sqlalchemy
    from optuna.storages._rdb import models
    from optuna.storages._rdb.storage import _create_scoped_session

    with _create_scoped_session(backend.scoped_session, True) as session:
        trial = models.TrialModel.find_or_raise_by_id(trial_id, session)
        backend.check_trial_is_updatable(trial_id, trial.state)
        rows = []
        for step, value in curve.items():
            stored, kind = models.TrialIntermediateValueModel.intermediate_value_to_stored_repr(value)
            rows.append(
                {"trial_id": trial_id, "step": step, "intermediate_value": stored, "intermediate_value_type": kind}
            )
        if rows:  # one multi-row INSERT: an ORM object each cost ~60 us a step (8 ms for a 200-epoch curve)
            session.execute(sqlalchemy.insert(models.TrialIntermediateValueModel), rows)
        for key, value in attrs.items():
            backend._set_trial_attr_without_commit(session, models.TrialUserAttributeModel, trial_id, key, value)


@contextlib.contextmanager
def heartbeat(storage: optuna.storages.RDBStorage, trial_id: int) -> Iterator[None]:
    """Beat for the trial every HEARTBEAT_S while it runs (what `study.optimize` does; workers ask and
    tell themselves), so a machine that vanishes has its trial failed by `fail_stale` elsewhere.
    The first beat is written here, the later ones on a thread while the trial trains: a first beat on
    the thread collided with the trial's own first writes (its parameters, its run id) for SQLite's
    write lock and the GIL, which made them wait ~1.5 ms a trial (bench/bench_sweep.py)."""
    done = threading.Event()
    storage.record_heartbeat(trial_id)

    def beat() -> None:
        while not done.wait(HEARTBEAT_S):
            storage.record_heartbeat(trial_id)

    thread = threading.Thread(target=beat, name=f"heartbeat-{trial_id}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join()


class TrialAsker:
    """A worker's next trial, or None when the budget or the grid is used up (`ask` under `study_lock`).

    Workers ask and tell themselves (rather than `study.optimize`, which wrote each epoch's report
    apart) and beat with `heartbeat`, so Optuna's warning that heartbeats go with `optimize` does not
    apply. A grid's points are queued trials: Optuna's own pop (what `ask` does first) reads every
    queued trial with its params and attributes before each trial, a few milliseconds on a 10-point
    grid and more with every point. Here a worker reads the queue when its copy runs out and claims
    the next point with the storage's compare-and-set (`set_trial_state_values(id, RUNNING)` refuses
    a trial another worker or machine claimed first), so no point runs twice, and points queued
    since (a session resumed elsewhere) are seen when the copy runs out (bench/bench_sweep.py)."""

    def __init__(self, study: optuna.Study, experiment: Experiment):
        self.study, self.experiment = study, experiment
        self._queued: list[int] = []  # trial ids, in queue order, that were waiting when last read

    def ask(self) -> optuna.Trial | None:
        if self.experiment.strategy == "grid":
            trial_id = self._claim_queued()
            return None if trial_id is None else optuna.Trial(self.study, trial_id)
        if not has_work(self.study, self.experiment):
            return None
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", "Heartbeat of storage is supposed to be used with Study.optimize")
            return self.study.ask()

    def _claim_queued(self) -> int | None:
        reread = not self._queued
        while True:
            if reread:  # through the study: its storage's cache then knows the trials claimed below
                waiting = self.study.get_trials(deepcopy=False, states=(TrialState.WAITING,))
                self._queued = [trial._trial_id for trial in waiting]
            while self._queued:
                trial_id = self._queued.pop(0)
                try:
                    if self.study._storage.set_trial_state_values(trial_id, state=TrialState.RUNNING):
                        return trial_id
                except optuna.exceptions.UpdateFinishedTrialError:  # finished elsewhere meanwhile
                    pass
            if reread:
                return None
            reread = True


def tell(study: optuna.Study, trial: optuna.Trial, value: float | None, state: TrialState | None) -> None:
    """Finish the trial as `study.tell` does, without its reads of the whole trial (params, attributes,
    curve; ~2 ms each on SQLite): one before writing, to check it runs and to take a pruned trial's last
    reported value, one after, to return a copy. A worker tells only the running trial it asked for, with a
    finite value (the best epoch's) or failed; a pruned trial, or any other value, goes Optuna's way."""
    from optuna.study._tell import _tell_with_warning

    if state == TrialState.FAIL:
        values = None
    elif state is None and isinstance(value, (int, float)) and math.isfinite(value):
        state, values = TrialState.COMPLETE, [float(value)]
    else:
        _tell_with_warning(study, trial, value, state)
        return
    try:  # what Optuna's tell does after its checks; our samplers (random, TPE) read nothing of the trial
        study.sampler.after_trial(study, trial._cached_frozen_trial, state, values)
    finally:
        study._storage.set_trial_state_values(trial._trial_id, state, values)


def fail_stale(study: optuna.Study) -> None:
    """Fail the running trials whose workers stopped beating GRACE_S ago (a machine lost mid-trial)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        optuna.storages.fail_stale_trials(study)


def trial_attrs(trial: FrozenTrial) -> dict[str, Any]:
    """What the trial stored: its run id when it started, its result (seconds, epochs, best, message)
    when it ended, or a message from the coordinator when its process died."""
    attrs = dict(trial.user_attrs.get("result") or {})
    attrs.update((k, v) for k, v in trial.user_attrs.items() if k in ("run_id", "message"))
    return attrs


def trial_state(trial: FrozenTrial) -> str:
    if trial.state == TrialState.FAIL:
        return "failed" if trial_attrs(trial).get("message") else "interrupted"
    return {
        TrialState.COMPLETE: "complete",
        TrialState.PRUNED: "pruned",
        TrialState.RUNNING: "running",
        TrialState.WAITING: "waiting",
    }[trial.state]


COUNTED = ("complete", "pruned", "failed", "running", "waiting")  # what uses up the budget


def used_budget(trials: list[FrozenTrial]) -> int:
    return sum(trial_state(t) in COUNTED for t in trials)


def has_work(study: optuna.Study, experiment: Experiment) -> bool:
    """Whether a worker should start another trial: a queued grid point, or budget left."""
    if experiment.strategy == "grid":  # reads the queued trials only: this runs before every trial
        return bool(study.get_trials(deepcopy=False, states=(TrialState.WAITING,)))
    return used_budget(study.get_trials(deepcopy=False)) < experiment.trials


def queue_missing_grid_points(study: optuna.Study, experiment: Experiment) -> int:
    """Queue each grid point no trial has covered (finished, running or queued); returns how many.
    Called under the study lock, so two processes starting at once cannot both queue a point."""
    covered = set()
    for trial in study.get_trials(deepcopy=False):
        if trial_state(trial) in COUNTED:
            params = trial.params or trial.system_attrs.get("fixed_params", {})
            covered.add(_key(params, experiment))
    queued = 0
    for point in experiment.grid():
        if _key(point, experiment) not in covered:
            study.enqueue_trial(point)
            queued += 1
    return queued


def _key(params: dict[str, Any], experiment: Experiment) -> tuple:
    return tuple(repr(params.get(target)) for target in experiment.targets)


@contextlib.contextmanager
def study_lock(storage_url: str, local_lock: Any = None) -> Iterator[None]:
    """Serialise "is there budget left? then ask" between workers: a lock shared by this machine's
    workers, and for SQLite a file lock beside the database (other processes on the same disk)."""
    file_lock = None
    if storage_url.startswith("sqlite:///"):
        file_lock = FileLock(storage_url[len("sqlite:///") :] + ".lock")
    if local_lock is not None:
        local_lock.acquire()
    try:
        if file_lock is not None:
            while True:
                try:
                    file_lock.acquire()
                    break
                except LockBusy:
                    time.sleep(0.01)
        yield
    finally:
        if file_lock is not None:
            file_lock.release()
        if local_lock is not None:
            local_lock.release()


# -- the table ----------------------------------------------------------------------------------


def trial_rows(study: optuna.Study) -> list[dict[str, Any]]:
    """One row per trial (queued ones left out), in trial order."""
    rows = []
    for trial in sorted(study.get_trials(deepcopy=False), key=lambda t: t.number):
        if trial.state == TrialState.WAITING:
            continue
        attrs = trial_attrs(trial)
        seconds = attrs.get("seconds")
        if seconds is None and trial.datetime_start is not None:
            end = trial.datetime_complete.timestamp() if trial.datetime_complete else time.time()
            seconds = end - trial.datetime_start.timestamp()
        rows.append(
            {
                "trial": trial.number,
                "params": dict(trial.params),
                "state": trial_state(trial),
                "best": _finite_or_none(trial.value if trial.value is not None else attrs.get("best")),
                "epochs": attrs.get("epochs"),
                "seconds": round(seconds, 3) if seconds is not None else None,
                "run_id": attrs.get("run_id"),
                "message": attrs.get("message", ""),
            }
        )
    return rows


def best_row(rows: list[dict[str, Any]], direction: str) -> dict[str, Any] | None:
    done = [r for r in rows if r["state"] == "complete" and _finite(r["best"])]
    if not done:
        return None
    pick = max if direction == "maximize" else min
    return pick(done, key=lambda r: r["best"])


def write_tables(
    folder: str | os.PathLike, experiment: Experiment, metric: str, direction: str, rows: list[dict], status: str
) -> None:
    """trials.json and trials.csv, each replaced as a whole (the editor polls trials.json)."""
    folder = Path(folder)
    best = best_row(rows, direction)
    doc = {
        "experiment": experiment.name,
        "status": status,  # running, finished, stopped
        "metric": metric,
        "direction": direction,
        "targets": experiment.targets,
        "planned": experiment.planned_trials(),
        "best_trial": best["trial"] if best else None,
        "updated": time.time(),
        "trials": rows,
    }
    atomic_write_text(folder / TRIALS_JSON, json.dumps(doc, indent=1, allow_nan=False, default=_plain) + "\n")
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["trial", *experiment.targets, "state", f"best_{metric}", "epochs", "seconds", "run_id", "message"])
    for row in rows:
        writer.writerow(
            [
                row["trial"],
                *(row["params"].get(t, "") for t in experiment.targets),
                row["state"],
                "" if row["best"] is None else row["best"],
                "" if row["epochs"] is None else row["epochs"],
                "" if row["seconds"] is None else row["seconds"],
                row["run_id"] or "",
                row["message"],
            ]
        )
    atomic_write_text(folder / TRIALS_CSV, buffer.getvalue())


def _finite(value: Any) -> bool:
    return isinstance(value, (int, float)) and math.isfinite(value)


def _finite_or_none(value: Any) -> float | None:
    return float(value) if _finite(value) else None


def _plain(value: Any) -> Any:
    return str(value)
