"""Re-validation after every edit (debounced) and parameter counts off the UI thread.

Validation and shape inference are the engine's `analyze` (no torch, milliseconds). Counting
parameters (the engine's `engine.analysis.parameters`, as the command line's summary counts)
needs torch modules, so it runs on one worker thread that imports torch the first time it is
needed, long after the window is up. Data files are never read here: `editor.data_reads`
reads them on other threads and the analysis runs again when a read ends.
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor

from PySide6 import QtCore

from editor import data_reads
from editor.document import GraphDocument
from engine.analysis import Analysis, analyze
from engine.analysis.parameters import layers_to_count
from engine.graph import Graph

# How long the GUI thread waits for a data read before it shows the node as "reading".
QUICK_READ_S = 0.15


class LiveAnalysis(QtCore.QObject):
    updated = QtCore.Signal(object)  # Analysis
    counts_updated = QtCore.Signal(dict)  # node id -> parameter count
    _counted = QtCore.Signal(int, dict)  # from the worker thread: generation, counts

    def __init__(self, document: GraphDocument, delay_ms: int = 120, parent: QtCore.QObject | None = None):
        super().__init__(parent)
        self.document = document
        self.analysis = Analysis()
        self.counts: dict[str, int] = {}
        self._timer = QtCore.QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(delay_ms)
        self._timer.timeout.connect(self.run_now)
        self._executor: ThreadPoolExecutor | None = None
        self._future: Future | None = None
        self._generation = 0
        self._cache: dict[str, int] = {}
        self._counted.connect(self._on_counted)
        document.changed.connect(self._timer.start)
        document.path_changed.connect(self._timer.start)  # relative data paths now point elsewhere
        self.data_reads = data_reads.acquire()
        self._reads_held = True
        self.data_reads.finished.connect(self.schedule)

    def schedule(self) -> None:
        self._timer.start()

    def run_now(self) -> Analysis:
        self._timer.stop()
        self.analysis = self._analyze(self.document.graph)
        self.updated.emit(self.analysis)
        # no copy: the document replaces its graph on every edit, never changes it in place
        self._count_parameters(self.document.graph, self.analysis)
        return self.analysis

    def _analyze(self, graph: Graph) -> Analysis:
        started = self.data_reads.started
        analysis = analyze(graph)
        # A data file the analysis handed to another thread: an ordinary one is read within a
        # moment, so wait that long and show its result rather than flash "reading" for it.
        if self.data_reads.started != started and self.data_reads.wait(QUICK_READ_S):
            analysis = analyze(graph)
        return analysis

    # -- parameter counts ---------------------------------------------------------------------
    def _count_parameters(self, graph: Graph, analysis: Analysis) -> None:
        self._generation += 1
        jobs = {layer.node_id: layer for layer in layers_to_count(graph, analysis)}
        known = {node_id: self._cache[layer.key] for node_id, layer in jobs.items() if layer.key in self._cache}
        missing = {node_id: job for node_id, job in jobs.items() if node_id not in known}
        if not missing:
            self._on_counted(self._generation, known)
            return
        if self._executor is None:
            self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="netwright-params")
        generation = self._generation
        self._future = self._executor.submit(self._work, generation, known, missing)

    def _work(self, generation: int, known: dict, missing: dict) -> None:
        counts = dict(known)
        for node_id, layer in missing.items():
            try:
                counts[node_id] = self._cache[layer.key] = layer.count()
            except Exception:  # a value torch refuses: the analysis already reports it
                continue
        self._counted.emit(generation, counts)

    def _on_counted(self, generation: int, counts: dict) -> None:
        if generation == self._generation:
            self.counts = counts
            self.counts_updated.emit(counts)

    def wait(self, timeout: float = 30.0) -> None:
        """Block until the pending count is done (tests, screenshots)."""
        if self._future is not None:
            self._future.result(timeout)
        QtCore.QCoreApplication.sendPostedEvents()
        QtCore.QCoreApplication.processEvents()

    def shutdown(self, wait: bool = True) -> None:
        """Stop; `wait=False` (quitting) does not wait for a count under way (the first one imports torch)."""
        self._timer.stop()
        self._generation += 1  # a count still under way reports to nobody
        if self._executor is not None:
            self._executor.shutdown(wait=wait, cancel_futures=True)
            self._executor = None
        if self._reads_held:
            self._reads_held = False
            self.data_reads.finished.disconnect(self.schedule)
            data_reads.release()
