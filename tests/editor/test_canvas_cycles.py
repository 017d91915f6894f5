"""A wire dropped on a port of the 500-node residual graph is checked for cycles in one walk of the engine
graph: NodeGraphQt's own check walks every path below the wire's end, and below the start of that graph
there are 2^70 of them (each residual block doubles them), so it never returns."""

from __future__ import annotations

import pytest
from NodeGraphQt.qgraphics.port import PortItem
from PySide6 import QtCore

from engine.graph import Edge, Graph
from tests.editor.test_canvas_layout import residual_cnn_file


class _Walks:
    """Counts what a cycle check reads: the engine graph's successor lists, NodeGraphQt's port lists."""

    def __init__(self, monkeypatch, port_limit: int):
        self.successors = 0
        self.ports = 0
        successors, connected_ports = Graph.successors, PortItem.connected_ports

        def counted_successors(graph, node_id):
            self.successors += 1
            return successors(graph, node_id)

        def counted_ports(port):
            self.ports += 1
            if self.ports > port_limit:  # NodeGraphQt's path walk: fail instead of running for hours
                raise AssertionError(f"the cycle check read {self.ports} port lists: it walks paths, not nodes")
            return connected_ports.fget(port)

        monkeypatch.setattr(Graph, "successors", counted_successors)
        monkeypatch.setattr(PortItem, "connected_ports", property(counted_ports))


def _paths_below(graph: Graph, node_id: str) -> int:
    """How many paths lead from `node_id` to a sink: what NodeGraphQt's check walks one by one."""
    order, seen, todo = [], set(), [node_id]
    while todo:  # nodes below node_id, each once
        current = todo.pop()
        if current not in seen:
            seen.add(current)
            order.append(current)
            todo.extend(graph.successors(current))
    count: dict[str, int] = {}
    for current in sorted(order, key=list(graph.nodes).index, reverse=True):  # built sources first
        count[current] = sum(count[s] for s in graph.successors(current)) or 1
    return count[node_id]


@pytest.fixture
def big(make_window, tmp_path):
    window = make_window()
    assert window.files.load_path(residual_cnn_file(tmp_path), remember=False)
    return window


def _port(window, node_id: str, name: str, output: bool):
    node = window.canvas.canvas_node(node_id)
    return (node.outputs() if output else node.inputs())[name].view


def test_a_connection_attempt_near_the_start_walks_each_node_at_most_once(big, monkeypatch):
    graph = big.document.graph
    assert _paths_below(graph, "b1_bn2") > 10**20  # NodeGraphQt's check would walk each of these
    walks = _Walks(monkeypatch, port_limit=2 * len(graph.nodes))
    viewer = big.canvas.viewer
    # from b1_relu1's output to an input below it: no cycle, so the whole graph below is walked
    assert viewer.acyclic_check(_port(big, "b1_relu1", "out", True), _port(big, "b1_bn2", "in", False))
    assert 0 < walks.successors <= len(graph.nodes) and walks.ports == 0
    # dragged from the input end, and a wire back up the graph: a cycle, refused
    walks.successors = 0
    assert viewer.acyclic_check(_port(big, "b2_conv1", "in", False), _port(big, "b1_relu1", "out", True))
    assert not viewer.acyclic_check(_port(big, "b5_relu2", "out", True), _port(big, "b1_conv1", "in", False))
    assert walks.successors <= 2 * len(graph.nodes)
    monkeypatch.setattr(viewer, "creates_cycle", None)  # a viewer on its own walks its drawn items, each once
    assert viewer.acyclic_check(_port(big, "b1_relu1", "out", True), _port(big, "b1_bn2", "in", False))
    assert not viewer.acyclic_check(_port(big, "b5_relu2", "out", True), _port(big, "b1_conv1", "in", False))
    assert walks.ports == 0


def test_a_wire_dragged_and_dropped_near_the_start_connects(big, qtbot, monkeypatch):
    viewer = big.canvas.viewer
    start, end = _port(big, "b1_relu1", "out", True), _port(big, "b1_bn2", "in", False)
    viewer.frame(start.node.sceneBoundingRect().united(end.node.sceneBoundingRect()))  # both ends in view
    qtbot.wait(50)  # the view takes its new transform when the event loop turns
    walks = _Walks(monkeypatch, port_limit=2 * len(big.document.graph.nodes))
    press = viewer.mapFromScene(start.sceneBoundingRect().center())
    drop = viewer.mapFromScene(end.sceneBoundingRect().center())
    assert isinstance(viewer.itemAt(press), PortItem) and isinstance(viewer.itemAt(drop), PortItem)
    left = QtCore.Qt.MouseButton.LeftButton
    qtbot.mousePress(viewer.viewport(), left, pos=press)
    qtbot.mouseMove(viewer.viewport(), pos=(press + drop) / 2)
    qtbot.mouseMove(viewer.viewport(), pos=drop)
    qtbot.mouseRelease(viewer.viewport(), left, pos=drop)
    graph = big.document.graph
    assert Edge("b1_relu1", "out", "b1_bn2", "in") in graph.edges  # one input: the old edge into it went
    assert Edge("b1_conv2", "out", "b1_bn2", "in") not in graph.edges
    assert 0 < walks.successors <= 2 * len(graph.nodes)
    big.document.undo_stack.undo()
    assert Edge("b1_conv2", "out", "b1_bn2", "in") in big.document.graph.edges
