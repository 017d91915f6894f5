"""Start training from weights trained elsewhere (transfer learning, continuing a run)."""

from __future__ import annotations

import os

from engine.training.errors import TrainingError
from engine.weights import WeightsFileError, WeightsMatchError, WeightsReport, match_weights, read_weights


def load_initial_weights(trainer, path: str | os.PathLike, nodes: list[str] | None = None) -> WeightsReport:
    """Load the weights in `path` into `trainer`'s layers, matched by node id, module path, or unique name and shape.

    With `nodes`, only those nodes take weights. Layers that match nothing keep their fresh
    initial values; the report says which and why. Reading never executes code.
    """
    unknown = [n for n in nodes or [] if n not in trainer.graph.nodes]
    if unknown:
        raise TrainingError(f"cannot load weights into {', '.join(unknown)}: no such node in the graph")
    try:
        tensors = read_weights(path)
    except WeightsFileError as exc:
        raise TrainingError(str(exc)) from None
    try:
        report = match_weights(trainer.graph, tensors, seed=trainer.seed, only=set(nodes) if nodes else None)
    except WeightsMatchError as exc:
        raise TrainingError(f"{path}: {exc}") from None
    if not report.matched:
        raise TrainingError(
            f"no weights in {path} fit this graph: "
            + "; ".join(f"{key}: {why}" for key, why in list(report.unmatched.items())[:3])
        )
    state = {match.key: report.tensors[match.key] for match in report.matched}
    trainer.modules.load_state_dict(state, strict=False)
    return report
