"""How a run's test score reads, the same in the CLI and the editor."""

from __future__ import annotations

from typing import Any

SOURCES = {
    "held_out": "held out before training",
    "test_files": "the dataset's own test files",
}


def test_score_line(metrics: dict[str, Any], source: str) -> str:
    """One line: where the test samples came from, how many, and the loss (and accuracy) on them."""
    parts = [f"loss {metrics['test_loss']:.4g}"]
    if "test_acc" in metrics:
        parts.append(f"accuracy {100 * metrics['test_acc']:.1f} %")
    for key, value in metrics.items():  # several losses or accuracies: each by its node
        if key.startswith(("test_loss_", "test_acc_")):
            kind, node_id = key[5:].split("_", 1)
            parts.append(f"{kind} {node_id} {100 * value:.1f} %" if kind == "acc" else f"{kind} {node_id} {value:.4g}")
    where = SOURCES.get(source, source)
    return f"test set ({metrics['test_samples']} samples, {where}; scored once, after training): {', '.join(parts)}"
