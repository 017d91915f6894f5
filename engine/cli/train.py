"""`python -m engine train FILE --out DIR`: train a graph headlessly.

Writes DIR/metrics.jsonl (one JSON object per epoch), DIR/weights.safetensors (trained
parameters keyed `node_id.param`), DIR/run.json (graph, settings, seed, data fingerprint,
library versions, final metrics), DIR/checkpoints/{last,best} and DIR/inspection/ (each
node's outputs, weights and histograms on a probe set; see `inspect`). `--resume` continues
from DIR/checkpoints/last, up to `--epochs` in total. Under torchrun, `--ddp` trains with
DistributedDataParallel and rank 0 writes the outputs. The last line printed says whether
any layer's gradients vanish or explode (engine.training.health, as the editor's badges).
"""

from __future__ import annotations

import argparse
import errno
import os
import sys
import time
from pathlib import Path
from typing import Any

from engine.cli.errors import UserError
from engine.cli.outputs import refuse_overwriting_inputs
from engine.fileio import OutputError, committed_folder, write_failure
from engine.graph import load_graph
from engine.graph.training import TRAINING_INDEX
from engine.runs.record import run_record, write_record
from engine.runs.store import lock_run_folder
from engine.training.doctor import diagnose
from engine.training.health import final_health
from engine.training.score_report import test_score_line

EXIT_FAILED = 1
OVERRIDES = {"epochs": "epochs", "batch_size": "batch_size", "device": "device", "seed": "seed"}


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser("train", help="train a graph and write metrics, weights and a run record")
    parser.add_argument("file", help="graph file (.json)")
    parser.add_argument("--out", required=True, help="folder for metrics.jsonl, weights.safetensors, run.json")
    parser.add_argument("--epochs", type=int, help="total epochs (with --resume: including those already done)")
    parser.add_argument("--batch-size", dest="batch_size", type=int, help="samples per mini-batch")
    parser.add_argument("--device", choices=("auto", "cpu", "cuda", "mps"), help="where to train")
    parser.add_argument("--seed", type=int, help="random seed")
    parser.add_argument("--resume", action="store_true", help="continue from DIR/checkpoints/last")
    parser.add_argument(
        "--init-weights",
        dest="init_weights",
        metavar="WEIGHTS",
        help="start from these weights (.safetensors, or a .pt state_dict read without "
        "running code), matched by node id, then by name and shape",
    )
    parser.add_argument(
        "--init-nodes",
        dest="init_nodes",
        metavar="IDS",
        help="with --init-weights: only these nodes (comma-separated) take weights, "
        "e.g. the frozen feature extractor but not a new head",
    )
    parser.add_argument("--ddp", action="store_true", help="DistributedDataParallel under torchrun")
    parser.add_argument(
        "--threads",
        type=_thread_count,
        help="CPU threads for torch (default: chosen from the model's size and the machine's load; "
        "see docs/training.md)",
    )
    parser.add_argument("--no-progress", dest="progress", action="store_false", help="no progress bar")
    parser.set_defaults(handler=run)


def settings_from(args, graph) -> dict[str, Any]:
    """The graph's training block with the command line's overrides, each checked like the editor does."""
    settings = dict(graph.training)
    for attr, name in OVERRIDES.items():
        value = getattr(args, attr)
        if value is not None:
            settings[name] = TRAINING_INDEX[name].check(value)
    return settings


def run(args) -> int:
    """Train with `--out` locked for this run (rank 0 writes the outputs, so rank 0 holds the lock)."""
    lock = None
    if not args.ddp or os.environ.get("RANK", "0") == "0":
        try:
            lock = lock_run_folder(args.out, "--out")
        except OutputError as exc:
            raise UserError(str(exc)) from None
    try:
        code = _train(args)
    finally:
        if lock is not None:
            lock.release()
    if args.ddp:  # _train returned, so this process was a torchrun rank (outside torchrun --ddp is refused)
        from engine.training.distributed import leave_rank

        leave_rank(code)
    return code


def _train(args) -> int:
    from engine.inspection.recorder import InspectionRecorder
    from engine.training import DivergedError, MetricsWriter, ProgressBar, TrainingError
    from engine.training.checkpoint import save_weights
    from engine.training.initial_weights import load_initial_weights
    from engine.training.threads import apply_threads, training_thread_choice
    from engine.training.trainer import Trainer

    graph = load_graph(args.file)
    settings = settings_from(args, graph)
    out = Path(args.out)
    refuse_overwriting_inputs(
        {f"--out (its {name})": out / name for name in ("run.json", "metrics.jsonl", "weights.safetensors")},
        {"graph file": args.file, "weights file (--init-weights)": args.init_weights},
    )
    dist = None
    try:
        if args.batch_size is not None:
            _refuse_ignored_batch_size(graph, args.batch_size)
        if args.ddp:
            from engine.training.distributed import Distributed

            dist = Distributed.from_environment(settings["device"])
        main = dist is None or dist.is_main
        if main:
            out.mkdir(parents=True, exist_ok=True)
        # the writer first: if it cannot write, no progress bar is left open
        recorder = InspectionRecorder(out)
        callbacks = (
            [MetricsWriter(out / "metrics.jsonl"), recorder, ProgressBar(disable=not args.progress)] if main else []
        )
        trainer = Trainer(
            graph, settings=settings, callbacks=callbacks, checkpoint_dir=out / "checkpoints", distributed=dist
        )
        threads = training_thread_choice(trainer, args.threads)
        apply_threads(threads)
        if trainer.data.skipped and main:
            print(f"warning: skipped {len(trainer.data.skipped)} unreadable files:", file=sys.stderr)
            for reason in trainer.data.skipped:
                print(f"  {reason}", file=sys.stderr)
        for note in trainer.data.table_notes if main else ():  # a table's gaps filled, rows dropped, constant columns
            print(f"data: {note}", file=sys.stderr)
        if args.init_nodes and not args.init_weights:
            raise TrainingError("--init-nodes needs --init-weights")
        if args.init_weights:
            if args.resume:
                raise TrainingError("--init-weights and --resume both choose the starting weights; use one")
            nodes = [n.strip() for n in args.init_nodes.split(",") if n.strip()] if args.init_nodes else None
            report = load_initial_weights(trainer, args.init_weights, nodes)
            if main:
                print("\n".join(report.lines()), file=sys.stderr)
    except TrainingError as exc:
        _close(dist)
        raise UserError(str(exc)) from None
    started = time.time()
    status, error, code = "completed", None, 0
    try:
        result = trainer.fit(resume=args.resume)
        status = result.status
    except TrainingError as exc:
        _close(dist)
        raise UserError(str(exc)) from None
    except DivergedError as exc:
        status, error, code = "diverged", str(exc), EXIT_FAILED
    except KeyboardInterrupt:
        status, error, code = "interrupted", "interrupted by the user", 130
    except OSError as exc:  # a disk that filled or went away mid-run; every file it held is still whole
        status, error, code = "failed", _write_failed(exc, out), EXIT_FAILED
    if dist is None or dist.is_main:
        try:
            if status != "failed":
                save_weights(trainer.modules, out / "weights.safetensors", {"graph_hash": trainer.graph_hash})
            record = run_record(
                graph,
                trainer,
                status,
                error,
                time.time() - started,
                graph_file=args.file,
                resumed=args.resume,
                threads=threads,
            )
            write_record(out, record)
        except OSError as exc:
            error, code = error or _write_failed(exc, out), code or EXIT_FAILED
        diagnosis = diagnose(
            trainer.history, error if status == "diverged" else None, float(trainer.settings["grad_clip"])
        )
        print("\n".join(diagnosis.lines()))
        print(final_health(trainer.history).line())  # the editor shows the same as badges on the layers
        if recorder.failure:  # the run went on without its recording
            print(f"warning: {recorder.failure}", file=sys.stderr)
        if trainer.test_metrics:
            print(test_score_line(trainer.test_metrics, trainer.data.test_source))
    _close(dist)
    if error:
        print(f"error: {error}", file=sys.stderr)
    return code


def _thread_count(text: str) -> int:
    """`--threads`: a whole number of at least 1 (argparse reports anything else in one line)."""
    if not text.strip().isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of threads, 1 or more; got {text!r}")
    return int(text)


def _write_failed(exc: OSError, out: Path) -> str:
    """One line: what could not be written and where training can continue from."""
    line = write_failure(exc)
    if (committed_folder(out / "checkpoints" / "last") / "state.pt").is_file():
        remedy = "free some space, then " if exc.errno in (errno.ENOSPC, errno.EDQUOT) else ""
        line += f"; the last checkpoint is whole: {remedy}continue with --resume"
    return line


def _refuse_ignored_batch_size(graph, batch_size: int) -> None:
    """A full-batch optimizer steps on the whole training set: an explicit --batch-size would be ignored."""
    from engine.training import TrainingError
    from engine.training.plan import make_plan

    full = [o.node_id for o in make_plan(graph).optimizers if o.full_batch]
    if full:
        raise TrainingError(
            f"--batch-size {batch_size} would be ignored: optimizer `{'`, `'.join(full)}` takes full-batch steps "
            "(the whole training set at once); drop --batch-size, or use SGD for mini-batches"
        )


def _close(dist) -> None:
    if dist is not None:
        dist.close()
