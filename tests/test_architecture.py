"""The engine's architecture, enforced by import-linter: headless (no Qt, no editor) and layered.

The layers (high to low) are in pyproject.toml: cli, sweeps, runs, export | importers | inspection,
training, lessons, weights, compiler, analysis, graph, nodes, data, registry, fileio.
"""

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = shutil.which("lint-imports") or str(Path(sys.executable).parent / "lint-imports")


def _lint(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([LINT_IMPORTS, "--no-cache", *args], cwd=cwd, capture_output=True, text=True, timeout=300)


def _layers_contract() -> dict:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["importlinter"]
    return next(c for c in config["contracts"] if c["type"] == "layers")


def test_engine_is_headless_and_layered():
    result = _lint(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 kept, 0 broken" in result.stdout


def test_layers_run_from_the_command_line_down_to_the_registry():
    layers = _layers_contract()["layers"]
    # a layer may hold several independent packages ("export | importers | inspection")
    height = {package.strip(): i for i, layer in enumerate(layers) for package in layer.split("|")}
    assert height["cli"] < height["sweeps"] < height["runs"] < height["export"] < height["training"]
    assert height["export"] == height["importers"] == height["inspection"]  # siblings: neither imports the other
    assert height["training"] < height["lessons"] < height["compiler"] < height["analysis"] < height["graph"]
    assert height["graph"] < height["nodes"] < height["data"] < height["registry"] < height["fileio"]


def test_an_upward_import_inside_a_function_breaks_the_layers_contract(tmp_path):
    """A copy of the engine where the graph reaches up to the trainer lazily is reported, naming both ends."""
    shutil.copytree(ROOT / "engine", tmp_path / "engine", ignore=shutil.ignore_patterns("__pycache__"))
    (tmp_path / "engine" / "graph" / "sneaky.py").write_text(
        "def train_it(graph):\n    from engine.training.trainer import Trainer\n\n    return Trainer(graph)\n",
        encoding="utf-8",
    )
    contract = {key: value for key, value in _layers_contract().items() if key != "name"}
    lines = ["[importlinter]", "root_package = engine", "", "[importlinter:contract:layers]", "name = layers"]
    for key, value in contract.items():
        lines.append(
            f"{key} =" + "".join(f"\n    {item}" for item in value) if isinstance(value, list) else f"{key} = {value}"
        )
    (tmp_path / "setup.cfg").write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = _lint(tmp_path, "--config", "setup.cfg")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "0 kept, 1 broken" in result.stdout
    assert "engine.graph.sneaky -> engine.training.trainer" in result.stdout


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
