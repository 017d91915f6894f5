"""Every edit is one undoable step, and undo/redo restore the exact engine graph."""

from __future__ import annotations

from editor_ui import drag_connect

from engine.graph import dumps_graph


def test_undo_redo_restores_exact_graphs(window, qtbot):
    document, canvas = window.document, window.canvas
    snapshots = [dumps_graph(document.graph)]

    def step():
        snapshots.append(dumps_graph(document.graph))

    data = canvas.add_node("data.Dataset")
    step()
    fc = canvas.add_node("layers.Linear")
    step()
    canvas.select([data])
    document.edit("Move", lambda g: g.nodes[data].ui.update(x=-400.0, y=300.0))
    step()
    drag_connect(window, data, "x", fc, "in")
    step()
    window.canvas.select([fc])
    assert window.properties.submit("out_features", 7)
    step()
    canvas.select([data])
    canvas.delete_selected()
    step()
    assert len(snapshots) == len(set(snapshots)), "every step changed the graph"

    for expected in reversed(snapshots[:-1]):
        document.undo_stack.undo()
        assert dumps_graph(document.graph) == expected
        assert {n.name() for n in canvas.node_graph.all_nodes()} == set(document.graph.nodes)
    for expected in snapshots[1:]:
        document.undo_stack.redo()
        assert dumps_graph(document.graph) == expected
        assert len(canvas.viewer.all_pipes()) == len(document.graph.edges)


def test_canvas_moves_are_undoable(window):
    canvas, document = window.canvas, window.document
    node_id = "fc1"
    before = dumps_graph(document.graph)
    item = canvas.canvas_node(node_id).view
    old = item.xy_pos
    item.xy_pos = [old[0] + 120, old[1] + 40]
    canvas.viewer.moved_nodes.emit({item: old})  # what the viewer emits on mouse release
    assert document.graph.nodes[node_id].ui == {"x": old[0] + 120, "y": old[1] + 40}
    document.undo_stack.undo()
    assert dumps_graph(document.graph) == before
    assert canvas.canvas_node(node_id).pos() == [float(old[0]), float(old[1])]


def test_disconnect_by_dragging_an_input_away(window):
    canvas, document = window.canvas, window.document
    viewer = canvas.viewer
    in_view = canvas.canvas_node("fc2").inputs()["in"].view
    out_view = canvas.canvas_node("drop1").outputs()["out"].view
    before = dumps_graph(document.graph)
    # what the viewer emits after a wire was dragged off an input and dropped on nothing
    viewer.connection_changed.emit([(in_view, out_view)], [])
    assert not [e for e in document.graph.edges if e.dst == "fc2"]
    assert len(viewer.all_pipes()) == len(document.graph.edges)
    document.undo_stack.undo()
    assert dumps_graph(document.graph) == before
    assert len(viewer.all_pipes()) == len(document.graph.edges)


def test_copy_paste_duplicate_and_cut(window, qapp):
    canvas, document = window.canvas, window.document
    count = len(document.graph.nodes)
    canvas.select(["fc1", "relu1"])
    assert canvas.copy_selected()
    canvas.paste()
    assert len(document.graph.nodes) == count + 2
    pasted = canvas.selected_ids()
    assert len(pasted) == 2 and not set(pasted) & {"fc1", "relu1"}
    assert any(e.src in pasted and e.dst in pasted for e in document.graph.edges)
    canvas.duplicate_selected()
    assert len(document.graph.nodes) == count + 4
    window.cut()
    assert len(document.graph.nodes) == count + 2
    for _ in range(3):
        document.undo_stack.undo()
    assert len(document.graph.nodes) == count


def test_refused_connection_changes_nothing(window, dialogs):
    canvas, document = window.canvas, window.document
    before = dumps_graph(document.graph)
    out_view = canvas.canvas_node("loss").outputs()["loss"].view
    in_view = canvas.canvas_node("fc2").inputs()["in"].view
    canvas.viewer.connection_changed.emit([], [(out_view, in_view)])
    assert dumps_graph(document.graph) == before
    assert document.undo_stack.count() == 0
    assert "loss" in window.statusBar().currentMessage()


def test_auto_layout_is_one_undoable_step(window):
    document = window.document
    before = dumps_graph(document.graph)
    document.edit("scramble", lambda g: [n.ui.update(x=0.0, y=0.0) for n in g.nodes.values()])
    window.canvas.auto_layout()
    xs = [document.graph.nodes[n].ui["x"] for n in ("data", "fc1", "relu1", "fc2", "loss", "adam")]
    assert xs == sorted(xs) and len(set(xs)) == len(xs)
    document.undo_stack.undo()
    document.undo_stack.undo()
    assert dumps_graph(document.graph) == before
