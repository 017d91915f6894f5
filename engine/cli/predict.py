"""`python -m engine predict FILE --weights RUN/weights.safetensors --rows new.csv`: predictions for raw table rows.

For a model trained on a table (the Dataset's `csv`: CSV, TSV or Parquet). The rows are prepared
by the run's preprocessing.json (beside the weights: fills, categories, standardization fitted
on the training rows) with the same function the python export holds, then the trained model
runs on them. Prints, or writes to `-o` as CSV, one line per row: its number and the prediction
(a class name, or a number for a regression). A column the training file had and the rows lack
is a gap, filled as training filled it or refused naming the row and column.
"""

from __future__ import annotations

import csv
import io
import sys
from pathlib import Path

from engine.cli.errors import UserError
from engine.cli.outputs import refuse_overwriting_inputs
from engine.data.files import user_path
from engine.data.table_prep import PREPROCESSING_FILE, preprocessing_beside
from engine.data.table_read import read_table
from engine.data.table_rows import prepare_rows
from engine.fileio import atomic_write_text
from engine.graph import load_graph

BATCH = 4096  # rows through the model at a time: bounded memory for a long file


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "predict",
        help="predictions of a model trained on a table for new rows (CSV, TSV or Parquet)",
        description="Prepare raw table rows as the training run prepared its own (the run's preprocessing.json "
        "beside --weights) and print the trained model's predictions: a class name or a number per row.",
    )
    parser.add_argument("file", help="graph file (.json) the run trained")
    parser.add_argument("--weights", required=True, help="the run's weights.safetensors (preprocessing.json beside it)")
    parser.add_argument("--rows", required=True, help="the rows to predict: .csv, .tsv or .parquet with a header")
    parser.add_argument("-o", "--out", help="write the predictions here as CSV (default: print them)")
    parser.add_argument("--output", help="node id of the model's output (default: the node a loss compares)")
    parser.set_defaults(handler=run)


def run(args) -> int:
    import torch

    from engine.export import ExportError
    from engine.export.model_part import model_part

    if args.out:
        refuse_overwriting_inputs({"-o": args.out}, {"graph file": args.file, "rows (--rows)": args.rows})
    preprocessing = preprocessing_beside(args.weights)
    if preprocessing is None:
        raise UserError(
            f"no {PREPROCESSING_FILE} beside {args.weights}: predict needs the weights of a run trained on a "
            "table (train writes it beside weights.safetensors)"
        )
    graph = load_graph(args.file)
    try:
        part = model_part(graph, args.output, args.weights)
    except ExportError as exc:
        raise UserError(str(exc)) from None
    rows = _rows(args.rows)
    dtype = torch.int64 if preprocessing["dtype"] == "int64" else torch.float32
    classes = preprocessing["target"]["class_names"]
    predictions: list[str] = []
    for start in range(0, len(rows), BATCH):
        try:
            prepared = prepare_rows(rows[start : start + BATCH], preprocessing, first_row=start + 1)
        except ValueError as exc:
            raise UserError(f"'{Path(args.rows).name}' {exc}") from None
        with torch.no_grad():
            output = part.program(torch.tensor(prepared, dtype=dtype))
        if classes:
            predictions += [classes[i] for i in output.argmax(dim=1).tolist()]
        else:
            predictions += [f"{v:.6g}" for v in output.reshape(len(output), -1)[:, 0].tolist()]
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(["row", preprocessing["target"]["column"]])
    writer.writerows([i, p] for i, p in enumerate(predictions, start=1))
    if args.out:
        atomic_write_text(Path(args.out), text.getvalue())
        print(f"wrote {len(predictions)} predictions to {args.out}", file=sys.stderr)
    else:
        sys.stdout.write(text.getvalue())
    return 0


def _rows(path_text: str) -> list[dict]:
    """The file's rows as dicts of column -> cell (text from a CSV or TSV, values from Parquet; None for a gap)."""
    table = read_table(user_path({"dataset": "predict", "path": path_text}, "file"))
    values = [cells.tolist() for cells in table.cells]
    return [dict(zip(table.columns, row, strict=True)) for row in zip(*values, strict=True)]
