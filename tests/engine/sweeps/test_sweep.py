"""Real sweeps on a tiny MLP (digits, one epoch): worker processes, the study, the tables, the runs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from engine.graph import save_graph
from engine.runs import RunStore
from engine.sweeps import Experiment, parse_param
from engine.sweeps.runner import Sweep
from tests.engine.conftest import make_mlp

ROOT = Path(__file__).resolve().parents[3]
pytestmark = pytest.mark.slow  # each sweep starts worker processes that import torch


@pytest.fixture
def graph_file(tmp_path):
    graph = make_mlp(hidden=8)
    graph.training.update(epochs=1, batch_size=128)
    path = tmp_path / "mlp.json"
    save_graph(graph, path)
    return path


def _sweep(graph_file, folder, *texts, resume=False, **fields):
    from engine.graph import load_graph

    graph = load_graph(graph_file)
    doc = {"name": "exp", "params": [parse_param(t, graph).to_dict() for t in texts], **fields}
    return Sweep(graph, graph_file, Experiment.from_dict(doc, graph), folder, resume=resume)


def _table(folder):
    return json.loads((Path(folder) / "trials.json").read_text())


def test_a_seeded_tpe_sweep_repeats(graph_file, tmp_path):
    proposals = []
    for name in ("a", "b"):
        summary = _sweep(
            graph_file,
            tmp_path / name,
            "adam.lr=log:1e-3:1e-1",
            "fc1.out_features=lin:4:16",
            strategy="tpe",
            trials=4,
            seed=5,
        ).run(jobs=1)
        proposals.append([r["params"] for r in summary.rows])
    assert proposals[0] == proposals[1]
    assert len({json.dumps(p, sort_keys=True) for p in proposals[0]}) == 4


def test_a_stopped_sweep_keeps_its_finished_trials_and_resume_runs_only_the_rest(graph_file, tmp_path):
    folder = tmp_path / "exp"
    sweep = _sweep(graph_file, folder, "adam.lr=0.1,0.03,0.01,0.003,0.001", strategy="grid")
    sweep.publish_s = 0  # see every change at once: the one-epoch trials end faster than the tables' rate

    def stop_after_two(rows):
        if sum(r["state"] == "complete" for r in rows) >= 2:
            sweep.stop()

    first = sweep.run(jobs=1, on_change=stop_after_two)
    assert first.status == "stopped"
    done = {r["trial"]: r for r in first.rows if r["state"] == "complete"}
    assert len(done) >= 2 and _table(folder)["status"] == "stopped"
    with pytest.raises(Exception, match="continue it with --resume"):
        _sweep(graph_file, folder, "adam.lr=0.1,0.03,0.01,0.003,0.001", strategy="grid").run(jobs=1)
    second = _sweep(graph_file, folder, "adam.lr=0.1,0.03,0.01,0.003,0.001", strategy="grid", resume=True).run(jobs=1)
    complete = [r for r in second.rows if r["state"] == "complete"]
    assert second.status == "finished"
    assert sorted(r["params"]["adam.lr"] for r in complete) == [0.001, 0.003, 0.01, 0.03, 0.1]  # each point once
    for number, row in done.items():  # the finished trials were not run again
        assert next(r for r in second.rows if r["trial"] == number)["run_id"] == row["run_id"]
    # without pruning a trial's curve is stored in one write when it ends: still every epoch's metric
    curves = _curves(folder)
    for row in complete:
        history = RunStore.beside(graph_file).get(row["run_id"]).history()
        assert list(curves[row["trial"]].values()) == pytest.approx([entry["val_acc"] for entry in history])


def test_two_worker_processes_share_one_sqlite_grid_each_point_once_and_failures_do_not_stop_it(graph_file, tmp_path):
    # two sweep commands (two machines, as far as they know) on one SQLite study; out_features 3 cannot hold
    # the ten digit classes, so those trials fail and the others go on
    folder = tmp_path / "shared"
    command = [sys.executable, "-m", "engine", "sweep", str(graph_file), "--param", "fc2.out_features=10,3",
               "--param", "adam.lr=0.01,0.003,0.001", "--strategy", "grid", "--name", "exp", "--jobs", "1",
               "--out", str(folder), "--resume", "--no-progress"]  # fmt: skip
    workers = [subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
               for _ in range(2)]  # fmt: skip
    outputs = [w.communicate(timeout=300) for w in workers]
    assert [w.returncode for w in workers] == [0, 0], outputs
    table = _table(folder)
    rows = table["trials"]
    assert sorted(r["trial"] for r in rows) == list(range(6))  # one study: six points, not twelve trials
    points = [(r["params"]["fc2.out_features"], r["params"]["adam.lr"]) for r in rows]
    assert sorted(points) == sorted((w, lr) for w in (10, 3) for lr in (0.01, 0.003, 0.001))  # each once
    assert {r["state"] for r in rows if r["params"]["fc2.out_features"] == 10} == {"complete"}
    failed = [r for r in rows if r["params"]["fc2.out_features"] == 3]
    assert {r["state"] for r in failed} == {"failed"}
    assert all(r["message"] and "\n" not in r["message"] for r in failed)
    best = next(r for r in rows if r["trial"] == table["best_trial"])
    assert best["params"]["fc2.out_features"] == 10 and 0 < best["best"] <= 1
    # every trial is an ordinary run of the graph, tagged with its experiment and trial
    runs = {run.id: run for run in RunStore.beside(graph_file).runs()}
    assert {r["run_id"] for r in rows} == set(runs)
    for row in rows:
        record = runs[row["run_id"]].record
        assert record["experiment"]["name"] == "exp" and record["experiment"]["trial"] == row["trial"]
        assert record["graph"]["nodes"][3]["params"]["out_features"] == row["params"]["fc2.out_features"]
        assert (runs[row["run_id"]].weights is not None) == (row["state"] == "complete")
    csv = (folder / "trials.csv").read_text().splitlines()
    assert csv[0] == "trial,fc2.out_features,adam.lr,state,best_val_acc,epochs,seconds,run_id,message"
    assert len(csv) == 7 and table["status"] == "finished"
    assert json.loads((folder / "experiment.json").read_text())["experiment"]["strategy"] == "grid"


def _curves(folder):
    import optuna

    from engine.sweeps.study import default_storage

    trials = optuna.load_study(study_name="exp", storage=default_storage(folder)).get_trials()
    return {t.number: t.intermediate_values for t in trials}


def test_pruning_reports_each_epoch_and_stops_a_poor_trial(graph_file, tmp_path):
    from engine.graph import load_graph

    graph = load_graph(graph_file)
    graph.training.update(epochs=3)
    save_graph(graph, graph_file)
    # with pruning the curve is reported each epoch; three good trials, then one that cannot learn
    points = "adam.lr=0.01,0.02,0.03,0.0000001"
    pruned = _sweep(graph_file, tmp_path / "pruned", points, strategy="grid", prune=True).run(jobs=1)
    states = {r["params"]["adam.lr"]: r["state"] for r in pruned.rows}
    assert states == {0.01: "complete", 0.02: "complete", 0.03: "complete", 0.0000001: "pruned"}
    curves = _curves(tmp_path / "pruned")
    assert all(len(curves[n]) == 3 for n in range(3)) and 1 <= len(curves[3]) < 3


def test_a_worker_killed_mid_trial_fails_that_trial_and_another_worker_finishes_the_grid(graph_file, tmp_path):
    import multiprocessing
    import os
    import signal

    from engine.graph import load_graph

    graph = load_graph(graph_file)
    graph.training.update(epochs=60)  # long enough that the kill lands inside the first trial
    save_graph(graph, graph_file)
    sweep = _sweep(graph_file, tmp_path / "exp", "adam.lr=0.01,0.003", strategy="grid")
    sweep.publish_s = 0  # the running trial is seen at once, not up to PUBLISH_S later
    killed = []

    def kill_the_first_worker(rows):
        if not killed and any(r["state"] == "running" for r in rows):
            worker = next(p for p in multiprocessing.active_children() if p.name == "sweep-worker-0")
            os.kill(worker.pid, signal.SIGKILL)
            killed.append(worker.pid)

    summary = sweep.run(jobs=1, on_change=kill_the_first_worker)
    assert killed and summary.status == "finished"
    by_trial = {r["trial"]: r for r in summary.rows}
    assert by_trial[0]["state"] == "failed" and "killed by signal 9" in by_trial[0]["message"]
    assert by_trial[1]["state"] == "complete" and summary.counts == {"failed": 1, "complete": 1}
