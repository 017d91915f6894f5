"""One node at one recorded epoch, drawn as what fits its data: feature maps and kernel tiles for
a convolution, a weight heatmap for a Linear layer, unit bars, a time-step heatmap for a
recurrent output, class probabilities for the output, histograms for all of them.

Which views show is read from the recorded arrays' shapes (a 4-D activation is a stack of
feature maps, a 2-D weight a matrix), so a new node type needs no change here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from PySide6 import QtCore, QtGui, QtWidgets

from editor.inspector.painting import (
    BAD,
    DIVERGING,
    GOOD,
    Bars,
    Heatmap,
    Histograms,
    ImageGrid,
    colour_image,
    colour_images,
    grey_image,
    heatmap_image,
    symmetric_range,
    value_range,
)
from engine.inspection.store import NodeRecord, Probe

MAX_MAPS = 64
MAX_KERNEL_ROWS = 32
MAX_KERNEL_COLUMNS = 16
MAX_BARS = 256


@dataclass
class ProbeLook:
    """How to show the probe samples: as pictures (layout (H, W) or (H, W, 3)) or not."""

    image_shape: tuple[int, ...] | None
    levels: tuple[float, float]

    def picture(self, sample: np.ndarray) -> np.ndarray | None:
        if self.image_shape is None:
            return None
        sample = np.asarray(sample)
        if sample.ndim == 3 and sample.shape[0] == 3:
            return np.transpose(sample, (1, 2, 0))
        return sample.reshape(self.image_shape)


def probe_look(probe: Probe, dataset: str) -> ProbeLook:
    from engine.training.insights import image_shape  # loads torch: only once a recording is shown

    shape = image_shape(tuple(probe.inputs.shape[1:]), dataset)
    return ProbeLook(shape, value_range(probe.inputs))


class NodeView(QtWidgets.QWidget):
    """The views of one node; those that do not apply are hidden."""

    sample_chosen = QtCore.Signal(int)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.probe_strip = ImageGrid("Probe samples", "", max_side=44)
        self.probe_strip.setMinimumHeight(96)
        self.softmax = Bars("Class probabilities", "")
        self.feature_maps = ImageGrid("Feature maps", "", max_side=90)
        self.feature_maps.setMinimumHeight(220)
        self.timesteps = Heatmap("Time steps", "")
        self.timesteps.setMinimumHeight(180)
        self.units = Bars("Unit activations", "")
        self.weights = Heatmap("Weights", "")
        self.weights.setMinimumHeight(200)
        self.kernels = ImageGrid("Kernels", "", max_side=40)
        self.kernels.setMinimumHeight(220)
        self.histograms = Histograms("Histograms", "")
        self.bn_stats = Bars("Batch-norm running statistics", "")
        self.views: list[QtWidgets.QWidget] = [
            self.probe_strip,
            self.softmax,
            self.feature_maps,
            self.timesteps,
            self.units,
            self.weights,
            self.kernels,
            self.histograms,
            self.bn_stats,
        ]
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(1)
        for view in self.views:
            layout.addWidget(view)
        layout.addStretch(1)
        self.probe_strip.clicked.connect(self.sample_chosen)
        self.arrays: dict[str, np.ndarray] = {}

    def shown_views(self) -> list[QtWidgets.QWidget]:
        return [v for v in self.views if not v.isHidden()]

    def show_record(
        self,
        record: NodeRecord,
        probe: Probe,
        look: ProbeLook,
        sample: int,
        class_names: list[str] | None,
        output: NodeRecord | None,
    ) -> None:
        """Show `record` at once (the panel prepares it on its loader thread and calls `apply`)."""
        self.apply(prepare_node(record, probe, look, sample, class_names, output))

    def apply(self, picture: NodePicture) -> None:
        """Show a prepared picture: assignments and repaints only, cheap on the GUI thread."""
        self.arrays = picture.arrays  # what each view draws, by view name (tests read it)
        self.probe_strip.selected = picture.sample
        for name in VIEW_NAMES:
            view = getattr(self, name)
            fill = picture.views.get(name)
            if fill is not None:
                fill(view)
                view.subtitle = picture.subtitles.get(name, "")
                view.update()
            if view.isHidden() != (fill is None):
                view.setVisible(fill is not None)


# NodeView's views, in the order NodePicture fills them
VIEW_NAMES = (
    "probe_strip",
    "softmax",
    "feature_maps",
    "timesteps",
    "units",
    "weights",
    "kernels",
    "histograms",
    "bn_stats",
)


@dataclass
class NodePicture:
    """One node at one epoch, ready to show: its images made, its values chosen (any thread may make it;
    QImages may be made off the GUI thread). `views` says how to fill each shown view, by name."""

    views: dict[str, Callable[[QtWidgets.QWidget], None]] = field(default_factory=dict)
    subtitles: dict[str, str] = field(default_factory=dict)
    arrays: dict[str, np.ndarray] = field(default_factory=dict)
    sample: int = 0


def prepare_node(
    record: NodeRecord,
    probe: Probe,
    look: ProbeLook,
    sample: int,
    class_names: list[str] | None,
    output: NodeRecord | None,
) -> NodePicture:
    """What NodeView shows for `record`; `sample` is the probe sample whose activations are drawn; `output`
    is the record of the output node at the same epoch (for the probe captions)."""
    sample = min(sample, max(0, len(probe.inputs) - 1))
    picture = NodePicture(sample=sample)
    views, subtitles, arrays = picture.views, picture.subtitles, picture.arrays
    _probe(picture, probe, look, sample, class_names, output)
    acts = record.activations
    if acts is not None and len(acts) > sample:
        one = acts[sample]
        if one.ndim == 3:  # channels x height x width
            views["feature_maps"], subtitles["feature_maps"] = _feature_maps(one)
            arrays["feature_maps"] = one
        elif one.ndim == 2:  # time steps x features
            arrays["timesteps"] = one
            matrix = heatmap_image(one.T, diverging=False)
            views["timesteps"] = lambda v: v.set_image(*matrix, row_label="features", column_label="time steps")
            subtitles["timesteps"] = f"sample {sample + 1}: each column is one step's output, {_span(one)}"
        elif one.ndim == 1 and record.softmax is None:
            arrays["units"] = one
            views["units"] = lambda v: v.set_values(one[:MAX_BARS])
            more = f" (first {MAX_BARS} of {len(one)})" if len(one) > MAX_BARS else ""
            subtitles["units"] = f"sample {sample + 1}: {len(one)} units{more}, {_span(one)}"
            if len(one) == 1:  # one number (a regression's output): say it, beside the target
                target = np.asarray(probe.targets[sample]).reshape(-1)
                aim = f" (target {float(target[0]):.4g})" if target.size == 1 else ""
                subtitles["units"] = f"sample {sample + 1}: {float(one[0]):.4g}{aim}"
    if record.softmax is not None and len(record.softmax) > sample:
        names = class_names or [str(i) for i in range(record.softmax.shape[1])]
        truth = _class_of(probe.targets, sample)
        values = record.softmax[sample]
        arrays["softmax"] = values
        views["softmax"] = lambda v: v.set_values(values, names, probabilities=True, good=truth)
        guess = int(np.argmax(values))
        verdict = "right" if truth == guess else f"wrong (true: {names[truth]})" if truth is not None else ""
        subtitles["softmax"] = f"sample {sample + 1}: predicts {names[guess]} — {verdict}".rstrip(" —")
    weight = record.weights.get("weight")
    if weight is not None and weight.ndim == 4:
        views["kernels"], subtitles["kernels"] = _kernels(weight)
        arrays["kernels"] = weight
    elif weight is not None and weight.ndim == 2:
        arrays["weights"] = weight
        matrix = heatmap_image(weight, diverging=True)
        views["weights"] = lambda v: v.set_image(*matrix, row_label="outputs", column_label="inputs")
        zero = f" · {record.zero_weight_share:.1%} exactly zero" if record.zero_weight_share else ""
        subtitles["weights"] = f"{weight.shape[0]} x {weight.shape[1]}, {_span(weight)}{zero}"
    if record.histograms:
        order = [k for k in ("weights", "activations", "gradients") if k in record.histograms]
        series = [(k, *record.histograms[k]) for k in order]
        views["histograms"] = lambda v: v.set_histograms(series)
        subtitles["histograms"] = "over the whole layer at this epoch"
    if record.bn_stats:
        mean, var = record.bn_stats.get("running_mean"), record.bn_stats.get("running_var")
        if mean is not None:
            values = np.concatenate([mean, var]) if var is not None else mean
            labels = [f"μ{i}" for i in range(len(mean))] + (
                [f"σ²{i}" for i in range(len(var))] if var is not None else []
            )
            views["bn_stats"] = lambda v: v.set_values(values[:MAX_BARS], labels[:MAX_BARS])
            subtitles["bn_stats"] = "running mean of each channel, then running variance"
    return picture


def _probe(
    picture: NodePicture,
    probe: Probe,
    look: ProbeLook,
    sample: int,
    class_names: list[str] | None,
    output: NodeRecord | None,
) -> None:
    images, captions, colours = [], [], []
    for k, x in enumerate(probe.inputs):
        picture_k = look.picture(x)
        if picture_k is not None:
            images.append(grey_image(picture_k, *look.levels))
        else:  # features: a one-row strip of the sample's values
            row = np.asarray(x, dtype=np.float32).reshape(1, -1)
            images.append(colour_image(row, *symmetric_range(probe.inputs)))
        truth = _class_of(probe.targets, k)
        short = bool(class_names) and max(len(n) for n in class_names) <= 2  # digits: "7→1" reads
        if output is not None and output.softmax is not None and truth is not None and class_names:
            guess = int(np.argmax(output.softmax[k]))
            captions.append(f"{class_names[truth]}→{class_names[guess]}" if short else str(k + 1))
            colours.append(GOOD if guess == truth else BAD)
        else:
            captions.append(class_names[truth] if truth is not None and short else str(k + 1))
            colours.append(None)
    picture.views["probe_strip"] = lambda v: v.set_images(images, captions, colours)
    verdict = " · green: predicted right, red: wrong" if output is not None and output.softmax is not None else ""
    picture.subtitles["probe_strip"] = (
        f"the same {len(images)} validation samples every epoch{verdict} · click one · showing sample {sample + 1}"
    )


def _feature_maps(maps: np.ndarray) -> tuple[Callable, str]:
    shown = maps[:MAX_MAPS]
    lo, hi = value_range(shown)
    images, captions = colour_images(shown, lo, hi), [str(i) for i in range(len(shown))]
    subtitle = f"{len(maps)} channels of {maps.shape[1]} x {maps.shape[2]}, one colour scale {lo:.2g}..{hi:.2g}"
    return (lambda v: v.set_images(images, captions)), subtitle


def _kernels(weight: np.ndarray) -> tuple[Callable, str]:
    outs, ins = min(len(weight), MAX_KERNEL_ROWS), min(weight.shape[1], MAX_KERNEL_COLUMNS)
    lo, hi = symmetric_range(weight)
    if weight.shape[1] == 3:  # colour input: one RGB tile per filter
        tiles = [grey_image(np.transpose(weight[o], (1, 2, 0)), lo, hi) for o in range(outs)]
        fill = lambda v: v.set_images(tiles)  # noqa: E731
    else:
        stack = weight[:outs, :ins].reshape(outs * ins, *weight.shape[2:])
        tiles = colour_images(stack, lo, hi, DIVERGING)
        fill = lambda v: v.set_images(tiles, columns=ins if ins > 1 else None)  # noqa: E731
    cut = " (first ones shown)" if outs < len(weight) or ins < weight.shape[1] else ""
    subtitle = (
        f"{weight.shape[0]} filters x {weight.shape[1]} input channels of "
        f"{weight.shape[2]} x {weight.shape[3]}{cut}{': a row per filter' if ins > 1 else ''}; blue negative, orange positive"
    )
    return fill, subtitle


def _class_of(targets: np.ndarray, k: int) -> int | None:
    value = np.asarray(targets[k]).reshape(-1)
    return int(value[0]) if value.size == 1 and float(value[0]).is_integer() else None


def _span(values: np.ndarray) -> str:
    return f"range {float(np.min(values)):.3g} to {float(np.max(values)):.3g}"


def probe_thumbnail(look: ProbeLook, sample: np.ndarray) -> QtGui.QImage | None:
    picture = look.picture(sample)
    return None if picture is None else grey_image(picture, *look.levels)
