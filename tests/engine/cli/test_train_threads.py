"""Training picks its CPU thread count from the model's size and the machine's load; `--threads` overrides.

The editor's training process and `python -m engine train` use the same choice
(engine/training/threads.py), and run.json records it with its reason.
"""

from __future__ import annotations

import json
import multiprocessing

import pytest
import torch

from engine.analysis import analyze
from engine.cli import main
from engine.graph import save_graph
from engine.graph.fileformat import graph_to_document
from engine.runs.worker import run_job
from engine.training import TrainingControl
from engine.training.threads import WORK_PER_THREAD, choose_threads, step_work
from tests.engine.conftest import make_mlp
from tests.engine.training.conftest import tiny_mlp


@pytest.fixture(autouse=True)
def restore_threads(monkeypatch):
    """These tests let training set torch's thread count; put it back after each."""
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    threads = torch.get_num_threads()
    yield
    torch.set_num_threads(threads)


def test_a_small_model_gets_one_thread_even_on_many_idle_cores():
    choice = choose_threads(WORK_PER_THREAD // 10, cores=16, environ={}, load=0.0)
    assert (choice.threads, choice.chosen_by) == (1, "model size")


def test_a_large_model_gets_a_thread_per_share_of_work_up_to_the_free_cores():
    assert choose_threads(4 * WORK_PER_THREAD, cores=16, environ={}, load=0.0).threads == 4
    assert choose_threads(100 * WORK_PER_THREAD, cores=16, environ={}, load=0.0).threads == 16
    assert choose_threads(100 * WORK_PER_THREAD, cores=16, environ={}, load=0.0, reserve_cores=1).threads == 15
    # cores other processes keep busy are not free: threads there wait on each other
    assert choose_threads(100 * WORK_PER_THREAD, cores=16, environ={}, load=12.2).threads == 4
    assert choose_threads(100 * WORK_PER_THREAD, cores=2, environ={}, load=3.0).threads == 1


def test_an_explicit_count_wins_then_omp_num_threads():
    assert choose_threads(0, requested=3, cores=2, environ={"OMP_NUM_THREADS": "1"}).threads == 3
    choice = choose_threads(100 * WORK_PER_THREAD, cores=16, environ={"OMP_NUM_THREADS": "2"}, load=0.0)
    assert (choice.threads, choice.chosen_by) == (2, "OMP_NUM_THREADS")
    with pytest.raises(ValueError, match="1 or more"):
        choose_threads(0, requested=0)


def test_step_work_counts_each_weight_once_per_sample_forward_and_twice_backward():
    graph = make_mlp(hidden=32)  # 64 -> 32 -> 10
    parameters = {"fc1": 64 * 32 + 32, "fc2": 32 * 10 + 10}
    assert step_work(graph, analyze(graph), parameters, batch_size=8) == 3 * 8 * (64 * 32 + 32 + 32 * 10 + 10)


def test_a_convolution_counts_its_weights_once_per_output_pixel():
    from engine.graph import Graph

    graph = Graph()
    graph.add_node("data.Input", {"shape": [1, 10, 10]}, node_id="x")
    graph.add_node("layers.Conv2d", {"out_channels": 4, "kernel_size": 3, "padding": 1}, node_id="conv")
    graph.connect("x", "out", "conv", "in")
    weights = 4 * 9 + 4
    assert step_work(graph, analyze(graph), {"conv": weights}, batch_size=1) == 3 * weights * 100


def test_train_on_the_command_line_records_the_choice(tmp_path):
    path = tmp_path / "g.json"
    save_graph(tiny_mlp(epochs=1), path)
    assert main(["train", str(path), "--out", str(tmp_path / "auto"), "--no-progress"]) == 0
    auto = json.loads((tmp_path / "auto" / "run.json").read_text())["threads"]
    assert auto["chosen_by"] == "model size" and auto["threads"] == 1  # a tiny MLP
    assert 0 < auto["work_per_step"] < WORK_PER_THREAD
    assert torch.get_num_threads() == 1

    assert main(["train", str(path), "--out", str(tmp_path / "two"), "--no-progress", "--threads", "2"]) == 0
    given = json.loads((tmp_path / "two" / "run.json").read_text())["threads"]
    assert (given["threads"], given["chosen_by"]) == (2, "requested")
    assert torch.get_num_threads() == 2


@pytest.mark.parametrize("value", ["0", "-1", "two", "1.5"])
def test_a_bad_thread_count_exits_2(tmp_path, capsys, value):
    path = tmp_path / "g.json"
    save_graph(tiny_mlp(epochs=1), path)
    with pytest.raises(SystemExit) as exit_info:
        main(["train", str(path), "--out", str(tmp_path / "run"), "--threads", value])
    assert exit_info.value.code == 2
    assert "whole number of threads" in capsys.readouterr().err


class ListQueue:
    def __init__(self):
        self.batches = []

    def put(self, batch):
        self.batches.append(batch)


def test_the_editors_training_process_chooses_the_same_way_and_records_it(tmp_path):
    job = {
        "graph": graph_to_document(tiny_mlp(epochs=1)),
        "settings": {"device": "cpu"},
        "run_dir": str(tmp_path / "run"),
        "insights": False,
    }
    run_job(job, ListQueue(), TrainingControl())
    record = json.loads((tmp_path / "run" / "run.json").read_text())
    assert record["status"] == "completed"
    assert (record["threads"]["threads"], record["threads"]["chosen_by"]) == (1, "model size")
    run_job({**job, "run_dir": str(tmp_path / "again"), "threads": 2}, ListQueue(), TrainingControl())
    assert json.loads((tmp_path / "again" / "run.json").read_text())["threads"]["threads"] == 2


def test_the_default_leaves_one_core_to_the_editor():
    cores = multiprocessing.cpu_count()
    choice = choose_threads(1000 * WORK_PER_THREAD, cores=cores, environ={}, load=0.0, reserve_cores=1)
    assert choice.threads == max(1, cores - 1)
