"""The Data panel follows the selected Dataset node and shows what engine.data.preview reads."""

from __future__ import annotations

from editor.files import EXAMPLES_DIR
from editor.panels.data_preview import DataPreviewPanel, image_tile
from engine.data.preview import preview_dataset


def test_selecting_the_dataset_shows_its_samples_and_balance(window, qtbot):
    assert window.files.load_path(EXAMPLES_DIR / "cnn_digits.json", remember=False)
    panel = window.data_preview
    window.data_dock.raise_()  # the Data tab in front: a hidden panel reads nothing
    data_id = next(n for n, node in window.document.graph.nodes.items() if node.type_id == "data.Dataset")
    window.canvas.select([data_id])  # as a click on the node does
    qtbot.waitUntil(lambda: panel.preview is not None, timeout=20_000)
    expected = preview_dataset(window.document.graph.resolved_params(data_id), 0)
    assert panel.preview.sample_targets == expected.sample_targets
    assert panel.sample_grid.count() == len(expected.samples)  # one tile per sample
    assert panel.balance.counts == expected.class_counts
    assert "digits_images" in panel.title.text() and "1,797 samples" in panel.title.text()


def test_an_edit_of_the_dataset_reads_the_data_again(window, qtbot):
    assert window.files.load_path(EXAMPLES_DIR / "mlp_digits.json", remember=False)
    panel = window.data_preview
    window.data_dock.raise_()
    data_id = next(n for n, node in window.document.graph.nodes.items() if node.type_id == "data.Dataset")
    window.canvas.select([data_id])
    qtbot.waitUntil(lambda: panel.preview is not None and panel.preview.dataset == "digits_flat", timeout=20_000)
    window.document.edit("dataset", lambda g: g.nodes[data_id].params.__setitem__("dataset", "iris"))
    qtbot.waitUntil(lambda: panel.preview is not None and panel.preview.dataset == "iris", timeout=20_000)
    assert panel.columns.rowCount() == 4 and panel.columns.item(0, 0).text() == "sepal length (cm)"
    assert panel.sample_table.isVisibleTo(panel) and not panel.samples.isVisibleTo(panel)


def test_a_dataset_that_cannot_be_read_says_why(qtbot):
    panel = DataPreviewPanel()
    qtbot.addWidget(panel)
    panel.request({"dataset": "mnist", "path": ""})
    qtbot.waitUntil(lambda: "cannot be read" in panel.title.text(), timeout=10_000)
    assert "set path on the Dataset node" in panel.title.text()
    panel.shutdown()


def test_a_hidden_panel_reads_nothing(window, qtbot):
    assert window.files.load_path(EXAMPLES_DIR / "mlp_digits.json", remember=False)
    window.help_dock.raise_()
    qtbot.wait(500)
    assert window.data_preview.preview is None and window.data_preview._threads == []


def test_tiles_keep_the_samples_pixels(qtbot):
    sample = preview_dataset({"dataset": "digits_images"}, count=1).samples[0]
    image = image_tile(sample, size=8).toImage()
    assert image.width() == 8 and image.height() == 8
    brightest = divmod(int(sample[0].argmax()), 8)
    assert image.pixelColor(brightest[1], brightest[0]).value() == 255


def test_augmentation_shows_the_samples_as_training_batches_get_them(qtbot):
    panel = DataPreviewPanel()
    qtbot.addWidget(panel)
    panel.resize(500, 800)
    panel.request({"dataset": "digits_images", "augment_noise": 0.3})
    qtbot.waitUntil(lambda: panel.preview is not None, timeout=20_000)
    assert panel.augmented.isVisibleTo(panel) and panel.augmented_grid.count() == len(panel.preview.samples)
    panel.request({"dataset": "digits_images"})
    qtbot.waitUntil(lambda: not panel.augmented.isVisibleTo(panel), timeout=20_000)
    panel.shutdown()


def test_a_table_shows_each_columns_kind_and_how_its_gaps_are_filled(qtbot, tmp_path):
    path = tmp_path / "people.csv"
    path.write_text("age,city,member,species\n31,Paris,yes,cat\n,Rome,no,dog\n45,,yes,cat\n22,Rome,no,dog\n")
    panel = DataPreviewPanel()
    qtbot.addWidget(panel)
    panel.request({"dataset": "csv", "path": str(path), "missing": "median"})
    qtbot.waitUntil(lambda: panel.preview is not None, timeout=20_000)
    header = [panel.columns.horizontalHeaderItem(i).text() for i in range(panel.columns.columnCount())]
    assert header == ["column", "kind", "used as", "mean", "std", "min", "max", "missing", "filled"]
    rows = {panel.columns.item(r, 0).text(): [panel.columns.item(r, c).text() for c in (1, 2, 8)] for r in range(3)}
    assert rows == {
        "age": ["numeric", "standardized; gaps: median", "1"],
        "city": ["categorical", "one-hot, 2 categories; gaps: most frequent", "1"],
        "member": ["boolean", "0/1; gaps: median", "0"],  # no gap here, but new rows with one are filled
    }
    assert panel.report.text() == "missing values filled: 'age' 1 (median), 'city' 1 (most frequent)"
    assert "4 samples of 3 feature columns (table)" in panel.title.text()
    cities = {panel.sample_table.item(r, 2).text() for r in range(panel.sample_table.rowCount())}
    assert cities == {"Paris", "Rome", ""}  # the samples as the file has them, a gap left blank
    panel.shutdown()


def test_a_columns_menu_sets_the_dataset_nodes_columns_in_one_undoable_edit(window, qtbot, tmp_path):
    from engine.graph import Graph

    path = tmp_path / "people.csv"
    path.write_text("age,city,species\n31,Paris,cat\n40,Rome,dog\n45,Paris,cat\n22,Rome,dog\n")
    graph = Graph(name="table")
    graph.add_node("data.Dataset", {"dataset": "csv", "path": str(path)}, node_id="data")
    window.document.set_graph(graph)
    panel = window.data_preview
    window.data_dock.raise_()
    window.canvas.select(["data"])
    qtbot.waitUntil(lambda: panel.preview is not None and panel.preview.dataset == "csv", timeout=20_000)
    menu = panel.column_menu(1)  # city
    texts = [a.text() for a in menu.actions() if not a.isSeparator()]
    assert texts[:4] == ["Exclude", "One-hot encode", "Embed (ids)", "As a number"]
    next(a for a in menu.actions() if a.text() == "Exclude").trigger()
    assert window.document.graph.nodes["data"].params["columns"] == "city: exclude"
    qtbot.waitUntil(lambda: [c.kind for c in panel.preview.columns] == ["numeric", "excluded"], timeout=20_000)
    next(a for a in panel.column_menu(0).actions() if a.text() == "Fill gaps: median").trigger()
    assert window.document.graph.nodes["data"].params["columns"] == "city: exclude; age: median"
    window.document.undo_stack.undo()
    assert window.document.graph.nodes["data"].params["columns"] == "city: exclude"
    assert panel.column_menu(len(panel.preview.columns)) is None  # no row there
