"""From pressing Train to the first trained batch, in a fresh editor's training child.

    python bench/bench_first_batch.py [--repeats 3] [--examples mlp_digits cnn_digits]

For each example graph and repeat: start a fresh `TrainingSession` (the editor's child
process), then press Train either

- warm: after the child said it has loaded what a first job needs (`warm`), as when the
  user has been editing for a few seconds; target <= 0.3 s;
- at once: as soon as the child is up (`hello`), the worst case: Train pressed the moment
  the editor opened, so the warm-up is still under way.

The time is from sending the job (this process's wall clock) to the end of the first batch
in the child (its wall clock, the same machine). One epoch is trained; the child is closed.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

EXAMPLES = ROOT / "resources" / "examples"
TARGET_S = 0.3


def first_batch(example: Path, folder: Path, warm: bool) -> float:
    from editor.training.session import TrainingSession
    from engine.graph import load_graph
    from engine.graph.fileformat import graph_to_document

    session = TrainingSession()
    session.prewarm()
    while not (session.warm if warm else session.ready):
        session.poll()
        time.sleep(0.01)
    finished: dict = {}
    session.message.connect(lambda kind, data: finished.update(data) if kind == "finished" else None)
    graph = load_graph(example)
    graph.training["epochs"] = 1
    document = graph_to_document(graph)
    pressed = time.time()
    session.start(
        {
            "graph": document,
            "graph_file": str(example),
            "settings": {"device": "cpu"},
            "run_dir": str(folder / f"run-{time.time_ns()}"),
            "insights": True,
        }
    )
    while session.state != "idle":
        session.poll()
        time.sleep(0.01)
    session.close()
    if finished.get("error"):
        raise SystemExit(f"{example.name}: {finished['error']['message']}")
    return finished["first_batch_at"] - pressed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--examples", nargs="*", default=["mlp_digits", "cnn_digits"])
    args = parser.parse_args(argv)
    from PySide6 import QtCore

    QtCore.QCoreApplication.instance() or QtCore.QCoreApplication([])
    folder = Path(tempfile.mkdtemp(prefix="netwright-first-batch-"))
    print(f"{os.cpu_count()} cores, load average {', '.join(f'{v:.1f}' for v in os.getloadavg())}")
    worst = 0.0
    for name in args.examples:
        example = EXAMPLES / f"{name}.json"
        for warm in (True, False):
            times = [first_batch(example, folder, warm) for _ in range(args.repeats)]
            label = "warm   " if warm else "at once"
            print(
                f"{name:16} {label}  median {statistics.median(times):.3f} s  "
                f"(min {min(times):.3f}, max {max(times):.3f}, {args.repeats} fresh children)",
                flush=True,
            )
            if warm:
                worst = max(worst, max(times))
    print(
        f"Train to first batch, warm child, worst: {worst:.3f} s (target <= {TARGET_S} s: "
        f"{'met' if worst <= TARGET_S else 'NOT met'})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
