"""Export the trained model, import PyTorch and ONNX models, load weights into the graph.

The engine does the work (engine.export, engine.importers); this module asks what to do,
runs it off the UI thread behind a progress dialog, and reports the result, including the
verification figure of every export.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6 import QtCore, QtWidgets

from engine.export.format_catalog import EXPORT_FORMATS
from engine.graph import Graph
from engine.registry import catalog

DEFAULT_OUTPUT = "(the prediction)"
SHOW_PROGRESS_AFTER_MS = 300


class BackgroundJob(QtCore.QObject):
    """Runs `work` in a Python thread behind a busy progress dialog; calls `done(result, error)`
    on the UI thread. The thread ends before `done` runs, so nothing is left behind."""

    def __init__(
        self,
        parent: QtWidgets.QWidget,
        title: str,
        text: str,
        work: Callable[[], Any],
        done: Callable[[Any, BaseException | None], None],
    ):
        super().__init__(parent)
        self._work, self._done = work, done
        self._text = text
        self._started = 0.0
        self._result: Any = None
        self._error: BaseException | None = None
        self.dialog = QtWidgets.QProgressDialog(text, "", 0, 0, parent)
        self.dialog.setWindowTitle(title)
        self.dialog.setCancelButton(None)  # the engine's work cannot be interrupted halfway
        self.dialog.setMinimumDuration(SHOW_PROGRESS_AFTER_MS)
        self.dialog.setWindowModality(QtCore.Qt.WindowModality.WindowModal)
        self._thread = threading.Thread(target=self._run, name=f"netwright-{title}", daemon=True)
        self._timer = QtCore.QTimer(self, interval=40, timeout=self._poll)

    def start(self) -> None:
        self._started = time.monotonic()
        self._thread.start()
        self._timer.start()

    def _run(self) -> None:
        try:
            self._result = self._work()
        except BaseException as exc:  # reported on the UI thread, never lost
            self._error = exc

    def _poll(self) -> None:
        if self._thread.is_alive():
            # a busy bar with the seconds counting: the work cannot report steps, but the user
            # sees at once that something runs (a first ONNX export takes many seconds)
            elapsed = time.monotonic() - self._started
            if elapsed * 1000 >= SHOW_PROGRESS_AFTER_MS:
                self.dialog.setLabelText(f"{self._text}\n{elapsed:.0f} s")
                if not self.dialog.isVisible():
                    self.dialog.show()
            return
        self._timer.stop()
        self._thread.join()
        self.dialog.reset()
        self.dialog.close()
        self._done(self._result, self._error)
        self.deleteLater()

    @property
    def running(self) -> bool:
        return self._thread.is_alive()


def file_stem(name: str, fallback: str) -> str:
    """A file name from a graph's name: `Digits MLP` -> `digits_mlp`."""
    stem = "".join(c if c.isalnum() else "_" for c in name).strip("_").lower()
    return stem or fallback


def _finish_layout(
    dialog: QtWidgets.QDialog, form: QtWidgets.QFormLayout, note: QtWidgets.QLabel, ok_text: str
) -> None:
    """The form, a note under it, and OK (renamed) / Cancel."""
    Button = QtWidgets.QDialogButtonBox.StandardButton
    buttons = QtWidgets.QDialogButtonBox(Button.Ok | Button.Cancel)
    buttons.button(Button.Ok).setText(ok_text)
    buttons.accepted.connect(dialog.accept)
    buttons.rejected.connect(dialog.reject)
    layout = QtWidgets.QVBoxLayout(dialog)
    layout.addLayout(form)
    layout.addWidget(note)
    layout.addWidget(buttons)
    dialog.resize(560, dialog.sizeHint().height())


class ExportDialog(QtWidgets.QDialog):
    def __init__(
        self,
        parent: QtWidgets.QWidget,
        graph: Graph,
        weights: Path | None,
        start_dir: Path,
        stem: str | None = None,
        fmt: str | None = None,
    ):
        """`stem`: the file name to propose (the graph file's; else from the graph's name);
        `fmt`: the format to preselect (the last one used)."""
        super().__init__(parent)
        self.setWindowTitle("Export model")
        self.format = QtWidgets.QComboBox()
        for index, export_format in enumerate(EXPORT_FORMATS.values()):  # the engine's list, most useful first
            self.format.addItem(export_format.label, export_format.name)
            self.format.setItemData(index, export_format.description, QtCore.Qt.ItemDataRole.ToolTipRole)
        self.output = QtWidgets.QComboBox()
        self.output.addItem(DEFAULT_OUTPUT, None)
        registry = catalog()
        for node in graph.nodes.values():
            if node.type_id in registry and registry.get(node.type_id).role == "op":
                self.output.addItem(node.id, node.id)
        fmt = fmt if fmt in EXPORT_FORMATS else "python"
        self.format.setCurrentIndex(self.format.findData(fmt))
        self.path = QtWidgets.QLineEdit(
            str(start_dir / ((stem or file_stem(graph.name, "model")) + EXPORT_FORMATS[fmt].suffix))
        )
        browse = QtWidgets.QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        self.format.currentIndexChanged.connect(self._suffix_follows_format)
        row = QtWidgets.QHBoxLayout()
        row.addWidget(self.path, 1)
        row.addWidget(browse)
        where = (
            "the weights of the latest run"
            if weights is not None
            else "untrained initial weights (train first to export what the model learned)"
        )
        note = QtWidgets.QLabel(
            f"Exports the model from its inputs to the output node, with {where}. "
            "The file is reloaded right after writing and compared with the model "
            "on the same batch."
        )
        note.setWordWrap(True)
        form = QtWidgets.QFormLayout()
        form.addRow("Format", self.format)
        form.addRow("Output node", self.output)
        form.addRow("File", row)
        _finish_layout(self, form, note, "Export")

    def _browse(self) -> None:
        chosen, _ = QtWidgets.QFileDialog.getSaveFileName(self, "Export to", self.path.text())
        if chosen:
            self.path.setText(chosen)

    def _suffix_follows_format(self) -> None:
        path = Path(self.path.text())
        self.path.setText(str(path.with_suffix(EXPORT_FORMATS[self.format.currentData()].suffix)))

    def choice(self) -> tuple[str, str | None, Path]:
        return self.format.currentData(), self.output.currentData(), Path(self.path.text()).expanduser()


class ImportPytorchDialog(QtWidgets.QDialog):
    def __init__(self, parent: QtWidgets.QWidget):
        super().__init__(parent)
        self.setWindowTitle("Import a PyTorch model")
        self.source = QtWidgets.QLineEdit()
        self.source.setPlaceholderText("model.py, or package.module:Class")
        browse = QtWidgets.QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        self.class_name = QtWidgets.QLineEdit()
        self.class_name.setPlaceholderText("the nn.Module class in the file")
        self.shape = QtWidgets.QLineEdit()
        self.shape.setPlaceholderText("one sample without the batch, e.g. 1, 28, 28")
        self.factory = QtWidgets.QLineEdit()
        self.factory.setPlaceholderText("optional, instead of Class: a function returning the model")
        self.init_args = QtWidgets.QLineEdit()
        self.init_args.setPlaceholderText('optional, as JSON (never evaluated): {"upscale_factor": 3}')
        self.input_dtype = QtWidgets.QComboBox()
        for label, value in (("auto (ids for an Embedding first)", None), ("float", "float"), ("long ids", "long")):
            self.input_dtype.addItem(label, value)
        warning = QtWidgets.QLabel(
            "Importing runs the Python file (its class is created and traced "
            "with torch.fx, or torch.export where fx cannot follow it). Only import files you trust."
        )
        warning.setObjectName("warningText")
        warning.setWordWrap(True)
        row = QtWidgets.QHBoxLayout()
        row.addWidget(self.source, 1)
        row.addWidget(browse)
        form = QtWidgets.QFormLayout()
        form.addRow("Python file", row)
        form.addRow("Class", self.class_name)
        form.addRow("Factory", self.factory)
        form.addRow("Constructor arguments", self.init_args)
        form.addRow("Input shape", self.shape)
        form.addRow("Input dtype", self.input_dtype)
        _finish_layout(self, form, warning, "Import")

    def _browse(self) -> None:
        chosen, _ = QtWidgets.QFileDialog.getOpenFileName(self, "Python file", "", "Python files (*.py)")
        if chosen:
            self.source.setText(chosen)

    def choice(self) -> tuple[str, str | None, list[int]]:
        """(source, class name, input shape); ValueError with a readable message if the shape is not numbers."""
        text = self.shape.text().replace("x", ",").replace(" ", ",")
        try:
            shape = [int(part) for part in text.split(",") if part]
        except ValueError:
            raise ValueError(
                f"the input shape should be whole numbers like 1, 28, 28; received {self.shape.text()!r}"
            ) from None
        if not shape or any(d < 1 for d in shape):
            raise ValueError("the input shape needs at least one size, each at least 1 (e.g. 1, 28, 28)")
        return self.source.text().strip(), self.class_name.text().strip() or None, shape

    def options(self) -> dict:
        """import_pytorch's keyword options; ValueError with a readable message for arguments that are not JSON."""
        text = self.init_args.text().strip()
        try:
            init_args = json.loads(text) if text else {}
        except json.JSONDecodeError as exc:
            raise ValueError(f"constructor arguments must be JSON ({exc.msg}); received {text!r}") from None
        if not isinstance(init_args, dict):
            raise ValueError(f'constructor arguments must be a JSON object like {{"size": 3}}; received {text!r}')
        factory = self.factory.text().strip() or None
        return {"init_args": init_args, "factory": factory, "input_dtype": self.input_dtype.currentData()}


class ExportImportController(QtCore.QObject):
    """File > Export Model, Import PyTorch Model, Import ONNX Model and Load Weights."""

    def __init__(self, window: QtWidgets.QMainWindow, document, files, weights_dir: Path):
        super().__init__(window)
        self.window, self.document, self.files = window, document, files
        self.weights_dir = weights_dir
        self.job: BackgroundJob | None = None
        self.last_export = None  # the engine's ExportResult of the latest export
        self.last_report: list[str] = []
        self.export_action = self._action(
            "&Export Model…",
            self.export_model,
            "Ctrl+E",
            "Write the model as Python, ONNX, torch.export or weights, verified",
        )
        self.import_pytorch_action = self._action(
            "Import &PyTorch Model…",
            self.import_pytorch,
            None,
            "Trace an nn.Module into an editable graph with its weights",
        )
        self.import_onnx_action = self._action(
            "Import &ONNX Model…", self.import_onnx, None, "Read an ONNX file into an editable graph with its weights"
        )
        self.load_weights_action = self._action(
            "&Load Weights…", self.load_weights, None, "Match a weights file to this graph's layers (transfer learning)"
        )

    def _action(self, text: str, slot, shortcut: str | None, tip: str):
        from PySide6 import QtGui

        action = QtGui.QAction(text, self.window)
        action.setStatusTip(tip)
        action.setToolTip(tip)
        if shortcut:
            action.setShortcut(shortcut)
        action.triggered.connect(slot)
        return action

    @property
    def actions(self) -> list:
        return [self.export_action, self.import_pytorch_action, self.import_onnx_action, self.load_weights_action]

    def _start(self, title: str, text: str, work, done) -> None:
        if self.job is not None and self.job.running:
            self.window.statusBar().showMessage("Wait for the current job to finish.", 4000)
            return
        self.job = BackgroundJob(self.window, title, text, work, done)
        self.job.start()

    def _start_dir(self) -> Path:
        return self.document.path.parent if self.document.path else Path.home()

    # -- export ---------------------------------------------------------------------------------
    def export_model(self, _checked: bool = False, dialog: ExportDialog | None = None) -> None:
        graph = self.document.graph.copy()
        weights = self.document.trained_weights
        settings = self.window.settings
        folder = Path(str(settings.value("export/folder", "") or ""))
        folder = folder if str(folder) not in ("", ".") and folder.is_dir() else self._start_dir()
        stem = self.document.path.stem if self.document.path else None
        dialog = dialog or ExportDialog(
            self.window, graph, weights, folder, stem, str(settings.value("export/format", "") or "")
        )
        if dialog.exec() != QtWidgets.QDialog.DialogCode.Accepted:
            return
        fmt, output, path = dialog.choice()
        settings.setValue("export/format", fmt)  # the next export starts from this choice
        settings.setValue("export/folder", str(path.parent))

        def work():
            from engine.export import export_model

            return export_model(graph, path, fmt, weights, output)

        self._start("Export", f"Exporting and verifying {path.name}…", work, self._export_done)

    def _export_done(self, result, error: BaseException | None) -> None:
        if error is not None:
            QtWidgets.QMessageBox.warning(self.window, "Cannot export", _one_line(error))
            return
        self.last_export = result
        names = ", ".join(p.name for p in result.files) or result.path.name
        figure = (
            f"Verified: reloaded and run on the same batch, the largest difference from the model "
            f"is {result.max_abs_diff:.2g} (limit 1e-4)."
        )
        if result.ok:
            QtWidgets.QMessageBox.information(self.window, "Model exported", f"Wrote {names}.\n\n{figure}")
            self.window.statusBar().showMessage(
                f"Exported {result.path.name}: max difference {result.max_abs_diff:.2g}", 8000
            )
        else:
            QtWidgets.QMessageBox.warning(
                self.window,
                "Export does not reproduce the model",
                f"Wrote {names}, but it does not match the model: {result.message}\n\n{figure}",
            )

    # -- import ---------------------------------------------------------------------------------
    def import_pytorch(self, _checked: bool = False, dialog: ImportPytorchDialog | None = None) -> None:
        dialog = dialog or ImportPytorchDialog(self.window)
        if dialog.exec() != QtWidgets.QDialog.DialogCode.Accepted:
            return
        try:
            source, class_name, shape = dialog.choice()
            options = dialog.options()
        except ValueError as exc:
            QtWidgets.QMessageBox.warning(self.window, "Cannot import", str(exc))
            return
        if not source:
            QtWidgets.QMessageBox.warning(self.window, "Cannot import", "choose a Python file or a dotted name")
            return

        def work():
            from engine.importers.pytorch import import_pytorch

            return import_pytorch(source, class_name, shape, **options)

        self._start("Import", f"Tracing {Path(source).name}…", work, self._import_done)

    def import_onnx(self, _checked: bool = False, path: str | None = None) -> None:
        if path is None:
            path, _ = QtWidgets.QFileDialog.getOpenFileName(
                self.window, "Import ONNX model", str(self._start_dir()), "ONNX models (*.onnx)"
            )
        if not path:
            return

        def work():
            from engine.importers.onnx_model import import_onnx

            return import_onnx(path)

        self._start("Import", f"Reading {Path(path).name}…", work, self._import_done)

    def _import_done(self, result, error: BaseException | None) -> None:
        if error is not None:
            QtWidgets.QMessageBox.warning(self.window, "Cannot import", _one_line(error))
            return
        if not self.files.maybe_save():
            return
        stem = file_stem(result.graph.name, "imported")
        chosen, _ = QtWidgets.QFileDialog.getSaveFileName(
            self.window, "Save the imported graph", str(self._start_dir() / f"{stem}.json"), "Netwright graphs (*.json)"
        )
        if not chosen:
            return
        path = Path(chosen)
        weights = result.save(path)
        if self.files.load_path(path):
            self.document.attach_weights(weights)
        same = "" if result.max_abs_diff is None else f" It reproduces the original within {result.max_abs_diff:.2g}."
        notes = "".join(f"\n• {note}" for note in result.notes)
        QtWidgets.QMessageBox.information(
            self.window,
            "Model imported",
            f"Imported {len(result.graph.nodes)} nodes with their weights into {path.name}.{same}{notes}",
        )

    # -- weights --------------------------------------------------------------------------------
    def load_weights(self, _checked: bool = False, path: str | None = None) -> None:
        if path is None:
            path, _ = QtWidgets.QFileDialog.getOpenFileName(
                self.window, "Load weights", str(self._start_dir()), "Weights (*.safetensors *.pt *.pth)"
            )
        if not path:
            return
        graph = self.document.graph.copy()
        target = self.weights_dir / f"{Path(path).stem}.matched.safetensors"

        def work():
            from engine.importers.weights import import_weights

            self.weights_dir.mkdir(parents=True, exist_ok=True)
            return import_weights(graph, path, target)

        self._start(
            "Load weights",
            f"Matching {Path(path).name} to the graph…",
            work,
            lambda report, error: self._weights_done(report, error, target),
        )

    def _weights_done(self, report, error: BaseException | None, target: Path) -> None:
        if error is not None:
            QtWidgets.QMessageBox.warning(self.window, "Cannot load weights", _one_line(error))
            return
        self.last_report = report.lines()
        if not report.matched:
            QtWidgets.QMessageBox.warning(self.window, "No weights matched", "\n".join(self.last_report))
            return
        self.document.attach_weights(target)
        QtWidgets.QMessageBox.information(
            self.window,
            "Weights loaded",
            "\n".join(self.last_report) + "\n\nContinue Training starts from these weights; Export uses them.",
        )


def _one_line(error: BaseException) -> str:
    text = str(error).strip() or type(error).__name__
    return text.splitlines()[0]
