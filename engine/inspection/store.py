"""A run's inspection folder: what was recorded, and reading it back (no torch needed).

Layout of `<run_dir>/inspection/` (format version 1):

- `index.json`: `format`, `version`, `probe` (`split`, `indices` into that split, `class_names`
  or null, `input_shape`), `epochs` (recorded, ascending; 0 is before the first update),
  `every`, `max_mb`, `output` (the node whose logits are recorded, or null) and `nodes`: one
  entry per recorded node in graph order with `id`, `type`, `recorded` (which of RECORD_KINDS it
  has), `activation_shape` (as stored, probe first), `full_shape` (as computed, one sample) and
  `weights` (name -> stored shape) with `weights_full` (name -> full shape).
- `probe.safetensors`: `inputs` and `targets` of the probe samples, plus `arg/<name>` for every
  forward argument of the graph (so a probe can be run again).
- `epoch_NNNN.safetensors`: one per recorded epoch; keys are `<node id>/<what>`, see `key`.

The index is replaced (atomically) after each epoch file is written, so a reader that follows
the index only ever opens whole files. Values are stored as float32 (counts as int64).
"""

from __future__ import annotations

import difflib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

FOLDER = "inspection"
INDEX = "index.json"
PROBE = "probe.safetensors"
FORMAT = "netwright-inspection"
VERSION = 1
RECORD_KINDS = ("activations", "weights", "histograms", "zero_weight_share", "bn_stats", "logits", "softmax")
HISTOGRAM_KINDS = ("weights", "activations", "gradients")


def epoch_file(epoch: int) -> str:
    return f"epoch_{epoch:04d}.safetensors"


def key(node_id: str, what: str) -> str:
    """The safetensors key of one recorded tensor, e.g. `conv1/activations`, `conv1/weights/weight`,
    `conv1/histograms/gradients/counts`, `bn1/bn_stats/running_mean`, `fc2/softmax`."""
    return f"{node_id}/{what}"


class InspectionError(Exception):
    """The inspection folder cannot answer: the message is one line that says why and what exists."""


class InspectionMissing(InspectionError):
    """No inspection folder, or its index or a file is missing or unreadable."""


class UnknownNode(InspectionError):
    pass


class UnknownEpoch(InspectionError):
    pass


@dataclass
class Probe:
    """The fixed samples every recorded epoch was computed on."""

    inputs: np.ndarray
    targets: np.ndarray
    class_names: list[str] | None
    indices: list[int] = field(default_factory=list)  # into the split named by `split`
    split: str = "val"
    arguments: dict[str, np.ndarray] = field(default_factory=dict)  # every forward argument, by name


@dataclass
class NodeRecord:
    """One node at one recorded epoch. Anything not recorded for the node is None or empty."""

    activations: np.ndarray | None  # [probe, ...] bounded: see the index's activation_shape / full_shape
    weights: dict[str, np.ndarray]
    histograms: dict[str, tuple[np.ndarray, np.ndarray]]  # "weights"/"activations"/"gradients" -> (counts, edges)
    zero_weight_share: float | None
    bn_stats: dict[str, np.ndarray] | None
    logits: np.ndarray | None
    softmax: np.ndarray | None
    node_id: str = ""
    epoch: int = -1


class InspectionStore:
    """Reads `<run_dir>/inspection/`; re-reads the index when it changes, so a live run's new epochs appear."""

    def __init__(self, run_dir: str | os.PathLike):
        self.run_dir = Path(run_dir)
        self.folder = self.run_dir / FOLDER
        self._index: dict[str, Any] | None = None
        self._index_stamp: tuple[int, int] | None = None
        self._epoch_cache: tuple[int, dict[str, np.ndarray]] | None = None
        self.index()  # a missing or corrupt folder is reported at once

    # -- the index ---------------------------------------------------------------------------
    def index(self) -> dict[str, Any]:
        path = self.folder / INDEX
        try:
            stat = path.stat()
        except FileNotFoundError:
            where = "no run folder" if not self.run_dir.is_dir() else "no inspection recorded"
            raise InspectionMissing(f"{self.run_dir}: {where} (expected {path})") from None
        except OSError as exc:
            raise InspectionMissing(f"{path}: cannot read ({exc.strerror})") from None
        stamp = (stat.st_mtime_ns, stat.st_size)
        if self._index is None or stamp != self._index_stamp:
            self._index = _read_index(path)
            self._index_stamp = stamp
            self._epoch_cache = None
        return self._index

    def epochs(self) -> list[int]:
        return list(self.index()["epochs"])

    def nodes(self) -> list[str]:
        return [entry["id"] for entry in self.index()["nodes"]]

    def node_info(self, node_id: str) -> dict[str, Any]:
        """The index entry of one node: type, what was recorded, shapes."""
        for entry in self.index()["nodes"]:
            if entry["id"] == node_id:
                return entry
        raise UnknownNode(f"no node {node_id!r} was recorded{_suggest(node_id, self.nodes())}")

    @property
    def class_names(self) -> list[str] | None:
        return self.index()["probe"].get("class_names")

    @property
    def output_node(self) -> str | None:
        """The node whose logits and softmax are recorded (the classifier's prediction), if any."""
        return self.index().get("output")

    def probe(self) -> Probe:
        arrays = self._load(self.folder / PROBE)
        meta = self.index()["probe"]
        if "inputs" not in arrays or "targets" not in arrays:
            raise InspectionMissing(f"{self.folder / PROBE}: no inputs or targets in it")
        return Probe(
            inputs=arrays["inputs"],
            targets=arrays["targets"],
            class_names=meta.get("class_names"),
            indices=list(meta.get("indices", [])),
            split=meta.get("split", "val"),
            arguments={k.split("/", 1)[1]: v for k, v in arrays.items() if k.startswith("arg/")},
        )

    # -- one node at one epoch ---------------------------------------------------------------
    def nearest_epoch(self, epoch: int) -> int:
        epochs = self.epochs()
        if not epochs:
            raise UnknownEpoch("no epoch has been recorded yet")
        return min(epochs, key=lambda e: (abs(e - epoch), -e))

    def latest_epoch(self) -> int:
        epochs = self.epochs()
        if not epochs:
            raise UnknownEpoch("no epoch has been recorded yet")
        return epochs[-1]

    def read(self, epoch: int, node_id: str) -> NodeRecord:
        """What was recorded for `node_id` at `epoch` (UnknownEpoch/UnknownNode name the nearest ones)."""
        epochs = self.epochs()
        if epoch not in epochs:
            near = f"; nearest recorded: {self.nearest_epoch(epoch)}" if epochs else ""
            raise UnknownEpoch(f"epoch {epoch} was not recorded{near} (recorded: {_span(epochs)})")
        entry = self.node_info(node_id)
        arrays = self._epoch_arrays(epoch)
        prefix = f"{node_id}/"
        mine = {k[len(prefix) :]: v for k, v in arrays.items() if k.startswith(prefix)}
        histograms = {}
        for kind in HISTOGRAM_KINDS:
            counts, edges = mine.get(f"histograms/{kind}/counts"), mine.get(f"histograms/{kind}/edges")
            if counts is not None and edges is not None:
                histograms[kind] = (counts, edges)
        bn = {k.split("/", 1)[1]: v for k, v in mine.items() if k.startswith("bn_stats/")}
        zero = mine.get("zero_weight_share")
        return NodeRecord(
            node_id=entry["id"],
            epoch=epoch,
            activations=mine.get("activations"),
            weights={k.split("/", 1)[1]: v for k, v in mine.items() if k.startswith("weights/")},
            histograms=histograms,
            zero_weight_share=None if zero is None else float(zero),
            bn_stats=bn or None,
            logits=mine.get("logits"),
            softmax=mine.get("softmax"),
        )

    def _epoch_arrays(self, epoch: int) -> dict[str, np.ndarray]:
        if self._epoch_cache is not None and self._epoch_cache[0] == epoch:
            return self._epoch_cache[1]
        arrays = self._load(self.folder / epoch_file(epoch))
        self._epoch_cache = (epoch, arrays)
        return arrays

    @staticmethod
    def _load(path: Path) -> dict[str, np.ndarray]:
        from safetensors import SafetensorError
        from safetensors.numpy import load_file

        try:
            return load_file(str(path))
        except FileNotFoundError:
            raise InspectionMissing(f"{path}: missing (the run may have thinned its recorded epochs)") from None
        except (SafetensorError, OSError, ValueError) as exc:
            raise InspectionMissing(f"{path}: not a readable safetensors file ({_first_line(exc)})") from None


def _read_index(path: Path) -> dict[str, Any]:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InspectionMissing(f"{path}: not a readable inspection index ({_first_line(exc)})") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise InspectionMissing(f"{path}: not a Netwright inspection index")
    version = doc.get("version")
    if not isinstance(version, int) or version > VERSION:
        raise InspectionMissing(f"{path}: inspection format version {version!r}; this Netwright reads up to {VERSION}")
    for name, kind in (("epochs", list), ("nodes", list), ("probe", dict)):
        if not isinstance(doc.get(name), kind):
            raise InspectionMissing(f"{path}: {name!r} is missing or not a {kind.__name__}")
    return doc


def _suggest(name: str, names: list[str]) -> str:
    close = difflib.get_close_matches(name, names, n=3, cutoff=0.5)
    if close:
        return f"; did you mean {', '.join(close)}?"
    return f" (recorded: {', '.join(names[:12])}{', ...' if len(names) > 12 else ''})" if names else ""


def _span(epochs: list[int]) -> str:
    if len(epochs) <= 8:
        return ", ".join(map(str, epochs)) or "none"
    return f"{', '.join(map(str, epochs[:4]))}, ..., {', '.join(map(str, epochs[-2:]))}"


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
