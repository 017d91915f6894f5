"""`python -m engine summary FILE`: nodes, output shapes and parameter counts, like torchinfo."""

from __future__ import annotations

from engine.analysis import Analysis, analyze
from engine.analysis.parameters import ParameterCount, ParameterCountError, count_parameters
from engine.cli.errors import UserError
from engine.graph import Graph, load_graph
from engine.graph.grouping import node_paths
from engine.registry import catalog


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser("summary", help="table of nodes, output shapes and parameter counts")
    parser.add_argument("file", help="graph file (.json)")
    parser.set_defaults(handler=run)


def _checked(graph: Graph) -> tuple[Analysis, dict[str, ParameterCount]]:
    analysis = analyze(graph)
    if analysis.errors:
        raise UserError(f"cannot summarize: {analysis.errors[0]}")
    try:
        return analysis, count_parameters(graph, analysis)
    except ParameterCountError as exc:
        raise UserError(str(exc)) from None


def summary_rows(
    graph: Graph, analysis: Analysis, counts: dict[str, ParameterCount]
) -> list[tuple[str, str, str, int]]:
    """(node id, type title, output shape, parameters) per node, in data-flow order."""
    registry = catalog()
    rows = []
    for node_id in analysis.order:
        node_type = registry.get(graph.nodes[node_id].type_id)
        shapes = [
            str(analysis.specs[(node_id, p.name)]) for p in node_type.outputs if (node_id, p.name) in analysis.specs
        ]
        count = counts.get(node_id)
        rows.append((node_id, node_type.title, ", ".join(shapes) or "-", count.total if count else 0))
    return rows


def run(args) -> int:
    graph = load_graph(args.file)
    analysis, counts = _checked(graph)
    rows = summary_rows(graph, analysis, counts)
    headers = ("Node", "Type", "Output shape", "Params")
    paths = node_paths(graph)  # a node inside blocks is listed by its path, block3/conv2
    table = [headers] + [(paths.get(r[0], r[0]), r[1], r[2], f"{r[3]:,}") for r in rows]
    widths = [max(len(row[i]) for row in table) for i in range(4)]
    line = "-" * (sum(widths) + 6)

    def fmt(row) -> str:
        return "  ".join(
            cell.rjust(w) if i == 3 else cell.ljust(w) for i, (cell, w) in enumerate(zip(row, widths, strict=True))
        )

    print(graph.name or args.file)
    print(line)
    print(fmt(headers))
    print(line)
    for row in table[1:]:
        print(fmt(row))
    print(line)
    total = sum(c.total for c in counts.values())
    trainable = sum(c.trainable for c in counts.values())
    print(f"Total params: {total:,}")
    print(f"Trainable params: {trainable:,}")
    print(f"Frozen params: {total - trainable:,}")
    return 0
