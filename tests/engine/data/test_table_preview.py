"""The data preview of a table: each column's kind and handling, gaps left or filled, samples as the file has them."""

from __future__ import annotations

from engine.data.preview import preview_dataset
from tests.engine.data.test_table_columns import PEOPLE


def test_a_table_with_gaps_shows_before_a_fill_is_chosen(write_csv):
    path = write_csv(PEOPLE, "people.csv")
    preview = preview_dataset({"dataset": "csv", "path": str(path), "columns": "id: exclude"})
    kinds = {c.name: (c.kind, c.missing) for c in preview.columns}
    assert kinds == {
        "age": ("numeric", 1),
        "city": ("categorical", 1),
        "member": ("boolean", 0),
        "income": ("numeric", 2),
        "const": ("constant", 0),
        "id": ("excluded", 0),
    }
    assert preview.kind == "table" and preview.class_counts == {"bird": 1, "cat": 4, "dog": 3}
    warnings = "\n".join(preview.warnings)
    assert "column 'income' has 2 missing values (NaN): choose missing on the Dataset node" in warnings
    assert "column 'const' is constant (7)" in warnings
    assert "class 'bird' has only 1 samples" in warnings
    assert preview.report == []
    # samples read as the file has them: category names and an empty cell for a gap
    assert all(len(row) == 5 for row in preview.sample_cells)
    assert {row[1] for row in preview.sample_cells} <= {"Paris", "Rome", "Berlin", ""}


def test_the_preview_reports_what_the_chosen_fill_does(write_csv):
    path = write_csv(PEOPLE, "people.csv")
    preview = preview_dataset({"dataset": "csv", "path": str(path), "columns": "id: exclude", "missing": "median"})
    columns = {c.name: c for c in preview.columns}
    assert columns["income"].missing == 0 and columns["income"].filled == 2
    assert columns["income"].handling == "standardized; gaps: median"
    assert columns["city"].handling == "one-hot, 3 categories; gaps: most frequent"
    assert preview.report == ["missing values filled: 'age' 1 (median), 'city' 1 (most frequent), 'income' 2 (median)"]
    assert not any("missing values (NaN)" in w for w in preview.warnings)
