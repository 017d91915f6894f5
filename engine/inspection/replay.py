"""A trained run's model as it was at a recorded epoch, rebuilt from the recording's weights.

Every recorded epoch holds each parametrised node's weights and batch-norm running
statistics; where none was cut to the size limits (engine.inspection.capture.Limits), they
are the whole model, so projections, attributions and decision maps can be drawn for that
epoch, not only for the final weights.
"""

from __future__ import annotations

import torch

from engine.inspection.store import InspectionError, InspectionStore


def load_epoch_weights(run, store: InspectionStore, epoch: int) -> None:
    """Put `epoch`'s recorded weights into `run.modules` (a TrainedRun); InspectionError if incomplete."""
    state = run.modules.state_dict()
    covered: set[str] = set()
    for node_id in store.nodes():
        entry = store.node_info(node_id)
        if entry.get("weights") != entry.get("weights_full"):
            raise InspectionError(
                f"epoch {epoch}: node {node_id!r}'s weights were recorded cut to the size limit; "
                "only the run's final weights can be used (leave out --epoch)"
            )
        if not entry.get("weights") and "bn_stats" not in entry.get("recorded", []):
            continue
        record = store.read(epoch, node_id)
        named = {f"{node_id}.{name}": value for name, value in record.weights.items()}
        named.update({f"{node_id}.{name}": value for name, value in (record.bn_stats or {}).items()})
        for name, value in named.items():
            if name not in state:
                raise InspectionError(f"epoch {epoch}: the recording has {name!r}, which the run's model lacks")
            state[name] = torch.from_numpy(value).to(state[name].dtype).reshape(state[name].shape)
            covered.add(name)
    missing = [name for name, p in run.modules.named_parameters() if name not in covered]
    if missing:
        raise InspectionError(f"epoch {epoch}: no recorded weights for {missing[0]!r}")
    run.modules.load_state_dict(state)
    run.modules.eval()
