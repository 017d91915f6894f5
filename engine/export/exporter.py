"""Export a graph's model to a file and verify the file right away.

    result = export_model(graph, "model.onnx", "onnx", weights="run/weights.safetensors")
    result.ok, result.max_abs_diff  # the artifact reloaded and run on a fixed batch

The editor calls `export_model` (or `verify_export` for a file written earlier) and shows
`result.message`.
"""

from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import torch

from engine.export.formats import FORMATS
from engine.export.model_part import (
    VERIFY_BATCH,
    ExportError,
    ModelPart,
    example_inputs,
    first_line,
    model_part,
)
from engine.export.table_predict import write_preprocessing_beside
from engine.fileio import OutputError, prepare_output_folder, write_failure
from engine.graph import Graph

TOLERANCE = 1e-4


@dataclass
class ExportResult:
    """What one export wrote and how closely the reloaded artifact reproduces the compiled model."""

    path: Path
    format: str
    max_abs_diff: float
    ok: bool
    message: str
    files: list[Path] = field(default_factory=list)
    seconds: float = 0.0  # writing and verifying


def export_model(
    graph: Graph, out: str | os.PathLike, fmt: str, weights: str | os.PathLike | None = None, output: str | None = None
) -> ExportResult:
    """Write the model part of `graph` (up to `output`, default: the prediction) as `fmt`, then verify it.

    Raises ExportError when the graph, weights or format cannot be exported; a written file
    that does not reproduce the model comes back with ok False.
    """
    if fmt not in FORMATS:
        raise ExportError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")
    started = time.perf_counter()
    part = model_part(graph, output, weights)
    path = Path(out)
    try:
        prepare_output_folder(path.parent, "output folder")
        files = FORMATS[fmt].write(part, path)
        files += write_preprocessing_beside(weights, path)  # a table's run: how to prepare raw rows
    except ExportError:
        raise
    except OutputError as exc:
        raise ExportError(f"{fmt} export: {exc}") from None
    except OSError as exc:  # a full or read-only disk: the previous file at `out` is untouched
        raise ExportError(f"{fmt} export: {write_failure(exc, path)}; nothing was replaced") from None
    except Exception as exc:  # an exporter refusing this model: name the format, keep one line
        raise ExportError(f"{fmt} export of `{part.output}` failed: {first_line(exc)}") from exc
    result = verify_export(part, path, fmt)
    result.files = files
    result.seconds = time.perf_counter() - started
    return result


def verify_export(part: ModelPart, path: str | os.PathLike, fmt: str) -> ExportResult:
    """Reload `path` as `fmt`, run it on a fixed batch and compare with the compiled model."""
    path = Path(path)
    inputs = example_inputs(part, VERIFY_BATCH)
    with torch.no_grad():
        expected = part.program(*inputs)
        try:
            got = FORMATS[fmt].load(part, path)(*inputs)
        except ExportError:
            raise
        except Exception as exc:  # the artifact does not load or run: that is a failed verification
            message = f"{fmt}: {path} was written but could not be run back: {first_line(exc)}"
            return ExportResult(path, fmt, math.inf, False, message)
    if tuple(got.shape) != tuple(expected.shape):
        message = (
            f"{fmt}: {path} gives shape {list(got.shape)} for a batch of {VERIFY_BATCH}, "
            f"the model gives {list(expected.shape)}"
        )
        return ExportResult(path, fmt, math.inf, False, message)
    diff = float((got.float() - expected.float()).abs().max()) if expected.numel() else 0.0
    ok = diff <= TOLERANCE
    verdict = "verified" if ok else f"MISMATCH (more than {TOLERANCE:g})"
    message = (
        f"{fmt}: wrote {path}; reloaded and ran a batch of {VERIFY_BATCH}: "
        f"max abs diff {diff:.3g} from the compiled model, {verdict}"
    )
    return ExportResult(path, fmt, diff, ok, message)
