"""`python -m engine validate FILE`: OK, or one line per problem and exit 2."""

from __future__ import annotations

import sys

from engine.analysis import analyze
from engine.graph import load_graph


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser("validate", help="check a graph file and report its problems")
    parser.add_argument("file", help="graph file (.json)")
    parser.add_argument("--warnings", action="store_true", help="also list warnings and notes")
    parser.set_defaults(handler=run)


def run(args) -> int:
    graph = load_graph(args.file)
    analysis = analyze(graph)
    shown = analysis.problems if args.warnings else analysis.errors
    for problem in shown:
        print(str(problem), file=sys.stderr if problem.is_error else sys.stdout)
    if analysis.errors:
        return 2
    refusal = training_refusal(graph, analysis)
    if refusal:
        print(f"training: {refusal}", file=sys.stderr)
        return 2
    warnings = len(analysis.problems) - len(analysis.errors)
    note = (
        f" ({warnings} warning{'s' * (warnings != 1)}; --warnings lists them)" if warnings and not args.warnings else ""
    )
    print(f"OK: {args.file} is valid ({len(graph.nodes)} nodes, {len(graph.edges)} edges){note}")
    return 0


def training_refusal(graph, analysis) -> str | None:
    """What `train` would refuse in a graph that trains (it has an optimizer), with the same checks it
    runs before reading any data: the plan, the device, mixed precision, the monitored metric."""
    from engine.registry import catalog

    registry = catalog()
    if not any(registry.get(node.type_id).role == "optimizer" for node in graph.nodes.values()):
        return None  # a model without training: nothing to refuse
    from engine.graph.training import default_training
    from engine.training.errors import TrainingError
    from engine.training.plan import make_plan
    from engine.training.settings_check import check_monitor, check_run_settings, device_can_be_refused, has_validation

    settings = {**default_training(), **graph.training}
    try:
        plan = make_plan(graph, analysis)
        if device_can_be_refused(settings):
            check_run_settings(settings, plan, has_validation(plan))
        else:
            check_monitor(settings, plan, has_validation(plan))
    except TrainingError as exc:
        return str(exc)
    return None
