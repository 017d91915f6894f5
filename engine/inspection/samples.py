"""The samples behind one confusion-matrix cell: which validation samples of class `true` the
trained model calls `predicted`, each with its class probabilities.

The samples are those the confusion matrix counts (`engine.training.insights`): the first
MAX_CONFUSION_SAMPLES of the validation split (the training split when there is none), as
rebuilt from the run's seed, scored the way the run's accuracy scores them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from engine.inspection.live_input import to_image_layout
from engine.inspection.trained import RunReadError, TrainedRun, softmax_of
from engine.training.insights import CHUNK, MAX_CONFUSION_SAMPLES


@dataclass
class ScoredSplit:
    """The model's verdict on every sample the confusion matrix counts."""

    split: str  # "val" or "train"
    truth: np.ndarray  # [n] class index
    predicted: np.ndarray  # [n] class index
    probabilities: np.ndarray  # [n, classes]

    def matrix(self, classes: int) -> np.ndarray:
        """The confusion matrix of these verdicts (rows: true class, columns: predicted)."""
        flat = np.bincount(self.truth * classes + self.predicted, minlength=classes * classes)
        return flat[: classes * classes].reshape(classes, classes)


@dataclass
class CellSamples:
    """The samples in one cell, in split order (at most `limit` of `total`)."""

    true_class: int
    predicted_class: int
    class_names: list[str]
    split: str
    indices: np.ndarray  # positions in the split
    total: int  # how many samples the cell holds (the confusion matrix's count)
    probabilities: np.ndarray  # [k, classes]
    inputs: np.ndarray  # [k, ...] raw (unstandardized), as the dataset holds them
    images: np.ndarray | None  # [k, H, W] or [k, H, W, 3] for image data, else None


def score_split(run: TrainedRun) -> ScoredSplit:
    """Predict every sample the confusion matrix counts (cached on the run)."""
    key = f"scored {run.weights_tag}"  # the verdicts of the weights the modules hold now
    if key in run._cache:
        return run._cache[key]
    accuracy = run.accuracy
    if accuracy is None:
        raise RunReadError(f"{run.folder}: the run's graph is not a classifier: it has no confusion matrix")
    data = run.data
    split = "val" if len(data.val_x) else "train"
    x, y = (data.val_x, data.val_y) if split == "val" else (data.train_x, data.train_y)
    n = min(len(x), MAX_CONFUSION_SAMPLES)
    chunks = []
    for start in range(0, n, CHUNK):
        chunks.append(run.run(x[start : min(n, start + CHUNK)], [accuracy.prediction])[accuracy.prediction])
    prediction = torch.cat(chunks) if chunks else torch.zeros(0, max(1, len(run.class_names)))
    probabilities = softmax_of(prediction, accuracy.kind)
    if accuracy.kind == "argmax":
        predicted, truth = prediction.argmax(dim=1), y[:n]
    else:
        predicted, truth = (prediction.reshape(-1) > 0).long(), (y[:n].reshape(-1) > 0).long()
    scored = ScoredSplit(split, truth.long().numpy(), predicted.long().numpy(), probabilities)
    run._cache[key] = scored
    return scored


def samples_in_cell(run: TrainedRun, true_class: int, predicted_class: int, limit: int = 48) -> CellSamples:
    """The samples of class `true_class` that the model calls `predicted_class` (the first `limit`)."""
    scored = score_split(run)
    classes = scored.probabilities.shape[1]
    for name, value in (("true class", true_class), ("predicted class", predicted_class)):
        if not 0 <= value < classes:
            raise IndexError(f"{name} {value} is out of range: the run has {classes} classes")
    where = np.flatnonzero((scored.truth == true_class) & (scored.predicted == predicted_class))
    shown = where[:limit]
    x = run.data.val_x if scored.split == "val" else run.data.train_x
    raw = run.raw_x(x[torch.as_tensor(shown, dtype=torch.long)]).numpy() if len(shown) else x[:0].numpy()
    images = None
    if run.image_shape is not None:
        images = np.stack([to_image_layout(run, sample) for sample in raw]) if len(raw) else None
    names = run.class_names or [str(i) for i in range(classes)]
    return CellSamples(
        true_class,
        predicted_class,
        names,
        scored.split,
        shown,
        int(len(where)),
        scored.probabilities[shown],
        raw,
        images,
    )
