"""A streamed table's chunks read by pandas' parser where the text is plain give the csv module's cells."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from engine.data import csv_file, load_dataset
from engine.data.table_chunks import scan_chunks

CHUNK_ROWS = 4


def scanned(path: Path):
    """Every chunk as the scan read it (the csv module, line by line), and the source for reading them again."""
    chunks = list(scan_chunks(path, CHUNK_ROWS))
    return [table for table, _ in chunks], chunks[-1][1]


def same_cells(read, expected, numbers: frozenset[int]) -> None:
    assert np.array_equal(read.lines, expected.lines)
    for index, (got, want) in enumerate(zip(read.cells, expected.cells, strict=True)):
        if got.dtype == object:
            assert got.tolist() == want.tolist(), index
        else:  # a column of numbers handed over as such: what float() makes of the text, NaN for an empty cell
            assert index in numbers
            assert np.array_equal(got, [float(c) if c else np.nan for c in want], equal_nan=True), index


@pytest.mark.parametrize(
    "body",
    [
        "1.5,red,yes\n-2,blue,no\n3e2,red,no\n0.1,grey,yes\n7,red,yes\n",  # plain: pandas' parser
        "1.5,red,yes\r\n-2,blue,no\r\n,red,no\r\n0.1,grey,yes\r\n7,red,yes\r\n",  # CRLF, an empty number
        " 1.5 , red ,yes\n-2,blue,no\n3,red,no\n0.1,grey,yes\n7,red,yes",  # cells to strip, no final newline
        "1.5,red,yes\n\n-2,blue,no\n3,red,no\n0.1,grey,yes\n7,red,yes\n",  # a blank line: the csv module's way
        "1.5,red,yes\n,,\n-2,blue,no\n3,red,no\n0.1,grey,yes\n",  # a row of blank cells is a blank line
        '1.5,"red, dark",yes\n-2,blue,no\n3,"a\nb",no\n0.1,grey,yes\n',  # quotes, a newline in a cell
        "1.5,red,yes\n-2,blue,no\nNA,red,no\n1_000,grey,yes\n",  # a gap word and float()'s own digits: text
        "1.5,red\t,yes\n-2,blue,no\n3,red,\x0bno\n",  # whitespace the csv module keeps and strip takes off
    ],
)
def test_each_chunk_reads_as_the_csv_module_reads_it(tmp_path, body):
    path = tmp_path / "t.csv"
    path.write_bytes(b"x,colour,member\n" + body.encode())
    tables, source = scanned(path)
    for index, expected in enumerate(tables):
        same_cells(source.read_chunk(index), expected, frozenset())
        same_cells(source.read_chunk(index, frozenset({0})), expected, frozenset({0}))


def test_a_bad_row_in_a_plain_chunk_is_still_named(tmp_path):
    path = tmp_path / "t.csv"
    path.write_bytes(b"x,colour,member\n1,red,yes\n2,blue,no\n")
    _, source = scanned(path)
    path.write_bytes(b"x,colour,member\n1,red,yes\n2,blue\n")  # changed since the scan: a short row
    with pytest.raises(Exception, match="line 3 has 2 values but the header has 3 columns"):
        source.read_chunk(0)


@pytest.mark.parametrize("kind", ["csv", "parquet"])
def test_clean_text_columns_take_the_quick_codes_and_stream_as_in_memory(tmp_path, monkeypatch, kind):
    monkeypatch.setattr(csv_file, "STREAM_CHUNK_ROWS", 50)
    rng = np.random.default_rng(0)
    n = 400
    frame = pd.DataFrame(
        {
            "x": np.round(rng.normal(size=n), 3),
            "gap": np.where(rng.random(n) < 0.1, np.nan, np.round(rng.normal(size=n), 3)),
            "colour": rng.choice(["red", "blue", "grey"], n),
            "member": rng.choice(["yes", "no"], n),
            "label": rng.choice(["a", "b"], n),
        }
    )
    frame.loc[7, "member"] = "Yes"  # another spelling in one chunk: that chunk codes it the long way
    path = tmp_path / f"t.{kind}"
    if kind == "csv":
        frame.to_csv(path, index=False)
    else:
        frame.to_parquet(path, row_group_size=50)
    params = {"dataset": "csv", "path": str(path), "stream_workers": 0, "columns": "gap: median"}
    whole = load_dataset({**params, "streaming": "off"}, 1)
    streamed = load_dataset({**params, "streaming": "on"}, 1)
    assert streamed.preprocessing == whole.preprocessing
    assert torch.equal(streamed.train_x[:], whole.train_x) and torch.equal(streamed.val_x[:], whole.val_x)


def test_a_plain_chunk_hands_its_number_columns_over_as_numbers(tmp_path):
    path = tmp_path / "t.csv"
    path.write_bytes(b"x,colour,n\n1.5,red,1\n,blue,2\n0.25,red,3\n")
    _, source = scanned(path)
    table = source.read_chunk(0, frozenset({0, 2}))
    assert table.cells[0].dtype == np.float64 and table.cells[2].dtype == np.float64
    assert np.array_equal(table.cells[0], [1.5, np.nan, 0.25], equal_nan=True)
    assert table.cells[1].tolist() == ["red", "blue", "red"] and table.lines.tolist() == [2, 3, 4]
