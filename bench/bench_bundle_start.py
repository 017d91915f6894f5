"""Start time of the standalone bundle vs the same commands from the virtual environment.

    python packaging/build_bundle.py --no-check        # builds dist/netwright
    python bench/bench_bundle_start.py [--bundle dist/netwright] [--repeats 5]

For each way of starting: `netwright --help` (interpreter and launcher only), `netwright validate`
(the engine, no torch) and `netwright edit --check` offscreen, timed to the line that says the
window has opened the example and validated it, and to the line that says the training process
(which imports torch) is ready. Medians of interleaved runs; the ratio bundle / venv is the figure
to compare across machines. Also prints the bundle's size.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "resources" / "examples" / "mlp_digits.json"


def timed_lines(command: list[str], markers: tuple[str, ...]) -> list[float]:
    """Seconds from the start until each marker first appears at the start of a stdout line."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)
    found: dict[str, float] = {}
    for line in process.stdout:
        for marker in markers:
            if marker not in found and marker in line:
                found[marker] = time.perf_counter() - started
    process.wait(timeout=300)
    total = time.perf_counter() - started
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed with exit code {process.returncode}")
    return [found.get(marker, total) for marker in markers]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bundle", type=Path, default=ROOT / "dist" / "netwright")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    bundled = args.bundle / "netwright"
    installed = shutil.which("netwright") or str(Path(sys.executable).parent / "netwright")
    if not bundled.is_file():
        print(f"error: no bundle at {bundled}: build it with python packaging/build_bundle.py", file=sys.stderr)
        return 2
    bundle_example = args.bundle / "_internal" / "resources" / "examples" / "mlp_digits.json"
    cases = {
        "--help": (["--help"], ("usage:",)),
        "validate": (["validate", "{example}"], ("OK:",)),
        "edit --check": (["edit", "--check", "{example}"], ("opened in the editor", "training process: ready")),
    }
    results: dict[tuple[str, str, int], list[float]] = {}
    for _ in range(args.repeats):
        for way, executable, example in (("venv", installed, EXAMPLE), ("bundle", str(bundled), bundle_example)):
            for case, (case_args, markers) in cases.items():
                command = [executable, *(a.format(example=example) for a in case_args)]
                for index, seconds in enumerate(timed_lines(command, markers)):
                    results.setdefault((case, way, index), []).append(seconds)
    size = sum(p.stat().st_size for p in args.bundle.rglob("*") if p.is_file() and not p.is_symlink())
    print(f"bundle {args.bundle}: {size / 2**20:,.0f} MiB; medians of {args.repeats} (seconds)")
    print("| command | until | venv | bundle | bundle / venv |")
    print("| --- | --- | --- | --- | --- |")
    for case, (_case_args, markers) in cases.items():
        for index, marker in enumerate(markers):
            venv = statistics.median(results[(case, "venv", index)])
            bundle = statistics.median(results[(case, "bundle", index)])
            print(f"| `netwright {case}` | `{marker}` | {venv:.2f} | {bundle:.2f} | {bundle / venv:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
