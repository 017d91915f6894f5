"""The Data panel lists a date-and-time column as its own kind, and its menu can mark a text column as one."""

from __future__ import annotations


def test_a_datetime_column_is_listed_as_such_and_a_text_column_can_be_marked(window, qtbot, tmp_path):
    from engine.graph import Graph

    path = tmp_path / "visits.csv"
    path.write_text(
        "when,day,species\n2024-03-01 14:30,03/01/2024,cat\n2024-03-02 09:00,03/02/2024,dog\n"
        "2024-03-04 18:15,03/01/2024,cat\n2024-03-05 08:45,03/02/2024,dog\n"
    )
    graph = Graph(name="table")
    graph.add_node("data.Dataset", {"dataset": "csv", "path": str(path)}, node_id="data")
    window.document.set_graph(graph)
    panel = window.data_preview
    window.data_dock.raise_()
    window.canvas.select(["data"])
    qtbot.waitUntil(lambda: panel.preview is not None and panel.preview.dataset == "csv", timeout=20_000)
    kinds = {panel.columns.item(r, 0).text(): panel.columns.item(r, 1).text() for r in range(2)}
    assert kinds == {"when": "datetime", "day": "categorical"}  # 03/01/2024 is March or January: not guessed
    assert panel.columns.item(0, 2).text() == "year, month, day, weekday, hour, days since 1970 (standardized)"
    assert panel.sample_table.item(0, 1).text().startswith("2024-03-0")  # shown as a date, not seconds
    next(a for a in panel.column_menu(1).actions() if a.text() == "As a date and time").trigger()
    assert window.document.graph.nodes["data"].params["columns"] == "day: datetime"
    qtbot.waitUntil(lambda: [c.kind for c in panel.preview.columns] == ["datetime", "datetime"], timeout=20_000)
    panel.shutdown()
