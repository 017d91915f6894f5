"""What recording the inspection costs: training time with the recorder on vs off, same process.

    python bench/bench_inspection.py                       # mlp_digits and cnn_digits, 5 repeats
    python bench/bench_inspection.py --repeats 7 --epochs 20 --examples mlp_digits
    python bench/bench_inspection.py --every 1                 # every epoch, not spaced by cost
    python bench/bench_inspection.py --ui --ui-epochs 12 --repeats 3   # the Inspector's GUI-thread cost, live

`--ui` runs bench/bench_inspector_ui.py instead: the main window training cnn_digits live with the
Inspector closed, open on conv1, and open with its pictures prepared on the GUI thread (see there).

Each repeat trains the example twice from the same seed, once with the recorder off and once
on (the default settings: spaced by cost, 16 probe samples, 20 MB bound; `--every` for a fixed
spacing), the order alternating between repeats so a machine whose load drifts slows both alike. Times are CPU seconds of this
process (`time.process_time`) and wall seconds, one torch thread (what `train` picks for these
models). Prints each repeat's on/off ratio, their median, the recording's size on disk, the time the
recorder itself took as a share of the epochs' time (measured inside the run, so a load that
drifts between runs does not blur it) and the cost of one 64x64 decision map of a small 2-D
classifier (the editor redraws it live).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402

from engine.graph import load_graph  # noqa: E402
from engine.inspection.recorder import InspectionRecorder  # noqa: E402
from engine.inspection.store import InspectionStore  # noqa: E402
from engine.training.trainer import Trainer  # noqa: E402

EXAMPLES = Path(__file__).resolve().parents[1] / "resources" / "examples"


def train_once(graph, epochs: int, record: bool, folder: Path, every: int = 0) -> tuple[float, float, float, float]:
    """(CPU seconds, wall seconds) of one fit, and the shares of its epochs' wall time spent recording:
    on the training thread, and CPU time of the recorder's writer thread."""
    recorder = InspectionRecorder(folder, enabled=record, every=every)
    trainer = Trainer(graph, settings={"epochs": epochs, "seed": 0}, callbacks=[recorder])
    cpu, wall = time.process_time(), time.perf_counter()
    trainer.fit()
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    if not (record and recorder.trained):
        return cpu, wall, 0.0, 0.0
    return cpu, wall, recorder.on_thread / recorder.trained, recorder.written / recorder.trained


def bench_example(name: str, epochs: int, repeats: int, every: int = 0) -> float:
    graph = load_graph(EXAMPLES / f"{name}.json")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        train_once(graph, 1, True, folder)  # warm-up: imports, kernels, the data's first read
        ratios, walls, rows, shares, recorded = [], [], [], [], []
        for repeat in range(repeats):
            order = (False, True) if repeat % 2 == 0 else (True, False)
            times = {record: train_once(graph, epochs, record, folder, every) for record in order}
            ratio = times[True][0] / times[False][0]
            ratios.append(ratio)
            walls.append(times[True][1] / times[False][1])
            shares.append(times[True][2] + times[True][3])
            recorded.append(InspectionStore(folder).epochs())
            rows.append(
                f"  repeat {repeat + 1} ({'off, on' if order[0] is False else 'on, off'}): "
                f"off {times[False][0]:.2f} s CPU ({times[False][1]:.2f} wall), "
                f"on {times[True][0]:.2f} s CPU ({times[True][1]:.2f} wall), CPU ratio {ratio:.3f}, "
                f"wall ratio {walls[-1]:.3f}; recorder's own time {shares[-1]:.1%} of the epochs' "
                f"(training thread {times[True][2]:.1%}, writer thread CPU {times[True][3]:.1%}); "
                f"{len(recorded[-1])} epochs {recorded[-1]}"
            )
        size = sum(f.stat().st_size for f in (folder / "inspection").iterdir())
    print(f"{name}: {epochs} epochs, {repeats} repeats, inspect_every {every or '0 (auto)'}")
    print("\n".join(rows))
    counts = [len(r) for r in recorded]
    print(
        f"  median ratio on/off: CPU {statistics.median(ratios):.3f} (min {min(ratios):.3f}, max {max(ratios):.3f}), "
        f"wall {statistics.median(walls):.3f}; recording {size / 2**20:.2f} MB, {min(counts)}-{max(counts)} epochs; "
        f"recorder's own time (measured inside the run) median {statistics.median(shares):.1%} of the epochs' time"
    )
    return statistics.median(ratios)


def bench_decision_map(repeats: int = 20) -> None:
    from engine.graph import Graph
    from engine.inspection.boundary import decision_map
    from engine.inspection.trained import TrainedRun

    graph = Graph(name="moons")
    graph.add_node("data.Dataset", {"dataset": "moons", "num_samples": 400}, node_id="data")
    for node_id, type_id, params in (
        ("fc1", "layers.Linear", {"out_features": 8}),
        ("act1", "activations.Tanh", {}),
        ("fc2", "layers.Linear", {"out_features": 8}),
        ("act2", "activations.Tanh", {}),
        ("fc3", "layers.Linear", {"out_features": 2}),
    ):
        graph.add_node(type_id, params, node_id=node_id)
    graph.add_node("losses.CrossEntropy", node_id="loss")
    graph.add_node("optimizers.Adam", node_id="adam")
    chain = ["data", "fc1", "act1", "fc2", "act2", "fc3"]
    for src, dst in zip(chain, chain[1:], strict=False):
        graph.connect(src, "x" if src == "data" else "out", dst, "in")
    graph.connect("fc3", "out", "loss", "prediction")
    graph.connect("data", "y", "loss", "target")
    graph.connect("loss", "loss", "adam", "losses")
    trainer = Trainer(graph, settings={"epochs": 1, "inspect": False})
    trainer.fit()

    # what the editor holds while training: the trainer's modules and data, no run folder
    live = TrainedRun(Path("."), graph, trainer.plan, trainer.data, trainer.modules.eval(), 0)
    units = ["fc1", "act1", "fc2", "act2"]
    decision_map(live, (-1.5, 2.5, -1.0, 1.5), 64, units, "fc3")
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        decision_map(live, (-1.5, 2.5, -1.0, 1.5), 64, units, "fc3")
        times.append(time.perf_counter() - start)
    print(
        f"decision map 64x64 of a 2-8-8-2 MLP with the maps of its 32 units: median {statistics.median(times) * 1000:.1f} ms "
        f"(min {min(times) * 1000:.1f}) over {repeats}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", nargs="+", default=["mlp_digits", "cnn_digits"])
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--every", type=int, default=0, help="inspect_every (0: auto, the default)")
    parser.add_argument("--ui", action="store_true", help="the Inspector's GUI-thread lateness (bench_inspector_ui)")
    parser.add_argument("--ui-epochs", type=int, default=12)
    args = parser.parse_args()
    if args.ui:
        from bench_inspector_ui import run

        run(args.ui_epochs, args.repeats)
        return
    torch.set_num_threads(1)
    for name in args.examples:
        bench_example(name, args.epochs, args.repeats, args.every)
    bench_decision_map()


if __name__ == "__main__":
    main()
