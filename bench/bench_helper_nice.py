"""What lowering the training child's helper threads to nice 10 changes: the editor's job streamed
without a window, alternating with and without (NETWRIGHT_HELPER_NICE=0), in pairs whose order
alternates.

    QT_QPA_PLATFORM=offscreen python bench/bench_helper_nice.py [--epochs 300] [--pairs 6]

Each run is a fresh editor child (warmed, as while the user edits) training the digits MLP with its
metrics files, inspection recorder, insights and event stream (`bench_live_training.streaming_no_ui`);
throughput is samples / seconds inside `fit()`. Prints each pair's ratio (niced / not) and their median.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_live_training  # noqa: E402 (after the path and platform are set)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=300)
    parser.add_argument("--pairs", type=int, default=6)
    args = parser.parse_args(argv)
    from editor.app import create_application

    create_application()
    folder = Path(tempfile.mkdtemp(prefix="netwright-bench-"))
    runs: dict[str, list[float]] = {"1": [], "0": []}
    for pair in range(args.pairs):
        for setting in ("1", "0") if pair % 2 == 0 else ("0", "1"):
            os.environ["NETWRIGHT_HELPER_NICE"] = setting  # the spawned child reads it
            runs[setting].append(bench_live_training.streaming_no_ui(args.epochs, folder))
        print(
            f"pair {pair + 1} (load {os.getloadavg()[0]:.1f}): niced {runs['1'][-1]:,.0f}  not {runs['0'][-1]:,.0f} "
            f"samples/s;  niced / not {runs['1'][-1] / runs['0'][-1]:.3f}",
            flush=True,
        )
    os.environ.pop("NETWRIGHT_HELPER_NICE")
    ratio = statistics.median(a / b for a, b in zip(runs["1"], runs["0"], strict=True))
    print(
        f"digits MLP, {args.epochs} epochs, {args.pairs} pairs, {os.cpu_count()} cores: median niced / not {ratio:.3f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
