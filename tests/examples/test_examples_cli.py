"""Every example trains through the headless CLI (one epoch each: the targets are checked in
test_examples_train.py)."""

import json
import os
import subprocess
import sys

import pytest

from tests.examples.conftest import EXAMPLES

ROOT = EXAMPLES.parents[1]

pytestmark = pytest.mark.slow  # a subprocess per example: CI runs them, the fast loop skips them


@pytest.mark.parametrize("name", sorted(p.stem for p in EXAMPLES.glob("*.json")))
def test_example_trains_through_the_cli(name, tmp_path):
    out = tmp_path / "run"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "engine",
            "train",
            str(EXAMPLES / f"{name}.json"),
            "--epochs",
            "1",
            "--out",
            str(out),
            "--no-progress",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
    )
    assert result.returncode == 0, result.stderr[-2000:]
    rows = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert [row["epoch"] for row in rows] == [1]
    assert json.loads((out / "run.json").read_text())["status"] == "completed"
    assert (out / "weights.safetensors").stat().st_size > 0
