"""The graph's training block: epochs, batches, seed, device, schedules, early stopping.

Its schema uses the same `Param` type as node parameters, so the editor builds its form
and validation checks its values the same way.
"""

from __future__ import annotations

from typing import Any

from engine.registry.params import Param

TRAINING_PARAMS: tuple[Param, ...] = (
    Param("epochs", "int", 20, "Passes over the training data.", minimum=1, maximum=100_000),
    Param(
        "batch_size",
        "int",
        32,
        "Samples per mini-batch (Gradient Descent uses the whole set).",
        minimum=1,
        maximum=1_000_000,
    ),
    Param(
        "seed", "int", 0, "Random seed: the same graph, data and seed give the same run.", minimum=0, maximum=2**31 - 1
    ),
    Param(
        "device",
        "choice",
        "auto",
        "Where to train: auto picks CUDA, then MPS, then the CPU.",
        choices=("auto", "cpu", "cuda", "mps"),
    ),
    Param("mixed_precision", "bool", False, "Use 16-bit floats where safe (CUDA only) for speed."),
    Param(
        "grad_clip",
        "float",
        0.0,
        "Clip the gradient norm to this value (0: off); tames exploding gradients.",
        minimum=0.0,
        maximum=1e6,
    ),
    Param("schedule", "choice", "none", "Learning-rate schedule.", choices=("none", "step", "cosine", "plateau")),
    Param("schedule_step_size", "int", 10, "step: epochs between learning-rate drops.", minimum=1, maximum=100_000),
    Param(
        "schedule_gamma",
        "float",
        0.5,
        "step and plateau: factor the learning rate is multiplied by.",
        minimum=1e-6,
        maximum=1.0,
    ),
    Param(
        "schedule_patience",
        "int",
        3,
        "plateau: epochs without improvement before lowering the rate.",
        minimum=0,
        maximum=100_000,
    ),
    Param("early_stopping", "bool", False, "Stop when the monitored metric stops improving."),
    Param("monitor", "str", "val_loss", "Metric watched by early stopping, plateau schedules and the best checkpoint."),
    Param(
        "patience", "int", 5, "Early stopping: epochs without improvement before stopping.", minimum=1, maximum=100_000
    ),
    Param(
        "min_delta",
        "float",
        0.0,
        "Early stopping: the least change that counts as an improvement.",
        minimum=0.0,
        maximum=1e6,
    ),
    Param("restore_best_weights", "bool", True, "Early stopping: end with the weights of the best epoch."),
    # Inspection (engine/inspection): what each node computes, recorded on a few fixed samples.
    Param(
        "inspect",
        "bool",
        True,
        "Record each node's outputs, weights and histograms on a fixed probe set, to see inside the network "
        "during and after training (run folder's inspection/).",
    ),
    Param(
        "inspect_every",
        "int",
        0,
        "Inspection: record every this many epochs (and the first and last); 0: about 10 epochs spread over "
        "the run, further apart only where that would cost more than 4 % of the training time.",
        minimum=0,
        maximum=100_000,
    ),
    Param(
        "inspect_probe",
        "int",
        16,
        "Inspection: validation samples in the probe set (chosen once from the seed).",
        minimum=1,
        maximum=256,
    ),
    Param(
        "inspect_max_mb",
        "float",
        20.0,
        "Inspection: the most the recording may take on disk; older epochs are thinned out to stay within it.",
        minimum=1.0,
        maximum=100_000.0,
    ),
)

TRAINING_INDEX = {p.name: p for p in TRAINING_PARAMS}


def default_training() -> dict[str, Any]:
    return {p.name: p.default for p in TRAINING_PARAMS}
