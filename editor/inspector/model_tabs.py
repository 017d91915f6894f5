"""The Inspector's tabs that run the model: a node's projection, a confusion cell's samples, your
own input and a 2-D dataset's decision map.

They share one model (engine.inspection.trained.TrainedRun) holding the weights of the epoch
the slider shows, taken from the recording (engine.inspection.replay), so they replay a run
and follow a live one like the Node tab; where an epoch's weights were not recorded whole
the run's final weights are used and the tab says so. Only the tab in view is computed.
"""

from __future__ import annotations

import math
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from PySide6 import QtCore, QtWidgets

from editor.inspector.cell_view import PICK_A_CELL, CellSamplesView
from editor.inspector.maps import AttributionView, DecisionMapView, ProjectionView
from editor.inspector.try_view import TryInputView

if TYPE_CHECKING:
    from editor.inspector.panel import InspectorPanel

MAP_RESOLUTION = 72
# Measured on the digits CNN (2 busy cores): a projection takes ~0.25 s, a decision map ~0.07 s of
# the UI thread; while a run trains they are redrawn at most this often (seconds)
PROJECTION_LIVE_S = 4.0
MAP_LIVE_S = 1.0
MAP_POINTS = 500  # data points drawn on the decision map
NO_RUN = "Train the graph first (F5): this runs the trained model."


def _scrolled(widget: QtWidgets.QWidget) -> QtWidgets.QScrollArea:
    scroll = QtWidgets.QScrollArea()
    scroll.setWidgetResizable(True)
    scroll.setFrameShape(QtWidgets.QFrame.Shape.NoFrame)
    scroll.setHorizontalScrollBarPolicy(QtCore.Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    scroll.setWidget(widget)
    return scroll


class TrainedRunCache:
    """The run's model, loaded once per run (and again when its final weights file appears or changes)."""

    def __init__(self):
        self.key: tuple | None = None
        self.value: Any = None

    def get(self, run_dir: Path):
        """A TrainedRun (initial weights while the run has no final ones), or a sentence saying why not."""
        from engine.inspection.trained import WEIGHTS_FILE, RunReadError, load_trained_run

        try:
            stamp = (run_dir / WEIGHTS_FILE).stat().st_mtime_ns
        except OSError:
            stamp = None
        key = (run_dir, stamp)
        if key != self.key:
            QtWidgets.QApplication.setOverrideCursor(QtCore.Qt.CursorShape.WaitCursor)
            try:
                self.value = load_trained_run(run_dir, require_weights=False)
            except RunReadError as exc:
                self.value = str(exc)
            finally:
                QtWidgets.QApplication.restoreOverrideCursor()
            self.key = key
        return self.value


class ModelTabs(QtCore.QObject):
    def __init__(self, panel: InspectorPanel):
        super().__init__(panel)
        self.panel = panel
        self.cache = TrainedRunCache()
        self.projection = ProjectionView()
        self.cell_view = CellSamplesView()
        self.try_view = TryInputView()
        self.map_view = DecisionMapView()
        tabs = panel.tabs
        self.projection_tab = tabs.addTab(self.projection, "Projection")
        self.cell_tab = tabs.addTab(_scrolled(self.cell_view), "Cell")
        self.try_tab = tabs.addTab(self.try_view, "Try it")
        self.map_tab = tabs.addTab(_scrolled(self.map_view), "Map")
        self.why_view = AttributionView()
        self.why_tab = tabs.addTab(_scrolled(self.why_view), "Why")
        for index, tip in (
            (self.projection_tab, "The selected node's outputs on the validation samples, in two dimensions"),
            (self.cell_tab, "The samples of the confusion-matrix cell you click in Insights"),
            (self.try_tab, "Your own input: draw a digit, open or drop an image, or type feature values"),
            (self.map_tab, "A two-feature dataset's decision map, with each small layer's units"),
            (self.why_tab, "Which pixels each probe prediction rests on: saliency and Grad-CAM (Captum)"),
        ):
            tabs.setTabToolTip(index, tip)
        self.cell: tuple[int, int] | None = None
        self.last_input: tuple[str, Any] | None = None
        self.last_prediction = None
        self.shown: dict[int, tuple] = {}  # tab -> the key of what it shows (nothing recomputed needlessly)
        # while a run trains, the costly tabs redraw at most every few seconds (the UI stays responsive)
        self.last_drawn: dict[int, float] = {}
        self.later = QtCore.QTimer(self)
        self.later.setSingleShot(True)
        self.later.timeout.connect(self.refresh)
        self.live_spacing = {
            self.projection_tab: PROJECTION_LIVE_S,
            self.map_tab: MAP_LIVE_S,
            self.why_tab: PROJECTION_LIVE_S,
        }
        self.try_view.request.connect(self.try_input)
        self.projection.method_changed.connect(lambda _m: self.refresh())
        self.map_view.show_message(
            "The decision map is drawn for datasets of two features (moons, circles, spiral, xor, blobs)."
        )

    def run_changed(self) -> None:
        self.cell, self.last_input, self.shown = None, None, {}
        self.cell_view.show_message(PICK_A_CELL)

    # -- the model at the slider's epoch --------------------------------------------------------------
    def model(self, epoch: int | None = None):
        """(TrainedRun, which weights it holds in words) at `epoch` (the slider's by default), or (message, None)."""
        panel = self.panel
        if panel.run_dir is None:
            return NO_RUN, None
        run = self.cache.get(panel.run_dir)
        if isinstance(run, str):
            return run, None
        epoch = panel.slider.epoch if epoch is None else epoch
        if panel.store is not None and epoch is not None and epoch >= 0:
            from engine.inspection.replay import load_epoch_weights
            from engine.inspection.store import InspectionError

            tag = f"epoch {epoch}"
            if run.weights_tag == tag:
                return run, f"weights of epoch {epoch}"
            try:
                load_epoch_weights(run, panel.store, epoch)
                run.weights_tag = tag
                return run, f"weights of epoch {epoch}"
            except InspectionError:
                pass  # cut to the size limit: the final weights, if there are any yet
        if run.weights_tag != "final":
            if (panel.run_dir / "weights.safetensors").is_file():
                self.cache.key = None  # reload with the final weights
                return self.model(-1)
            return "Training… this needs weights: they appear with the first recorded epoch.", None
        return run, "the run's final weights"

    # -- refreshing the tab in view ---------------------------------------------------------------------
    def refresh(self) -> None:
        index = self.panel.tabs.currentIndex()
        spacing = self.live_spacing.get(index) if self.panel.live else None
        if spacing is not None:  # a live run records often: redraw a costly tab at most this often
            wait = self.last_drawn.get(index, -math.inf) + spacing - time.monotonic()
            if wait > 0:
                if not self.later.isActive():
                    self.later.start(int(wait * 1000) + 1)
                return
            self.last_drawn[index] = time.monotonic()
        if index == self.projection_tab:
            self._projection()
        elif index == self.try_tab:
            self._try_tab()
        elif index == self.map_tab:
            self._decision_map()
        elif index == self.why_tab:
            self._attribution()
        elif index == self.cell_tab and self.cell is not None:
            self._cell()

    def _key(self, *extra) -> tuple:
        panel = self.panel
        return (panel.run_dir, panel.slider.epoch, panel.store is not None, *extra)

    def _projection(self) -> None:
        node = self.panel.node_id
        method = self.projection.method.currentData()
        key = self._key(node, method)
        if self.shown.get(self.projection_tab) == key:
            return
        self.shown[self.projection_tab] = key
        if node is None:
            self.projection.show_message("Select a node: its outputs on the validation samples are projected to 2-D.")
            return
        run, note = self.model()
        if note is None:
            self.projection.show_message(run)
            return
        from engine.inspection.projection import ProjectionError, project

        if node not in run.graph.nodes or node not in dict(run.modules.named_children()):
            self.projection.show_message(
                f"`{node}` computes nothing to project in this run (a data, loss or optimizer node?)."
            )
            return
        QtWidgets.QApplication.setOverrideCursor(QtCore.Qt.CursorShape.WaitCursor)
        try:
            projection = project(run, run.data, node, method, seed=run.seed)
            targets = None
            if projection.labels is None:  # a regression: colour by the (first) target number
                y = run.data.val_y if projection.split == "val" else run.data.train_y
                targets = y[projection.indices].reshape(len(projection.indices), -1)[:, 0].float().numpy()
            self.projection.show_projection(projection, note, targets)
        except ProjectionError as exc:
            self.projection.show_message(str(exc))
        finally:
            QtWidgets.QApplication.restoreOverrideCursor()

    def show_cell(self, true_class: int, predicted_class: int) -> None:
        """List a confusion-matrix cell's samples (by the latest weights: the matrix is the latest epoch's)."""
        self.cell = (true_class, predicted_class)
        self.shown.pop(self.cell_tab, None)
        self.panel.tabs.setCurrentIndex(self.cell_tab)
        self._cell()

    def _cell(self) -> None:
        latest = self.panel.store.epochs()[-1] if self.panel.store is not None and self.panel.store.epochs() else None
        key = (self.panel.run_dir, latest, self.cell)
        if self.shown.get(self.cell_tab) == key:
            return
        self.shown[self.cell_tab] = key
        run, note = self.model(latest)
        if note is None:
            self.cell_view.show_message(run)
            return
        from engine.inspection.samples import samples_in_cell
        from engine.inspection.trained import RunReadError

        try:
            cell = samples_in_cell(run, *self.cell)
        except (RunReadError, IndexError) as exc:
            self.cell_view.show_message(str(exc))
            return
        self.cell_view.show_cell(cell)

    def _try_tab(self) -> None:
        key = self._key()
        if self.shown.get(self.try_tab) == key:
            return
        self.shown[self.try_tab] = key
        run, note = self.model()
        if note is None:
            self.try_view.show_message(run)
            return
        from engine.inspection.live_input import feature_names, typical_features

        names = feature_names(run)
        if run.image_shape is not None:
            self.try_view.show_inputs(True)
        elif len(self.try_view.feature_boxes) != len(names):
            self.try_view.show_inputs(False, names, typical_features(run))
            self.last_input = ("features", self.try_view.feature_values())
        else:
            self.try_view.show_inputs(False, names, np.array(self.try_view.feature_values()))
        if self.last_input is not None:
            self.try_input(*self.last_input)

    def try_input(self, kind: str, value) -> None:
        """Run a drawing ("image"), an image file ("file") or feature values ("features") through the model."""
        from engine.inspection.live_input import (
            InputError,
            features_to_sample,
            frame_drawing,
            image_file_to_sample,
            image_to_sample,
            pixel_range,
            predict,
            to_image_layout,
        )
        from engine.inspection.trained import RunReadError

        run, note = self.model()
        if note is None:
            self.try_view.show_message(run)
            return
        try:
            if kind == "image":  # a drawing: framed as the dataset's digits are, then scaled down
                sample = image_to_sample(run, frame_drawing(value))
            elif kind == "file":
                sample = image_file_to_sample(run, value)
            else:
                sample = features_to_sample(run, value)
            prediction = predict(run, sample)
        except (InputError, RunReadError) as exc:
            self.try_view.verdict.setText(str(exc))
            return
        self.last_input, self.last_prediction = (kind, value), prediction
        order = [n["id"] for n in (self.panel.record_info.get("graph") or {}).get("nodes", []) if isinstance(n, dict)]
        self.try_view.show_prediction(prediction, order, to_image_layout(run, prediction.raw_input), pixel_range(run))
        self.try_view.probabilities.subtitle += f" · {note}"

    def _decision_map(self) -> None:
        key = self._key()
        if self.shown.get(self.map_tab) == key:
            return
        self.shown[self.map_tab] = key
        run, note = self.model()
        if note is None:
            self.map_view.show_message(run)
            return
        if tuple(run.x_shape) != (2,):
            self.map_view.show_message(
                "The decision map is drawn for datasets of two features (Dataset › moons, circles, spiral, xor, "
                f"blobs): this run's samples have {list(run.x_shape)} values."
            )
            return
        if run.accuracy is None:
            self.map_view.show_message("The decision map is drawn for classifiers: this graph predicts numbers.")
            return
        import torch

        from engine.inspection.boundary import BoundaryError, bounds_of, decision_map, small_layers

        raw = torch.cat([run.raw_x(run.data.train_x), run.raw_x(run.data.val_x)])
        labels = torch.cat([run.data.train_y, run.data.val_y]).numpy()
        try:
            view = decision_map(
                run, bounds_of(raw), MAP_RESOLUTION, small_layers(run, run.prediction_node), run.prediction_node
            )
        except BoundaryError as exc:
            self.map_view.show_message(str(exc))
            return
        step = max(1, len(raw) // MAP_POINTS)
        subtitle = f"colour: the class it predicts, faint where unsure · {note}"
        self.map_view.set_map(view, raw.numpy()[::step], labels[::step], run.class_names, subtitle)

    def _attribution(self) -> None:
        node = self.panel.node_id
        key = self._key(node)
        if self.shown.get(self.why_tab) == key:
            return
        self.shown[self.why_tab] = key
        run, note = self.model()
        if note is None:
            self.why_view.show_message(run)
            return
        if run.image_shape is None or run.accuracy is None:
            self.why_view.show_message(
                "Saliency and Grad-CAM are drawn for image classifiers: this run's data are not images."
            )
            return
        import torch

        from engine.inspection.attribution import AttributionError, explain

        probe = self.panel.store.probe() if self.panel.store is not None else None
        inputs = torch.from_numpy(probe.inputs) if probe is not None else run.data.val_x[:16]
        # Grad-CAM on the selected node when it is a stack of feature maps, else on the last convolution
        info = (
            self.panel.store.node_info(node)
            if self.panel.store is not None and node in self.panel.store.nodes()
            else {}
        )
        layer = node if len(info.get("full_shape") or []) == 3 else None
        try:
            found = explain(run, inputs, layer)
        except AttributionError as exc:
            self.why_view.show_message(str(exc))
            return
        from engine.inspection.live_input import pixel_range, to_image_layout

        pictures = [to_image_layout(run, x) for x in run.raw_x(torch.from_numpy(found.inputs)).numpy()]
        saliency = [np.abs(to_image_layout(run, s)) for s in found.saliency]
        names = run.class_names
        captions = [names[int(t)] if int(t) < len(names) else str(int(t)) for t in found.target]
        self.why_view.show_attributions(
            pictures, pixel_range(run), saliency, found.grad_cam, found.layer, captions, note
        )
