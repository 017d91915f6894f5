"""What a model does, each epoch: the validation confusion matrix and a grid of sample outputs.

`Insights` is a Callback. At the end of every epoch it runs the trained modules (in eval
mode, without gradients, from fixed inputs and fixed noise) and hands a plain dict to
`send`:

- classification: `confusion` (true class x predicted class counts over the validation
  set, with class names) and, for image data, the first validation images with their true
  and predicted labels;
- an autoencoder (a loss whose target is the dataset's own x): inputs next to their
  reconstructions;
- a GAN (a Real + Fake Batch node): the generator's output for the same noise every epoch,
  as images, or as 2-D points next to real ones;
- regression (a loss comparing a prediction with the dataset's float y): predicted against
  actual over the validation set with its R² (engine/training/regression_insights.py), and for a
  single input feature the fitted curve over the data; forecasting (sine_wave): a few series
  with their true next value and the forecast.

It never touches the training random-number streams, so a run is identical with or
without it.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from engine.compiler import compile_graph
from engine.training.callbacks import Callback
from engine.training.regression_insights import regression_plan, regression_samples

if TYPE_CHECKING:
    from engine.training.trainer import Trainer

GENERATOR_MERGE = "merge.RealFakeBatch"
MAX_CONFUSION_SAMPLES = 4096
CHUNK = 1024
POINTS = 400  # generated 2-D points drawn over the real ones


@dataclass
class InsightPlan:
    kind: str  # "classifier", "reconstruction", "generated", "points", "regression", "forecast" or "none"
    node: str | None  # the node whose output is shown
    image_shape: tuple[int, ...] | None  # (H, W) or (H, W, 3)
    confusion: Any = None  # the AccuracyPlan used for the confusion matrix


def image_shape(x_shape: tuple[int, ...], dataset: str) -> tuple[int, ...] | None:
    """How to show one sample of x as an image, or None when it is not one."""
    if len(x_shape) == 3 and x_shape[0] in (1, 3) and min(x_shape[1:]) >= 4:
        return tuple(x_shape[1:]) if x_shape[0] == 1 else (x_shape[1], x_shape[2], 3)
    if len(x_shape) == 2 and dataset.startswith(("digits", "image")) and min(x_shape) >= 4:
        return tuple(x_shape)
    if len(x_shape) == 1 and dataset.startswith("digits"):
        side = math.isqrt(x_shape[0])
        if side * side == x_shape[0] and side >= 4:
            return (side, side)
    return None


def plan_insights(trainer: Trainer) -> InsightPlan:
    graph, plan = trainer.graph, trainer.plan
    dataset = str(graph.nodes[plan.dataset].params.get("dataset", ""))
    x_shape = tuple(trainer.data.train_x.shape[1:])
    shape = image_shape(x_shape, dataset)
    confusion = next((a for a in plan.accuracy), None)
    merge = next(
        (n for n in graph.nodes.values() if n.type_id == GENERATOR_MERGE and n.id in plan.analysis.order), None
    )
    if merge is not None:
        edge = next((e for e in graph.edges_into(merge.id) if e.dst_port == "fake"), None)
        if edge is not None:
            width = _width(trainer, edge.src)
            if shape is not None and width == int(np.prod(x_shape)):
                return InsightPlan("generated", edge.src, shape, confusion)
            if width == 2 and x_shape == (2,):
                return InsightPlan("points", edge.src, None, confusion)
    if confusion is not None:
        return InsightPlan("classifier" if shape else "none", confusion.prediction, shape, confusion)
    for loss in plan.losses:
        edges = {e.dst_port: e for e in graph.edges_into(loss)}
        target, prediction = edges.get("target"), edges.get("prediction")
        if (
            target is not None
            and prediction is not None
            and (target.src, target.src_port) == (plan.dataset, "x")
            and shape is not None
        ):
            return InsightPlan("reconstruction", prediction.src, shape, None)
    regression = regression_plan(trainer)
    if regression is not None:
        return InsightPlan(*regression, None, None)
    return InsightPlan("none", None, None, None)


def _width(trainer: Trainer, node_id: str) -> int | None:
    spec = next((s for (n, _), s in trainer.plan.analysis.specs.items() if n == node_id), None)
    return None if spec is None else spec.features


class Insights(Callback):
    """Sends {"epoch", "confusion"?, "samples"?} to `send` after every epoch."""

    def __init__(self, send: Callable[[dict[str, Any]], None], count: int = 16, min_interval: float = 0.0):
        self.send = send
        self.count = count
        # When epochs take milliseconds, skip epochs closer than this (seconds) to the last one
        # sent; the final epoch is always sent.
        self.min_interval = min_interval
        self.plan: InsightPlan | None = None
        self._last_time = -math.inf
        self._last_epoch = 0

    def on_train_start(self, trainer: Trainer) -> None:
        self.plan = plan_insights(trainer)
        self.enabled = self.plan.kind != "none" or self.plan.confusion is not None
        if not self.enabled:
            return
        outputs = [n for n in dict.fromkeys([self.plan.node, getattr(self.plan.confusion, "prediction", None)]) if n]
        self.program = compile_graph(trainer.graph, outputs, trainer.plan.analysis, trainer.modules)
        self.args = [n.target for n in self.program.graph.nodes if n.op == "placeholder"]
        data = trainer.data
        self.split = "val" if len(data.val_x) else "train"
        self.inputs = getattr(trainer, f"{self.split}_inputs")
        self.x_name = next(name for name, (_, port) in trainer.plan.inputs.items() if port == "x")
        self.y_name = next((name for name, (_, port) in trainer.plan.inputs.items() if port == "y"), None)
        x = data.train_x
        self.levels = (float(x.min()), float(x.max())) if x.numel() else (0.0, 1.0)
        self.class_names = list(data.class_names)
        generator = torch.Generator().manual_seed(trainer.seed + 7)
        self.noise = {}
        self.generated = POINTS if self.plan.kind == "points" else self.count
        for name, (width, distribution) in trainer.plan.noise.items():
            if distribution == "uniform":
                values = torch.rand(self.generated, width, generator=generator) * 2 - 1
            else:
                values = torch.randn(self.generated, width, generator=generator)
            self.noise[name] = values.to(trainer.device)
        self.real_points = None
        if self.plan.kind == "points":
            self.real_points = data.train_x[:POINTS].numpy().astype(np.float32)
        # The confusion matrix from the predictions the epoch's validation just made (a forward pass
        # over the validation set: 5 % of the CNN example's time when done again here). Not with
        # noise inputs, which validation draws afresh.
        self.reuse = self.plan.confusion is not None and self.split == "val" and not trainer.plan.noise
        if self.reuse:
            trainer.keep_val_outputs.add(self.plan.confusion.prediction)

    def on_epoch_end(self, trainer: Trainer, epoch: int, metrics: dict[str, Any]) -> None:
        if not self.enabled:
            return
        now = time.perf_counter()
        if epoch < trainer.epochs and now - self._last_time < self.min_interval:
            return
        self._last_time, self._last_epoch = now, epoch
        self._compute(trainer, epoch, validated=True)

    def on_train_end(self, trainer: Trainer, result) -> None:
        if self.enabled and trainer.history and self._last_epoch != len(trainer.history):
            self._compute(trainer, len(trainer.history))  # a stopped run: show where it ended

    def _compute(self, trainer: Trainer, epoch: int, validated: bool = False) -> None:
        """`validated`: the weights are those the epoch's validation just ran with (its outputs can serve)."""
        modules = trainer.modules
        was_training = modules.training
        modules.eval()
        try:
            with torch.no_grad():
                message: dict[str, Any] = {"epoch": epoch}
                if self.plan.confusion is not None:
                    message["confusion"] = self._confusion(trainer, validated and self.reuse)
                if self.plan.kind != "none":
                    message["samples"] = self._samples()
        finally:
            modules.train(was_training)
        self.send(message)

    def _run(self, start: int, stop: int) -> dict[str, torch.Tensor]:
        feed = {}
        for name in self.args:
            if name in self.noise:
                feed[name] = self.noise[name][: stop - start]
            else:
                feed[name] = self.inputs[name][start:stop]
        out = self.program(**feed)
        return out if isinstance(out, dict) else {self.plan.node: out}

    def _confusion(self, trainer: Trainer, reuse: bool = False) -> dict[str, Any]:
        acc = self.plan.confusion
        target = self.inputs[acc.target]
        n = min(len(target), MAX_CONFUSION_SAMPLES)
        classes = len(self.class_names) or 2
        matrix = torch.zeros(classes * classes, dtype=torch.long, device=target.device)
        validated = trainer.val_outputs.get(acc.prediction) if reuse else None
        if validated is not None and len(validated) >= n:
            chunks = [(0, n, validated[:n])]
        else:
            chunks = [(start, min(n, start + CHUNK), None) for start in range(0, n, CHUNK)]
        for start, stop, prediction in chunks:
            if prediction is None:
                prediction = self._run(start, stop)[acc.prediction]
            if acc.kind == "argmax":
                predicted = prediction.argmax(dim=1)
                truth = target[start:stop]
            else:
                predicted = (prediction.reshape(-1) > 0).long()
                truth = (target[start:stop].reshape(-1) > 0).long()
            matrix += torch.bincount(truth.long() * classes + predicted, minlength=classes * classes)[
                : classes * classes
            ]
        names = self.class_names or [str(i) for i in range(classes)]
        return {"labels": names, "matrix": matrix.reshape(classes, classes).cpu().tolist(), "split": self.split}

    def _samples(self) -> dict[str, Any]:
        kind, shape = self.plan.kind, self.plan.image_shape
        if kind in ("regression", "forecast"):
            return regression_samples(self, kind)
        if kind in ("generated", "points"):
            out = self._run(0, self.generated)[self.plan.node].float().cpu().numpy()
            if kind == "points":
                return {"kind": "points", "points": out.reshape(len(out), -1)[:, :2], "real": self.real_points}
            return {"kind": "generated", "images": out.reshape(len(out), *shape), "levels": self.levels}
        count = min(self.count if kind == "classifier" else self.count // 2, len(self.inputs[self.x_name]))
        out = self._run(0, count)
        images = self.inputs[self.x_name][:count].float().cpu().numpy()
        result: dict[str, Any] = {"kind": kind, "images": images.reshape(count, *shape), "levels": self.levels}
        if kind == "classifier":
            acc = self.plan.confusion
            prediction = out[acc.prediction]
            predicted = prediction.argmax(dim=1) if acc.kind == "argmax" else (prediction.reshape(-1) > 0).long()
            truth = self.inputs[acc.target][:count].reshape(-1)
            names = self.class_names or [str(i) for i in range(2)]
            result["true"] = [names[int(i)] for i in truth.cpu().tolist()]
            result["predicted"] = [names[int(i)] for i in predicted.cpu().tolist()]
        else:
            result["outputs"] = out[self.plan.node].float().cpu().numpy().reshape(count, *shape)
        return result
