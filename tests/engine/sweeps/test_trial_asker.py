"""How workers take a grid's queued points (each point once, whichever worker asks, points queued later too)
and tell how each trial ended."""

from __future__ import annotations

import optuna
import pytest
from optuna.trial import TrialState

from engine.sweeps import Experiment, parse_param
from engine.sweeps.study import TrialAsker, open_storage, queue_missing_grid_points, tell
from tests.engine.conftest import make_mlp


def _grid(tmp_path, values: str):
    graph = make_mlp(hidden=8)
    experiment = Experiment("exp", [parse_param(f"adam.lr={values}", graph)], "grid", 0)
    url = f"sqlite:///{tmp_path / 'study.db'}"
    study = optuna.create_study(study_name="exp", storage=open_storage(url), direction="maximize")
    queue_missing_grid_points(study, experiment)
    return experiment, url


def _worker(experiment, url):
    """What one worker process holds: its own storage connection, study and asker."""
    study = optuna.load_study(study_name="exp", storage=open_storage(url))
    return study, TrialAsker(study, experiment)


def test_two_workers_take_every_point_once_and_then_get_none(tmp_path):
    experiment, url = _grid(tmp_path, "0.1,0.03,0.01,0.003,0.001")
    workers = [_worker(experiment, url) for _ in range(2)]
    taken = []
    for turn in range(5):  # both read the queue first, then take turns: each must skip what the other took
        study, asker = workers[turn % 2]
        trial = asker.ask()
        taken.append(trial.suggest_categorical("adam.lr", [0.1, 0.03, 0.01, 0.003, 0.001]))
        study.tell(trial, 0.5)
    assert sorted(taken) == [0.001, 0.003, 0.01, 0.03, 0.1]
    assert [asker.ask() for _, asker in workers] == [None, None]
    study = workers[0][0]
    assert [t.state for t in study.get_trials()] == [TrialState.COMPLETE] * 5


def test_a_point_queued_after_a_worker_read_the_queue_is_still_taken(tmp_path):
    experiment, url = _grid(tmp_path, "0.1,0.01")
    study, asker = _worker(experiment, url)
    first = asker.ask()
    study.tell(first, 0.5)
    study.enqueue_trial({"adam.lr": 0.001})  # e.g. a session resumed on another machine re-queued a point
    points = []
    while (trial := asker.ask()) is not None:
        points.append(trial.suggest_categorical("adam.lr", [0.1, 0.01, 0.001]))
        study.tell(trial, 0.5)
    assert sorted(points) == [0.001, 0.01]


def test_tell_stores_what_optunas_tell_would(tmp_path):
    experiment, url = _grid(tmp_path, "0.1,0.03,0.01,0.003")
    study, asker = _worker(experiment, url)
    trials = [asker.ask() for _ in range(4)]
    tell(study, trials[0], 0.75, None)
    tell(study, trials[1], None, TrialState.FAIL)
    with pytest.warns(UserWarning, match="nan is not acceptable"):
        tell(study, trials[2], float("nan"), None)  # Optuna's own way: failed, with its warning
    trials[3].report(0.5, 1)
    trials[3].report(0.25, 2)
    tell(study, trials[3], None, TrialState.PRUNED)  # Optuna's own way: its last reported value
    stored = optuna.load_study(study_name="exp", storage=url).get_trials()
    assert [(t.state, t.value) for t in stored] == [
        (TrialState.COMPLETE, 0.75),
        (TrialState.FAIL, None),
        (TrialState.FAIL, None),
        (TrialState.PRUNED, 0.25),
    ]
    assert all(t.datetime_complete is not None for t in stored)
