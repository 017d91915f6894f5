"""Build the standalone Linux bundle: one folder a student runs without Python or pip.

    pip install -e ".[bundle]"
    python packaging/build_bundle.py            # -> dist/netwright/netwright (about 1.1 GB)

The bundle is whatever this environment holds: build it in a venv with the CPU wheel of torch
for a small bundle that runs on any x86-64 Linux, with the CUDA build for one that trains on
NVIDIA GPUs (several GB). After building, the script runs the bundle: it validates an example,
then opens the editor offscreen on it and starts its training process (`--no-check` skips that).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT / "packaging" / "netwright.spec"
NAME = "netwright"
CHECK_EXAMPLE = Path("resources") / "examples" / "mlp_digits.json"  # inside the bundle's _internal/
EXIT_USAGE = 2


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python packaging/build_bundle.py", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--dist", type=Path, default=ROOT / "dist", help="where the bundle folder goes (default: dist/)"
    )
    parser.add_argument(
        "--work",
        type=Path,
        default=ROOT / "build" / "bundle",
        help="PyInstaller's scratch folder (default: build/bundle)",
    )
    parser.add_argument("--no-check", action="store_true", help="do not run the bundle after building it")
    args = parser.parse_args(argv)
    if not sys.platform.startswith("linux"):
        print("error: this script builds the Linux bundle; run it on Linux", file=sys.stderr)
        return EXIT_USAGE
    try:
        import PyInstaller  # noqa: F401 - only to learn whether the bundle extra is installed
    except ImportError:
        print('error: PyInstaller is not installed: pip install -e ".[bundle]"', file=sys.stderr)
        return EXIT_USAGE
    started = time.perf_counter()
    build = [sys.executable, "-m", "PyInstaller", "--noconfirm", "--clean", "--log-level", "WARN"]
    build += ["--distpath", str(args.dist), "--workpath", str(args.work), str(SPEC)]
    # PyInstaller imports every torch submodule to find its imports: hide the deprecation notes that prints
    quiet = {**os.environ, "PYTHONWARNINGS": "ignore::DeprecationWarning"}
    if subprocess.run(build, cwd=ROOT, env=quiet).returncode != 0:
        print("error: PyInstaller failed (its messages are above)", file=sys.stderr)
        return 1
    folder = args.dist / NAME
    print(f"built {folder} in {time.perf_counter() - started:.0f} s: {folder_size(folder) / 2**20:,.0f} MiB")
    if args.no_check:
        return 0
    return 0 if check_bundle(folder) else 1


def folder_size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink())


def check_bundle(folder: Path, timeout_s: float = 300.0) -> bool:
    """Run the built bundle as a user would: validate an example, open the editor offscreen on it."""
    executable = folder / NAME
    example = folder / "_internal" / CHECK_EXAMPLE
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    for args in (["validate", str(example)], ["edit", "--check", str(example)]):
        started = time.perf_counter()
        result = subprocess.run(
            [str(executable), *args], capture_output=True, text=True, timeout=timeout_s, env=env, cwd=folder.parent
        )
        seconds = time.perf_counter() - started
        if result.returncode != 0:
            print(f"error: `netwright {' '.join(args)}` failed (exit {result.returncode}):", file=sys.stderr)
            print(result.stdout + result.stderr, file=sys.stderr)
            return False
        print(f"netwright {args[0]}: {result.stdout.strip().splitlines()[-1]} ({seconds:.1f} s)")
    return True


if __name__ == "__main__":
    sys.exit(main())
