"""A finished run read back from its folder, in the shape the live panel draws.

Opening a graph shows its own latest run: the curves come from `metrics.jsonl` and
`batches.jsonl`, the plot layout from `run.json`, so what the panel shows after a restart is
what it showed when the run ended (insights are not stored: they belong to a live run).
"""

from __future__ import annotations

from typing import Any

from engine.runs.store import RunInfo


def run_layout(info: RunInfo, history: list[dict[str, Any]]) -> dict[str, Any]:
    """The `started` message the plots were laid out from, rebuilt from the run's record and history."""
    record = info.record
    facts = record.get("plan") or {}
    optimizers = [o for o in facts.get("optimizers") or [] if isinstance(o, dict) and "id" in o]
    losses = list(dict.fromkeys(loss for o in optimizers for loss in (o.get("losses") or {})))
    first = history[0] if history else {}
    # one accuracy is logged as train_acc, several as train_acc_<loss>
    accuracy = losses[:1] if "train_acc" in first else [loss for loss in losses if f"train_acc_{loss}" in first]
    per_epoch = 1
    if first.get("epoch") and first.get("step"):
        per_epoch = max(1, int(first["step"]) // int(first["epoch"]))
    last = history[-1] if history else {}
    return {
        "epochs": info.epochs or len(history),
        "start_epoch": 0,
        "batches_per_epoch": per_epoch,
        "batch_size": facts.get("batch_size") or (record.get("settings") or {}).get("batch_size") or 0,
        "losses": losses,
        "accuracy": accuracy,
        "optimizers": [{"id": o["id"], "lr": _lr(last, o["id"], len(optimizers))} for o in optimizers],
        "relus": sorted(last.get("dead_relu") or {}),
        "num_val": 1 if any(k.startswith("val_") for k in last) else 0,
        "device": info.device,
        "monitor": record.get("monitor") or "",
        "step": 0,
    }


def _lr(row: dict[str, Any], optimizer: str, count: int) -> float:
    value = row.get("lr" if count == 1 else f"lr_{optimizer}")
    return float(value) if isinstance(value, (int, float)) else 0.0


def lr_changes(history: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every learning-rate change made during the run (pauses, schedules), in order."""
    seen: list[dict[str, Any]] = []
    for row in history:
        for change in row.get("lr_changes") or []:
            if isinstance(change, dict) and change not in seen and {"step", "from", "to"} <= set(change):
                seen.append(change)
    return seen
