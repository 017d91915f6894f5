"""A finished run brought back to life: its graph, its data split and its trained weights.

`load_trained_run(run_dir)` reads `run.json` (the graph as it trained, the seed) and
`weights.safetensors`, rebuilds the modules and loads the weights strictly, and loads the
dataset with the run's seed, so the validation split is the one the run saw. Trying an input
(`live_input`) and listing a confusion-matrix cell (`samples`) both start from this.
Reading never executes code: JSON and safetensors only.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from engine.compiler import compile_graph
from engine.data import DataError, LoadedData, load_dataset
from engine.graph import Graph
from engine.graph.fileformat import GraphFileError, graph_from_document
from engine.training.checkpoint import load_weights
from engine.training.errors import TrainingError
from engine.training.insights import image_shape
from engine.training.plan import AccuracyPlan, TrainingPlan, make_plan

RECORD_FILE = "run.json"  # engine.runs.store.RECORD (runs sits above this package)
WEIGHTS_FILE = "weights.safetensors"  # engine.runs.store.WEIGHTS


class RunReadError(Exception):
    """A run folder that cannot be brought back (one line, naming the file)."""


@dataclass
class TrainedRun:
    """The trained modules of a run with the data they were trained on (eval mode, CPU)."""

    folder: Path
    graph: Graph
    plan: TrainingPlan
    data: LoadedData
    modules: nn.Module
    seed: int
    weights_tag: str = "final"  # whose weights the modules hold: "final", "none" or a recorded epoch ("epoch 3")
    _programs: dict[tuple[str, ...], Any] = field(default_factory=dict, repr=False)
    _cache: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def accuracy(self) -> AccuracyPlan | None:
        """How the run scores a class: its first accuracy (None for a graph that is not a classifier)."""
        return self.plan.accuracy[0] if self.plan.accuracy else None

    @property
    def prediction_node(self) -> str | None:
        if self.accuracy is not None:
            return self.accuracy.prediction
        from engine.compiler.compile import model_output

        return model_output(self.graph)

    @property
    def class_names(self) -> list[str]:
        names = list(self.data.class_names)
        if not names and self.accuracy is not None:
            names = ["0", "1"] if self.accuracy.kind == "threshold" else []
        return names

    @property
    def x_shape(self) -> tuple[int, ...]:
        """The shape of one sample of the dataset's x, as the model takes it."""
        return tuple(self.data.train_x.shape[1:])

    @property
    def image_shape(self) -> tuple[int, ...] | None:
        """How one sample shows as an image ((H, W) or (H, W, 3)), or None for features."""
        dataset = str(self.graph.nodes[self.plan.dataset].params.get("dataset", ""))
        return image_shape(self.x_shape, dataset)

    @property
    def x_input(self) -> str:
        """The forward argument that carries the dataset's x."""
        return next(name for name, (_, port) in self.plan.inputs.items() if port == "x")

    def raw_x(self, x: torch.Tensor) -> torch.Tensor:
        """Undo the run's standardization: the values as the dataset holds them (pixels 0..1)."""
        if self.data.feature_mean is None:
            return x
        return x * self.data.feature_std + self.data.feature_mean

    def prepare(self, raw: torch.Tensor) -> torch.Tensor:
        """Apply the run's standardization to samples given as the dataset holds them."""
        if self.data.feature_mean is None:
            return raw
        return (raw - self.data.feature_mean) / self.data.feature_std

    def program(self, outputs: list[str]):
        """A compiled forward computing `outputs` (node ids), sharing the trained modules."""
        key = tuple(outputs)
        if key not in self._programs:
            self._programs[key] = compile_graph(self.graph, list(outputs), self.plan.analysis, self.modules)
        return self._programs[key]

    def run(self, x: torch.Tensor, outputs: list[str]) -> dict[str, torch.Tensor]:
        """The outputs of `outputs` for a batch of model inputs `x` (no gradients, eval mode)."""
        program = self.program(outputs)
        args = [n.target for n in program.graph.nodes if n.op == "placeholder"]
        feed = {}
        for name in args:
            if name == self.x_input:
                feed[name] = x
            elif name in self.plan.inputs:  # labels the model part never reads but the trace kept
                feed[name] = torch.zeros(len(x), dtype=self.data.train_y.dtype)
            else:
                raise RunReadError(f"the model needs the input {name!r}, which a single sample cannot give")
        with torch.no_grad():
            out = program(**feed)
        return out if isinstance(out, dict) else {outputs[0]: out}


def read_record(folder: Path) -> dict[str, Any]:
    path = folder / RECORD_FILE
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RunReadError(f"{folder}: not a run folder (no {RECORD_FILE})") from None
    except (OSError, json.JSONDecodeError) as exc:
        raise RunReadError(f"{path}: cannot read it ({exc})") from None
    if not isinstance(record, dict) or not isinstance(record.get("graph"), dict):
        raise RunReadError(f"{path}: holds no graph")
    return record


def load_trained_run(
    run_dir: str | os.PathLike, weights: str | os.PathLike | None = None, require_weights: bool = True
) -> TrainedRun:
    """The run in `run_dir` with its trained weights (or `weights`, a file saved for the same graph).
    With `require_weights=False` a run still training comes back with its initial modules (`weights_tag`
    "none"), for a recorded epoch's weights to be loaded into (engine.inspection.replay)."""
    folder = Path(run_dir)
    record = read_record(folder)
    try:
        graph = graph_from_document(record["graph"])
    except GraphFileError as exc:
        raise RunReadError(f"{folder / RECORD_FILE}: its graph cannot be read: {exc}") from None
    if record.get("graph_file"):
        graph.base_dir = Path(record["graph_file"]).resolve().parent  # data paths were relative to the graph file
    weights_path = Path(weights) if weights is not None else folder / WEIGHTS_FILE
    if not weights_path.is_file() and require_weights:
        raise RunReadError(f"{folder}: no trained weights yet ({weights_path.name} appears when the run ends)")
    try:
        plan = make_plan(graph)
    except TrainingError as exc:  # a graph this version cannot train any more (a node or setting changed)
        raise RunReadError(f"{folder / RECORD_FILE}: its graph cannot be rebuilt: {exc}") from None
    if plan.dataset is None:
        raise RunReadError(f"{folder}: the run's graph has no Dataset node")
    seed = int(record.get("seed", (record.get("settings") or {}).get("seed", graph.training.get("seed", 0))))
    try:
        data = load_dataset(graph.resolved_params(plan.dataset), seed)
    except DataError as exc:
        raise RunReadError(f"{folder}: the run's dataset cannot be read: {exc}") from None
    from engine.compiler.compile import CompileError, build_modules

    try:
        modules = build_modules(graph, plan.analysis)
    except CompileError as exc:
        raise RunReadError(f"{folder / RECORD_FILE}: its graph cannot be rebuilt: {exc}") from None
    tag = "none"
    if weights_path.is_file():
        try:
            load_weights(modules, weights_path)
        except TrainingError as exc:
            raise RunReadError(str(exc)) from None
        tag = "final"
    modules.eval()
    return TrainedRun(folder, graph, plan, data, modules, seed, weights_tag=tag)


def softmax_of(prediction: torch.Tensor, kind: str) -> np.ndarray:
    """Class probabilities [n, classes] from a prediction node's output, as the run's accuracy reads it:
    softmax of class scores, or sigmoid of a logit for a yes/no output."""
    prediction = prediction.float().reshape(len(prediction), -1)
    if kind == "threshold":
        p = torch.sigmoid(prediction[:, :1])
        return torch.cat([1 - p, p], dim=1).numpy()
    return torch.softmax(prediction, dim=1).numpy()
