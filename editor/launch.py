"""`netwright`: one command for everything. No command (or `edit [FILE]`, or just a graph file)
opens the editor; `train`, `validate`, `export`, `summary`, `nodes`, `import` and `doctor` are the
engine's commands.

Nothing here imports Qt until the editor is asked for, so the engine's commands work on a machine
without the gui extra (a server, CI), and a missing gui extra is one line, not a traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

from engine import cli

PROG = "netwright"
DESCRIPTION = (
    "Netwright: build deep-learning networks by wiring nodes, train them and watch them learn. "
    "Without a command, opens the editor."
)
GUI_MISSING = (
    "error: the editor needs the gui extra, which is not installed: "
    'pip install "netwright[gui]" (from a checkout: pip install -e ".[gui]")'
)
EXIT_USAGE = 2


def main(argv: list[str] | None = None) -> int:
    """The `netwright` console script (and the standalone bundle's entry point)."""
    argv = sys.argv[1:] if argv is None else list(argv)
    if not argv:
        return open_editor(None)
    if len(argv) == 1 and argv[0].endswith(".json") and not argv[0].startswith("-"):
        return open_editor(Path(argv[0]))  # `netwright graph.json`, as a file manager would call it
    return cli.main(argv, prog=PROG, description=DESCRIPTION, add_commands=add_edit_command)


def console_main() -> None:
    """The `netwright` console script and the bundle's entry point: `main`, then leave the process."""
    leave(main())


def leave(code: int) -> None:
    """End the process with `code`. After the editor (Qt loaded) the interpreter's teardown is
    skipped: the window has already saved its settings, ended the training process and removed
    its recovery file, and tearing down a process that loaded Qt and imported torch on a worker
    thread crashed about every other exit in the bundle (SIGSEGV in torch's autograd types while
    Python cleared `torch._C._functions`; gdb on the core, 2026-11-26). The engine's commands
    exit normally: their writer threads must finish."""
    if "PySide6.QtWidgets" in sys.modules:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    sys.exit(code)


def add_edit_command(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("edit", help="open the editor (the default when no command is given)")
    parser.add_argument("file", nargs="?", type=Path, help="graph file to open (default: the first example)")
    parser.add_argument(
        "--check",
        action="store_true",
        help="open the window and FILE, print whether it loaded and validated, then quit "
        "(checks that the editor works on this machine)",
    )
    parser.set_defaults(handler=lambda args: open_editor(args.file, check=args.check))


def open_editor(path: Path | None, check: bool = False) -> int:
    """Start the editor on `path` (None: the first example); 1 when no window can be opened here."""
    if path is not None and not path.is_file():
        print(f"error: {path}: no such file", file=sys.stderr)
        return EXIT_USAGE
    try:
        import PySide6  # noqa: F401 - only to learn whether the gui extra is installed
    except ImportError:
        print(GUI_MISSING, file=sys.stderr)
        return EXIT_USAGE
    from editor.platform_check import display_problem

    problem = display_problem()
    if problem:
        print(problem, file=sys.stderr)
        return 1
    if check:
        return check_editor(path)
    from editor.app import run

    return run(path)


def check_editor(path: Path | None) -> int:
    """Open the main window and `path` (or the first example), analyse it, start the training
    process (frozen bundles must be able to spawn it), print what worked, quit.

    Uses throwaway settings and a throwaway recovery folder, so it neither reads nor changes the
    user's (no recovery dialog can block it)."""
    from PySide6 import QtCore

    from editor.app import create_application
    from editor.files import start_example
    from editor.mainwindow import MainWindow

    target = path or start_example()
    if target is None:
        print("error: no graph file given and no example found", file=sys.stderr)
        return EXIT_USAGE
    app = create_application()
    with tempfile.TemporaryDirectory(prefix="netwright-check-") as scratch:
        settings = QtCore.QSettings(str(Path(scratch) / "settings.ini"), QtCore.QSettings.Format.IniFormat)
        window = MainWindow(settings=settings, recovery_path=Path(scratch) / "recovery.json")
        try:
            window.show()
            app.processEvents()
            if not window.files.load_path(target, remember=False):
                print(f"error: {target}: the editor could not open it", file=sys.stderr)
                return EXIT_USAGE
            analysis = window.live.run_now()
            app.processEvents()
            nodes = len(window.document.graph.nodes)
            if analysis.errors:
                count = len(analysis.errors)
                problems = "".join(f"\n  {problem}" for problem in analysis.errors)
                print(f"{target}: opened in the editor ({nodes} nodes), {count} problem{'s' * (count != 1)}:{problems}",
                      file=sys.stderr)  # fmt: skip
                return EXIT_USAGE
            # flushed now: a caller timing start-up sees this before the training process is up
            print(f"{target}: opened in the editor ({nodes} nodes); OK", flush=True)
            devices = _start_training_process(window)
        finally:
            window.shutdown()
            window.deleteLater()
            app.processEvents()
    if devices is None:
        print("error: the training process did not start (the editor could not train)", file=sys.stderr)
        return 1
    print(f"training process: ready, devices {devices}")
    return 0


def _start_training_process(window, timeout_s: float = 120.0) -> str | None:
    """Start the editor's training child (it loads torch) and wait for its hello; its devices, or None."""
    import time

    from PySide6 import QtCore

    session = window.training.session
    session.prewarm()
    deadline = time.monotonic() + timeout_s
    while not session.ready and session.alive and time.monotonic() < deadline:
        session.poll()
        QtCore.QCoreApplication.processEvents(QtCore.QEventLoop.ProcessEventsFlag.AllEvents, 50)
        time.sleep(0.05)
    return ", ".join(label for _value, label in session.devices) if session.ready else None


if __name__ == "__main__":
    console_main()
