"""Screenshots of the editor for the docs: `xvfb-run -a -s "-screen 0 1600x1000x24"
python -m editor.screenshot docs/screenshot-editor.png [--graph FILE] [--select NODE_ID]
[--break-edge SRC.PORT]` (the last one removes every edge out of SRC.PORT, to show problems).

Mid-training: `... python -m editor.screenshot docs/screenshot-training.png --select ""
--train 4 --epochs 60 --lr-change 2:0.0003` trains for 4 s (after the child process is up)
and grabs the window while the run goes on; `--lr-change T:LR` pauses at T seconds, sets
the learning rate and resumes, so the change is marked on the curves."""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from PySide6 import QtCore, QtWidgets

from editor.app import create_application
from editor.files import start_example
from editor.mainwindow import MainWindow


def _settle(app: QtWidgets.QApplication, seconds: float) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents(QtCore.QEventLoop.ProcessEventsFlag.AllEvents, 50)
        time.sleep(0.02)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("out", type=Path)
    parser.add_argument("--graph", type=Path, default=None)
    parser.add_argument("--select", default="fc1")
    parser.add_argument("--break-edge", default=None)
    parser.add_argument("--size", default="1600x1000")
    parser.add_argument("--train", type=float, default=0.0, help="seconds of training before the grab")
    parser.add_argument("--epochs", type=int, default=None)
    parser.add_argument("--lr-change", default=None, help="SECONDS:LR, e.g. 2:0.0003")
    args = parser.parse_args(argv)

    app = create_application()
    settings_dir = tempfile.mkdtemp(prefix="netwright-shot-")
    settings = QtCore.QSettings(str(Path(settings_dir) / "settings.ini"), QtCore.QSettings.Format.IniFormat)
    window = MainWindow(settings=settings, recovery_path=Path(settings_dir) / "recovery.json")
    width, height = (int(v) for v in args.size.split("x"))
    window.resize(width, height)
    window.show()
    _settle(app, 0.3)
    window.files.load_path(args.graph or start_example(), remember=False)
    if args.break_edge:
        src, _, port = args.break_edge.partition(".")
        window.document.edit(
            "Break", lambda g: [g.disconnect(e) for e in list(g.edges) if e.src == src and e.src_port == port]
        )
    window.live.run_now()
    window.live.wait()
    _settle(app, 0.5)
    window.canvas.fit()
    if args.select:
        window.canvas.select([args.select])
    _settle(app, 0.5)
    if args.train:
        _train(app, window, args)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    window.grab().save(str(args.out))
    print(f"saved {args.out} ({window.width()}x{window.height()})")
    window.shutdown()
    window.hide()
    window.deleteLater()
    return 0


def _train(app: QtWidgets.QApplication, window: MainWindow, args) -> None:
    training = window.training
    if args.epochs:
        window.document.edit("Set training epochs", lambda g: g.training.__setitem__("epochs", args.epochs))
        window.document.undo_stack.clear()
    training.prewarm()
    end = time.monotonic() + 60
    while not training.session.ready and time.monotonic() < end:
        _settle(app, 0.1)
    training.start()
    end = time.monotonic() + 60
    while not training.history and time.monotonic() < end:  # the first epoch is in
        _settle(app, 0.05)
    window.canvas.fit()  # the training panel took room from the canvas
    started = time.monotonic()
    if args.lr_change:
        at, _, lr = args.lr_change.partition(":")
        _settle(app, float(at))
        training.pause()
        _settle(app, 0.4)
        training.lr_box.setValue(float(lr))
        training.resume()
    _settle(app, max(0.0, args.train - (time.monotonic() - started)))


if __name__ == "__main__":
    sys.exit(main())
