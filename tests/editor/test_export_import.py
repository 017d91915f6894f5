"""File > Export Model / Import / Load Weights: the engine's verified exports and imports, offered
in the editor; the export's verification figure is shown to the user."""

from __future__ import annotations

import torch
from PySide6 import QtWidgets
from safetensors.torch import save_file

from editor.export_import import ExportDialog, ImportPytorchDialog

Accepted = QtWidgets.QDialog.DialogCode.Accepted


def accepted(dialog):
    dialog.exec = lambda: Accepted  # stands in for the user pressing the dialog's OK
    return dialog


def wait_for_job(qtbot, controller):
    qtbot.waitUntil(lambda: controller.job is not None and not controller.job.running, timeout=60_000)
    qtbot.wait(120)  # the job's poll reports on the UI thread


def test_export_writes_verified_python_and_shows_the_figure(window, qtbot, dialogs, tmp_path):
    controller = window.export_import
    dialog = accepted(ExportDialog(window, window.document.graph, None, tmp_path))
    dialog.format.setCurrentIndex(dialog.format.findData("python"))
    assert dialog.path.text().endswith(".py")
    controller.export_model(dialog=dialog)
    wait_for_job(qtbot, controller)
    result = controller.last_export
    assert result is not None and result.ok and result.max_abs_diff <= 1e-4
    assert result.path.is_file() and result.path.suffix == ".py"
    [message] = dialogs.texts("information")
    assert "largest difference from the model" in message and "limit 1e-4" in message


def test_export_of_a_gan_names_what_can_be_exported(window, qtbot, dialogs, tmp_path):
    from editor.files import EXAMPLES_DIR

    assert window.files.load_path(EXAMPLES_DIR / "gan_ring.json", remember=False)
    dialog = accepted(ExportDialog(window, window.document.graph, None, tmp_path))
    window.export_import.export_model(dialog=dialog)
    wait_for_job(qtbot, window.export_import)
    [warning] = dialogs.texts("warning")
    assert "--output g_out" in warning or "g_out" in warning
    assert window.export_import.last_export is None


def test_import_pytorch_opens_the_traced_graph_with_its_weights(window, qtbot, dialogs, tmp_path):
    source = tmp_path / "tiny.py"
    source.write_text(
        "import torch\nfrom torch import nn\n\n"
        "class Tiny(nn.Module):\n"
        "    def __init__(self):\n"
        "        super().__init__()\n"
        "        self.fc1 = nn.Linear(4, 8)\n"
        "        self.fc2 = nn.Linear(8, 3)\n\n"
        "    def forward(self, x):\n"
        "        return self.fc2(torch.relu(self.fc1(x)))\n"
    )
    dialogs.save_path = str(tmp_path / "tiny.json")
    dialog = accepted(ImportPytorchDialog(window))
    dialog.source.setText(str(source))
    dialog.class_name.setText("Tiny")
    dialog.shape.setText("4")
    window.export_import.import_pytorch(dialog=dialog)
    wait_for_job(qtbot, window.export_import)
    assert window.document.path == tmp_path / "tiny.json"
    assert {n.type_id for n in window.document.graph.nodes.values()} >= {"layers.Linear", "activations.ReLU"}
    assert window.document.trained_weights == tmp_path / "tiny.safetensors"
    assert any("Imported" in text for text in dialogs.texts("information"))


def test_bad_import_shape_is_refused_with_a_message(window, dialogs):
    dialog = accepted(ImportPytorchDialog(window))
    dialog.source.setText("model.py")
    dialog.shape.setText("one, two")
    before = window.document.graph.copy()
    window.export_import.import_pytorch(dialog=dialog)
    assert dialogs.texts("warning") == ["the input shape should be whole numbers like 1, 28, 28; received 'one, two'"]
    assert window.document.graph == before


def test_load_weights_reports_matches_and_attaches_them(window, qtbot, dialogs, tmp_path):
    graph = window.document.graph
    fc1 = next(n for n in graph.nodes.values() if n.type_id == "layers.Linear")
    source = tmp_path / "pretrained.safetensors"
    save_file({f"{fc1.id}.weight": torch.full((128, 64), 0.25), f"{fc1.id}.bias": torch.zeros(128)}, str(source))
    window.export_import.load_weights(path=str(source))
    wait_for_job(qtbot, window.export_import)
    report = window.export_import.last_report
    assert report[0].startswith("matched 2 of")
    assert f"  {fc1.id}.weight <- {fc1.id}.weight (by id)" in report
    assert window.document.trained_weights is not None and window.document.trained_weights.is_file()


def test_load_weights_refuses_nan_naming_the_tensor_and_attaches_nothing(window, qtbot, dialogs, tmp_path):
    graph = window.document.graph
    fc1 = next(n for n in graph.nodes.values() if n.type_id == "layers.Linear")
    source = tmp_path / "diverged.safetensors"
    weight = torch.zeros(128, 64)
    weight[3, 4] = float("nan")
    save_file({f"{fc1.id}.weight": weight, f"{fc1.id}.bias": torch.zeros(128)}, str(source))
    window.export_import.load_weights(path=str(source))
    wait_for_job(qtbot, window.export_import)
    [message] = dialogs.texts("warning")
    assert f"weights that are not finite: {fc1.id}.weight (1 NaN of 8192 values)" in message
    assert window.document.trained_weights is None


def test_garbage_is_collected_on_the_gui_thread_only(window):
    import gc

    assert not gc.isenabled()  # automatic collection off: a worker thread never runs Qt destructors
    assert window.isVisible()


def test_export_dialog_offers_the_engines_formats_and_their_suffixes(window, tmp_path):
    from engine.export import EXPORT_FORMATS

    dialog = ExportDialog(window, window.document.graph, None, tmp_path)
    offered = [dialog.format.itemData(i) for i in range(dialog.format.count())]
    assert offered == list(EXPORT_FORMATS)
    for index, name in enumerate(offered):
        dialog.format.setCurrentIndex(index)
        assert dialog.format.currentText() == EXPORT_FORMATS[name].label
        assert dialog.path.text().endswith(EXPORT_FORMATS[name].suffix)
    assert dialog.format.itemText(offered.index("torchscript")).endswith("legacy")


def test_import_passes_constructor_arguments_from_json(window, qtbot, dialogs, tmp_path):
    source = tmp_path / "sized.py"
    source.write_text(
        "from torch import nn\n\n"
        "class Sized(nn.Module):\n"
        "    def __init__(self, hidden):\n"
        "        super().__init__()\n"
        "        self.fc = nn.Linear(4, hidden)\n\n"
        "    def forward(self, x):\n"
        "        return self.fc(x)\n"
    )
    dialogs.save_path = str(tmp_path / "sized.json")
    dialog = accepted(ImportPytorchDialog(window))
    dialog.source.setText(str(source))
    dialog.class_name.setText("Sized")
    dialog.init_args.setText('{"hidden": 6}')
    dialog.shape.setText("4")
    window.export_import.import_pytorch(dialog=dialog)
    wait_for_job(qtbot, window.export_import)
    assert window.document.graph.nodes["fc"].params["out_features"] == 6


def test_constructor_arguments_that_are_not_json_are_refused(window, dialogs):
    dialog = accepted(ImportPytorchDialog(window))
    dialog.source.setText("model.py")
    dialog.shape.setText("4")
    dialog.init_args.setText("dict(hidden=6)")
    window.export_import.import_pytorch(dialog=dialog)
    assert dialogs.texts("warning") == [
        "constructor arguments must be JSON (Expecting value); received 'dict(hidden=6)'"
    ]
