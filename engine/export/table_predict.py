"""Exports of a model trained on a table take raw rows: the run's preprocessing travels with them.

A run on a table leaves `preprocessing.json` beside its weights (what training fitted on its
training rows: fills, categories, standardization). Every export made from those weights writes
it beside the exported file as `OUT.preprocessing.json`; the `python` export also holds
`prepare_rows` (the engine's own function, copied as its source) and `predict(rows)`, so the
exported model turns rows read from a CSV into predictions exactly as the trained one would.
"""

from __future__ import annotations

import inspect
import json
import os
from pathlib import Path

from engine.data import table_rows
from engine.data.info import DataError
from engine.data.table_prep import preprocessing_beside
from engine.export.model_part import ExportError, ModelPart
from engine.fileio import atomic_write_text

SUFFIX = ".preprocessing.json"


def preprocessing_path(out: Path) -> Path:
    """model.py -> model.preprocessing.json (beside the export)."""
    return out.with_suffix(SUFFIX)


def write_preprocessing_beside(weights: str | os.PathLike | None, out: Path) -> list[Path]:
    """Copy the run's preprocessing.json (beside `weights`) next to the export `out`; [] when there is none."""
    try:
        preprocessing = preprocessing_beside(weights)
    except DataError as exc:
        raise ExportError(str(exc)) from None
    if preprocessing is None:
        return []
    path = preprocessing_path(out)
    atomic_write_text(path, json.dumps(preprocessing, indent=2) + "\n")
    return [path]


def takes_table_rows(part: ModelPart) -> bool:
    """A model fed by a table Dataset through its one input: its export gets predict(rows)."""
    tables = any(n.type_id == "data.Dataset" and n.params.get("dataset") == "csv" for n in part.graph.nodes.values())
    return tables and len(part.inputs) == 1


def predict_lines(weights_name: str) -> list[str]:
    """prepare_rows (the engine's source), load_preprocessing and predict for the python export."""
    prep_name = Path(weights_name).with_suffix(SUFFIX).name
    sources = [
        inspect.getsource(getattr(table_rows, name)).strip("\n") for name in table_rows.PREPARE_ROWS_SOURCE_NAMES
    ]
    lines: list[str] = []
    for source in sources:
        lines += source.splitlines() + ["", ""]
    lines += [
        "def load_preprocessing(path=None) -> dict:",
        f'    """The training run\'s preprocessing ({prep_name} beside this file by default): fills, categories,',
        '    standardization, fitted on the training rows only."""',
        f'    path = Path(path) if path is not None else Path(__file__).with_name("{prep_name}")',
        '    return json.loads(Path(path).read_text(encoding="utf-8"))',
        "",
        "",
        "def predict(rows, model=None, preprocessing=None) -> list:",
        '    """Predictions for raw table rows (dicts of column -> value, e.g. from csv.DictReader): class names',
        '    for a classifier, numbers for a regression. The rows are prepared as training prepared its own."""',
        "    preprocessing = preprocessing if preprocessing is not None else load_preprocessing()",
        "    model = model if model is not None else load_model()",
        '    dtype = torch.int64 if preprocessing["dtype"] == "int64" else torch.float32',
        "    x = torch.tensor(prepare_rows(rows, preprocessing), dtype=dtype)",
        "    with torch.no_grad():",
        "        output = model(x)",
        '    classes = preprocessing["target"]["class_names"]',
        "    if classes:",
        "        return [classes[i] for i in output.argmax(dim=1).tolist()]",
        "    return output.reshape(len(output), -1)[:, 0].tolist()",
    ]
    return lines
