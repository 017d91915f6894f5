"""`netwright`: the editor without a command, the engine's commands with one, under its own name."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from editor import launch

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "resources" / "examples" / "mlp_digits.json"
NETWRIGHT = Path(sys.executable).parent / "netwright"  # the console script pip installed


def _run(args: list[str], env: dict | None = None, timeout: int = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        args, capture_output=True, text=True, timeout=timeout, cwd=ROOT, env={**os.environ, **(env or {})}
    )


def _python(code: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return _run([sys.executable, "-c", code], env)


def test_the_installed_command_names_itself_and_lists_editor_and_engine_commands():
    result = _run([str(NETWRIGHT), "--help"])
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("usage: netwright ")
    for command in ("edit", "validate", "summary", "nodes", "train", "export", "import", "doctor"):
        assert f"\n    {command} " in result.stdout, command


def test_subcommand_help_uses_the_same_name():
    result = _run([str(NETWRIGHT), "train", "--help"])
    assert result.returncode == 0 and result.stdout.startswith("usage: netwright train ")


def test_the_installed_command_validates_a_graph():
    result = _run([str(NETWRIGHT), "validate", str(EXAMPLE)])
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"OK: {EXAMPLE} is valid")


def test_a_user_mistake_is_one_line_and_exit_2():
    result = _run([str(NETWRIGHT), "validate", "no-such-graph.json"])
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "no-such-graph.json" in result.stderr


def test_python_dash_m_engine_keeps_its_own_name():
    result = _run([sys.executable, "-m", "engine", "--help"])
    assert result.returncode == 0 and result.stdout.startswith("usage: python -m engine ")
    assert "\n    edit " not in result.stdout  # the engine knows nothing of the editor


def test_engine_commands_never_load_qt():
    result = _python(
        "import sys\nfrom editor.launch import main\n"
        f"code = main(['validate', {str(EXAMPLE)!r}])\n"
        "print(code, 'PySide6' in sys.modules)\n"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "0 False"


def test_without_the_gui_extra_the_engine_works_and_the_editor_says_how_to_install_it():
    # sys.modules[name] = None makes `import name` fail as if the package were not installed
    block = "import sys\nfor name in ('PySide6', 'NodeGraphQt', 'pyqtgraph'):\n    sys.modules[name] = None\n"
    engine = _python(block + f"from editor.launch import main\nsys.exit(main(['validate', {str(EXAMPLE)!r}]))\n")
    assert engine.returncode == 0, engine.stderr
    editor = _python(block + "from editor.launch import main\nsys.exit(main([]))\n")
    assert editor.returncode == 2
    assert editor.stderr.count("\n") == 1
    assert 'pip install "netwright[gui]"' in editor.stderr


@pytest.fixture
def started(monkeypatch) -> list:
    """Stands in for the editor's event loop: records what it was asked to open."""
    import editor.app

    calls: list = []
    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")
    monkeypatch.setattr(editor.app, "run", lambda path=None: calls.append(path) or 0)
    return calls


def test_no_command_opens_the_editor_on_the_first_example(started):
    assert launch.main([]) == 0
    assert started == [None]


def test_edit_and_a_bare_graph_file_open_that_file(started):
    assert launch.main(["edit", str(EXAMPLE)]) == 0
    assert launch.main([str(EXAMPLE)]) == 0
    assert started == [EXAMPLE, EXAMPLE]


def test_editing_a_missing_file_is_refused_before_any_window(started, capsys):
    assert launch.main(["edit", "missing.json"]) == 2
    assert launch.main(["missing.json"]) == 2
    assert started == []
    assert capsys.readouterr().err.splitlines() == ["error: missing.json: no such file"] * 2


def test_main_py_opens_the_editor_through_the_same_path(started):
    import importlib.util

    spec = importlib.util.spec_from_file_location("netwright_main", ROOT / "main.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.main(["main.py", str(EXAMPLE)]) == 0
    assert module.main(["main.py"]) == 0
    assert started == [EXAMPLE, None]


def test_edit_check_opens_a_real_window_offscreen_and_validates():
    result = _run([str(NETWRIGHT), "edit", "--check", str(EXAMPLE)], {"QT_QPA_PLATFORM": "offscreen"})
    assert result.returncode == 0, result.stderr
    opened, trainer = result.stdout.splitlines()
    assert opened == f"{EXAMPLE}: opened in the editor (7 nodes); OK"
    assert trainer.startswith("training process: ready, devices Auto, CPU")  # then each GPU, if any
    assert "leaked" not in result.stderr  # the training process's semaphores were released, not left behind


def test_edit_check_reports_the_problems_of_a_broken_graph(tmp_path):
    document = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    document["edges"] = document["edges"][1:]  # cut the first connection: a node misses its input
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps(document), encoding="utf-8")
    result = _run([str(NETWRIGHT), "edit", "--check", str(broken)], {"QT_QPA_PLATFORM": "offscreen"})
    assert result.returncode == 2
    assert f"{broken}: opened in the editor (7 nodes)" in result.stderr
    assert "1 problem:" in result.stderr and "`fc1`" in result.stderr


def test_after_the_editor_the_process_leaves_without_teardown_and_keeps_its_exit_code():
    # Qt loaded: atexit handlers (the interpreter's teardown) are skipped, output is still flushed
    code = (
        "import atexit, sys\nimport PySide6.QtWidgets\nfrom editor.launch import leave\n"
        "atexit.register(print, 'teardown')\nsys.stdout.write('flushed')\nleave(3)\n"
    )
    result = _python(code)
    assert result.returncode == 3 and result.stdout == "flushed", result.stderr
    # no Qt (an engine command): a normal exit, whose teardown lets writer threads finish
    result = _python(code.replace("import PySide6.QtWidgets\n", ""))
    assert result.returncode == 3 and result.stdout == "flushedteardown\n", result.stderr
