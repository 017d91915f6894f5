"""The engine is headless: an import-linter contract keeps Qt and the editor out of it."""

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_engine_never_imports_qt_or_the_editor():
    lint_imports = shutil.which("lint-imports") or str(Path(sys.executable).parent / "lint-imports")
    result = subprocess.run([lint_imports, "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 kept, 0 broken" in result.stdout


def test_registry_and_shape_inference_do_not_load_torch():
    code = (
        "import sys, engine.analysis, engine.graph\n"
        "from engine.registry import catalog\n"
        "g = engine.graph.Graph(); g.add_node('data.Dataset'); g.add_node('layers.Linear')\n"
        "g.connect('data1', 'x', 'fc1', 'in')\n"
        "engine.analysis.analyze(g); len(catalog())\n"
        "assert 'torch' not in sys.modules, 'torch was imported'\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
