"""The Inspector dock: what the selected node computes, epoch by epoch, for the run shown.

A run folder's `inspection/` recording (engine.inspection.store) is read as it grows: while a
run trains the panel follows its newest recorded epoch; afterwards the slider and Play replay
it. Tabs: the node's views, a projection of its outputs, the samples of a confusion-matrix
cell, your own input, and a 2-D dataset's decision map. Each says plainly when there is
nothing to show yet and why.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6 import QtCore, QtWidgets

from editor.inspector.model_tabs import ModelTabs
from editor.inspector.node_loader import NodeLoader, NodeRequest, NodeResult
from editor.inspector.node_view import NodeView, ProbeLook, probe_look
from editor.inspector.replay import EpochSlider
from engine.inspection.store import InspectionError, InspectionMissing, InspectionStore, UnknownNode
from engine.runs.store import read_run

POLL_MS = 500  # how often a live run's index is looked at (one stat call)

NO_RUN = "No run of this graph yet. Train it (F5): what each node computes is recorded while it trains and shows here."
NO_NODE = "Select a node on the canvas to see what it computes: its outputs on a few fixed samples, its weights, their histograms."
WAITING = "Training… the first recording appears here once the run has started (epoch 0: the initial weights)."
RECORDING_OFF = (
    "This run recorded nothing to inspect: inspection was off in its training settings (Training › inspect). "
    "Turn it on and train again."
)
NOT_RECORDED = (
    "This run has no inspection recording (it was trained before Netwright recorded runs, or the recording "
    "could not be written). Train again to see inside the network."
)


class InspectorPanel(QtWidgets.QWidget):
    """Shows one run's recording for one node. Feed it with `set_run` and `set_node`."""

    run_changed = QtCore.Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.run_dir: Path | None = None
        self.live = False
        self.record_info: dict[str, Any] = {}
        self.store: InspectionStore | None = None
        self.node_id: str | None = None
        self.sample = 0
        self.look: ProbeLook | None = None
        self._probe = None
        self._stamp: Any = None
        self.paused = False
        self._stale = False
        # the Node tab's views are read and prepared on the loader's thread (see node_loader.py)
        self.loader = NodeLoader(self)
        self.loader.ready.connect(self._prepared)
        self.requested = 0  # requests made; the one shown is the newest whose result arrived
        self.drawing = False  # a request is out (tests wait for it to land)
        self._node_tab_stale = False
        self.title = QtWidgets.QLabel()
        self.title.setObjectName("inspectorTitle")
        self.title.setTextFormat(QtCore.Qt.TextFormat.RichText)
        self.title.setContentsMargins(8, 4, 8, 0)
        self.title.setWordWrap(True)  # a long run name must not widen the dock (and the window, at 1280 pixels)
        self.slider = EpochSlider()
        self.tabs = QtWidgets.QTabWidget()
        self.tabs.setObjectName("inspectorTabs")
        self.tabs.setDocumentMode(True)
        self.node_view = NodeView()
        self.message = QtWidgets.QLabel(NO_RUN)
        self.message.setObjectName("inspectorMessage")
        self.message.setWordWrap(True)
        self.message.setAlignment(QtCore.Qt.AlignmentFlag.AlignCenter)
        self.message.setMargin(24)
        self.message.setStyleSheet("color: #8a90a0;")
        node_page = QtWidgets.QWidget()
        node_layout = QtWidgets.QVBoxLayout(node_page)
        node_layout.setContentsMargins(0, 0, 0, 0)
        self.scroll = QtWidgets.QScrollArea()
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QtWidgets.QFrame.Shape.NoFrame)
        self.scroll.setWidget(self.node_view)
        self.scroll.setHorizontalScrollBarPolicy(QtCore.Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        node_layout.addWidget(self.message)
        node_layout.addWidget(self.scroll, 1)
        self.tabs.addTab(node_page, "Node")
        self.model_tabs = ModelTabs(self)  # projection, cell samples, your input, decision map
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.title)
        layout.addWidget(self.slider)
        layout.addWidget(self.tabs, 1)
        self.poll = QtCore.QTimer(self)
        self.poll.setInterval(POLL_MS)
        self.poll.timeout.connect(self.refresh_live)
        self.slider.epoch_changed.connect(lambda _e: self.show_node())
        self.node_view.sample_chosen.connect(self.choose_sample)
        self.tabs.currentChanged.connect(self._tab_changed)
        self.destroyed.connect(self.loader.worker.close)  # a plain Python object: safe from the destructor
        self._update()

    # -- what is shown ---------------------------------------------------------------------------
    def set_run(self, run_dir: Path | None, live: bool = False) -> None:
        """Show the run in `run_dir` (None: no run); `live` while it is training."""
        same = run_dir is not None and run_dir == self.run_dir
        self.run_dir, self.live = run_dir, live
        if not same:
            self.store, self.look, self._probe, self._stamp, self.sample = None, None, None, None, 0
            self.record_info = {}
        if live:
            self.poll.start()
        else:
            self.poll.stop()
        self._open_store()
        self._update()
        if not same:
            self.model_tabs.run_changed()
        self.model_tabs.refresh()
        self.run_changed.emit()

    def set_node(self, node_id: str | None) -> None:
        if node_id != self.node_id:
            self.node_id = node_id
            self.show_node()

    def choose_sample(self, index: int) -> None:
        self.sample = index
        self.show_node()

    def refresh_live(self) -> None:
        """A live run: pick up new recorded epochs (the index is re-read only when it changed)."""
        if self.store is None:
            self._open_store()
            if self.store is None:
                return
            self._update()
            return
        try:
            stamp = self.store.epochs()
        except InspectionError:
            return  # the index is being replaced: next tick
        if stamp != self._stamp:
            self._stamp = stamp
            self.slider.set_epochs(stamp, live=self.live, planned=self._planned_epochs())

    def finish_live(self) -> None:
        """The run ended: keep showing it, now as a replay."""
        if self.live:
            self.refresh_live()
            self.set_run(self.run_dir, live=False)

    # -- internals ---------------------------------------------------------------------------------
    def _open_store(self) -> None:
        if self.run_dir is None or self.store is not None:
            return
        try:
            self.store = InspectionStore(self.run_dir)
        except InspectionMissing:
            self.store = None
        if not self.record_info:
            try:
                self.record_info = read_run(self.run_dir).record
            except OSError:
                self.record_info = {}

    def _run_message(self) -> str | None:
        """Why nothing can be shown for this run, or None."""
        if self.run_dir is None:
            return NO_RUN
        if self.store is None:
            if self.live:
                return WAITING
            settings = self.record_info.get("settings") or {}
            return RECORDING_OFF if settings.get("inspect") is False else NOT_RECORDED
        if not self.store.epochs():
            return WAITING if self.live else NOT_RECORDED
        return None

    def _update(self) -> None:
        epochs = self.store.epochs() if self.store is not None else []
        self._stamp = epochs
        self.slider.set_epochs(epochs, live=self.live, planned=self._planned_epochs())
        self.show_node()

    def _say(self, text: str) -> None:
        self.requested += 1  # what the loader may be preparing is not to be shown: a message replaces it
        self.drawing = False
        self.message.setText(text)
        self.message.show()
        self.scroll.hide()

    def _title(self, extra: str = "") -> None:
        run = self.run_dir.name if self.run_dir is not None else "no run"
        state = " · training" if self.live else ""
        node = f"<b>{self.node_id}</b> " if self.node_id else ""
        self.title.setText(f"{node}<span style='color:#8a90a0'>{extra}run {run}{state}</span>")

    def _planned_epochs(self) -> int | None:
        epochs = (self.record_info.get("settings") or {}).get("epochs")
        return epochs if isinstance(epochs, int) else None

    def dataset_name(self) -> str:
        graph = self.record_info.get("graph") or {}
        for node in graph.get("nodes", []):
            if isinstance(node, dict) and node.get("type") == "data.Dataset":
                return str((node.get("params") or {}).get("dataset", ""))
        return ""

    def set_paused(self, paused: bool) -> None:
        """Paused (its dock hidden behind another tab): new epochs are not drawn until it shows again."""
        self.paused = paused
        if not paused and self._stale:
            self.show_node()

    def show_node(self) -> None:
        """Draw the selected node at the slider's epoch, or say why not."""
        if self.paused:
            self._stale = True
            return
        self._stale = False
        message = self._run_message()
        if message is None and self.node_id is None:
            message = NO_NODE
        self.model_tabs.refresh()
        if message is not None:
            self._title()
            self._say(message)
            return
        try:
            self.store.node_info(self.node_id)
        except UnknownNode:
            self._title()
            self._say(self._why_not_recorded())
            return
        if self.tabs.currentIndex() != 0:  # only the tab in view is drawn; the Node tab when it shows
            self._node_tab_stale = True
            return
        self._node_tab_stale = False
        try:
            if self._probe is None:  # once a run: the probe and how to draw it (loads torch the first time)
                self._probe = self.store.probe()
                self.look = probe_look(self._probe, self.dataset_name())
        except InspectionError as exc:
            self._title()
            self._say(f"Cannot show this epoch: {exc}")
            return
        self.requested += 1
        self.drawing = True
        self.loader.request(
            NodeRequest(
                self.requested,
                self.run_dir,
                self.slider.epoch,
                self.node_id,
                self.store.output_node,
                self.sample,
                self._probe,
                self.look,
                self.store.class_names,
            )
        )

    def _prepared(self, result: NodeResult) -> None:
        """The loader's picture of the newest request: shown (older ones, overtaken meanwhile, are dropped)."""
        if result.number != self.requested:
            return
        self.drawing = False
        if result.picture is None:
            self._title()
            self._say(result.error or "")
            return
        try:
            kind = self.store.node_info(self.node_id).get("type", "") if self.store is not None else ""
        except InspectionError:
            kind = ""
        self._title(f"{kind.split('.')[-1]} · " if kind else "")
        self.node_view.apply(result.picture)
        self.message.hide()
        self.scroll.show()

    def _tab_changed(self, index: int) -> None:
        if index == 0 and self._node_tab_stale:
            self.show_node()
        self.model_tabs.refresh()

    def _why_not_recorded(self) -> str:
        graph = self.record_info.get("graph") or {}
        ids = {n.get("id") for n in graph.get("nodes", []) if isinstance(n, dict)}
        if ids and self.node_id not in ids:
            return f"`{self.node_id}` was not in the graph when this run trained: train again to inspect it."
        return (
            f"`{self.node_id}` has no recording: only the nodes between the data and the model's output are recorded "
            f"(not the dataset, losses or optimizers). Recorded: {', '.join(self.store.nodes()[:12])}."
        )
