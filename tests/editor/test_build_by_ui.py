"""Build a network by driving the UI, save it, reopen it and compare the engine graphs."""

from __future__ import annotations

from editor_ui import drag_connect, drop_from_palette, set_spin
from PySide6 import QtCore

from engine.graph import load_graph


def test_build_save_reopen(window, qtbot, dialogs, tmp_path):
    window.files.new_file()
    viewer = window.canvas.viewer
    centre = viewer.viewport().rect().center()
    spots = {
        "data.Dataset": QtCore.QPoint(120, centre.y()),
        "layers.Linear": QtCore.QPoint(centre.x(), centre.y() - 150),
        "losses.CrossEntropy": QtCore.QPoint(viewer.viewport().width() - 320, centre.y()),
        "optimizers.Adam": QtCore.QPoint(viewer.viewport().width() - 120, centre.y() + 150),
    }
    for type_id, point in spots.items():
        drop_from_palette(window, type_id, point)
    graph = window.document.graph
    assert sorted(n.type_id for n in graph.nodes.values()) == sorted(spots)
    ids = {n.type_id: n.id for n in graph.nodes.values()}
    data, fc, loss, adam = (ids[t] for t in spots)

    # the dropped node sits where it was dropped
    x, y = graph.nodes[fc].ui["x"], graph.nodes[fc].ui["y"]
    dropped_at = viewer.mapToScene(spots["layers.Linear"])
    assert abs(x + 95 - dropped_at.x()) < 2 and abs(y + 30 - dropped_at.y()) < 2

    drag_connect(window, data, "x", fc, "in")
    drag_connect(window, fc, "out", loss, "prediction")
    drag_connect(window, data, "y", loss, "target")
    drag_connect(window, loss, "loss", adam, "losses")
    edges = {(e.src, e.src_port, e.dst, e.dst_port) for e in window.document.graph.edges}
    assert edges == {
        (data, "x", fc, "in"),
        (fc, "out", loss, "prediction"),
        (data, "y", loss, "target"),
        (loss, "loss", adam, "losses"),
    }
    assert len(window.canvas.viewer.all_pipes()) == 4

    # set parameters in the properties panel
    window.canvas.select([fc])
    assert window.properties.node_id == fc
    set_spin(qtbot, window.properties.editors["out_features"].input_widget, "10")
    assert window.document.graph.nodes[fc].params["out_features"] == 10
    window.canvas.select([adam])
    set_spin(qtbot, window.properties.editors["lr"].input_widget, "0.01")
    assert window.document.graph.nodes[adam].params["lr"] == 0.01
    window.live.run_now()
    assert window.live.analysis.ok, window.live.analysis.problems

    path = tmp_path / "built.json"
    dialogs.save_path = str(path)
    assert window.files.save_as()
    assert not window.document.modified
    assert window.windowTitle().startswith("built.json")
    built = window.document.graph.copy()

    window.files.new_file()
    assert not window.document.graph.nodes
    assert window.files.open_file(path)
    assert window.document.graph == built == load_graph(path)
    assert {n.name() for n in window.canvas.node_graph.all_nodes()} == set(built.nodes)
    assert path.resolve() in window.files.recent_files()


def test_palette_filter_and_double_click(window):
    window.files.new_file()
    palette = window.palette
    palette.filter.setText("linear")
    assert palette.visible_type_ids() == ["layers.Linear"]
    palette.filter.setText("no node is called this")
    assert palette.visible_type_ids() == []
    palette.filter.setText("")
    assert len(palette.visible_type_ids()) == len(window.registry)
    palette.tree.itemActivated.emit(palette.item_for("activations.ReLU"), 0)
    assert [n.type_id for n in window.document.graph.nodes.values()] == ["activations.ReLU"]
    assert window.canvas.selected_ids() == list(window.document.graph.nodes)


def test_tab_search_adds_node_at_cursor(window, qtbot):
    window.files.new_file()
    viewer = window.canvas.viewer
    viewer.setFocus()
    qtbot.keyClick(viewer, QtCore.Qt.Key.Key_Tab)
    quick = window.canvas.quick_add
    assert quick.isVisible()
    qtbot.keyClicks(quick.search, "dropout")
    qtbot.keyClick(quick.search, QtCore.Qt.Key.Key_Return)
    assert not quick.isVisible()
    assert [n.type_id for n in window.document.graph.nodes.values()] == ["layers.Dropout"]


def test_every_registered_type_can_be_placed(window):
    window.files.new_file()
    for node_type in window.registry:
        assert window.canvas.add_node(node_type.type_id) is not None
    canvas_nodes = window.canvas.node_graph.all_nodes()
    assert len(canvas_nodes) == len(window.registry)
    for node_type in window.registry:
        node_id = next(n.id for n in window.document.graph.nodes.values() if n.type_id == node_type.type_id)
        canvas_node = window.canvas.canvas_node(node_id)
        assert list(canvas_node.inputs()) == [p.name for p in node_type.inputs]
        assert list(canvas_node.outputs()) == [p.name for p in node_type.outputs]
        window.canvas.select([node_id])
        assert set(window.properties.editors) == {p.name for p in node_type.params}
        assert node_type.title in window.help.toPlainText()
