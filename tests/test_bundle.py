"""The standalone Linux bundle (packaging/): it ships what the app reads, builds, and runs."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from editor.files import EXAMPLES_DIR

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT / "packaging" / "netwright.spec"


def _spec_datas() -> list[tuple[str, str]]:
    """DATAS of the spec as (source relative to the checkout, destination in the bundle)."""
    tree = ast.parse(SPEC.read_text(encoding="utf-8"))
    node = next(n for n in tree.body if isinstance(n, ast.Assign) and n.targets[0].id == "DATAS")
    pairs = []
    for item in node.value.elts:
        source, destination = item.elts
        # str(ROOT / "a" / "b") -> a/b
        parts = []
        expr = source.args[0]
        while isinstance(expr, ast.BinOp):
            parts.insert(0, expr.right.value)
            expr = expr.left
        pairs.append(("/".join(parts), destination.value))
    return pairs


def test_the_spec_ships_the_examples_where_the_editor_looks_for_them():
    # in the bundle the packages sit in _internal/, so paths relative to the checkout's root carry over
    examples = EXAMPLES_DIR.relative_to(ROOT).as_posix()
    assert (examples, examples) in _spec_datas()
    for source, _destination in _spec_datas():
        assert (ROOT / source).is_dir(), source


def test_the_packages_hold_no_data_files_the_spec_would_miss():
    """PyInstaller collects modules, not data: a non-Python file in engine/ or editor/ must be listed."""
    shipped = [ROOT / source for source, _ in _spec_datas()]
    for package in ("engine", "editor"):
        for path in (ROOT / package).rglob("*"):
            if path.is_file() and path.suffix not in (".py", ".pyc") and "__pycache__" not in path.parts:
                assert any(path.is_relative_to(folder) for folder in shipped), f"{path} is not in the bundle"


def test_pyinstaller_comes_with_the_bundle_and_dev_extras_only():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert not any(dep.lower().startswith("pyinstaller") for dep in project["dependencies"])
    for extra in ("bundle", "dev"):
        assert any(dep.lower().startswith("pyinstaller") for dep in project["optional-dependencies"][extra]), extra


@pytest.mark.slow
@pytest.mark.timeout(1500)
def test_the_bundle_builds_and_opens_validates_and_trains_an_example(tmp_path):
    """Builds the one-folder bundle (about 5 minutes on 2 cores), then runs it without the venv."""
    env = {key: value for key, value in os.environ.items() if key not in ("VIRTUAL_ENV", "PYTHONPATH")}
    result = subprocess.run(
        [sys.executable, str(ROOT / "packaging" / "build_bundle.py"), "--dist", str(tmp_path / "dist"), "--work",
         str(tmp_path / "work")],
        capture_output=True, text=True, timeout=1400, cwd=ROOT, env=env,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    bundle = tmp_path / "dist" / "netwright"
    example = bundle / "_internal" / "resources" / "examples" / "mlp_digits.json"
    assert f"netwright validate: OK: {example} is valid" in result.stdout
    assert "netwright edit: training process: ready, devices Auto, CPU" in result.stdout
    # run from elsewhere with a bare PATH: nothing of the checkout or the venv is used
    bare = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "QT_QPA_PLATFORM": "offscreen"}
    helped = subprocess.run(
        [str(bundle / "netwright"), "--help"], capture_output=True, text=True, timeout=120, cwd=tmp_path, env=bare
    )
    assert helped.returncode == 0 and helped.stdout.startswith("usage: netwright ")
    trained = subprocess.run(
        [str(bundle / "netwright"), "train", str(example), "--epochs", "1", "--out", str(tmp_path / "run")],
        capture_output=True, text=True, timeout=300, cwd=tmp_path, env=bare,
    )  # fmt: skip
    assert trained.returncode == 0, trained.stderr[-3000:]
    assert (tmp_path / "run" / "weights.safetensors").is_file()
    exported = subprocess.run(
        [str(bundle / "netwright"), "export", str(example), "--weights", str(tmp_path / "run" / "weights.safetensors"),
         "--format", "onnx", "-o", str(tmp_path / "model.onnx")],
        capture_output=True, text=True, timeout=300, cwd=tmp_path, env=bare,
    )  # fmt: skip
    assert exported.returncode == 0, exported.stderr[-3000:]
    assert "verified" in exported.stdout
