"""One split of a streamed image folder, standing where its [N, C, H, W] float32 tensor would.

`len`, `shape`, `dim()` and `to(device)` answer without decoding; indexing (an int, a slice, an
index tensor) and `index_select` decode just those images (on a few threads: Pillow releases the
GIL while it decodes). Training reads it through `stream_batches`: a DataLoader whose worker
processes decode each batch in the order the trainer drew (so a seed repeats the run exactly),
kept alive between epochs (persistent_workers) and pinning memory for a CUDA device. A daemonic
process may not start worker processes (the editor's training child is one): there, as many
threads decode the batches ahead instead (Pillow releases the GIL while it decodes).

An image that passed the header check but still fails to decode is left out of its batch (its
label too), counted in `skipped` and named in a RuntimeWarning; the run goes on.

torch is imported when a split is used, not when this module is.
"""

from __future__ import annotations

import multiprocessing
import warnings
from collections import deque
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

import numpy as np

from engine.data.info import DataError
from engine.data.streaming import ImageFiles, LazyImages

if TYPE_CHECKING:
    import torch

PREFETCH_BATCHES = 4  # batches each worker decodes ahead


class SplitImages:
    """The map-style dataset the DataLoader's workers index: position in the split -> decoded image.

    `__getitems__` decodes a whole batch into one array (torch calls it instead of one
    `__getitem__` per sample) and says which images could not be decoded.
    """

    def __init__(self, files: ImageFiles, indices: np.ndarray):
        self.files = files
        self.indices = indices

    def __len__(self) -> int:
        return len(self.indices)

    def __getitem__(self, position: int) -> np.ndarray:
        return self.files.decode(int(self.indices[position]))

    def __getitems__(self, positions: list[int]) -> tuple[np.ndarray, np.ndarray, list[str]]:
        return decode_batch(self.files, self.indices[np.asarray(positions, dtype=np.int64)])


def decode_batch(files: ImageFiles, indices: np.ndarray) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """(images [k, C, H, W] of those decoded, a decoded-or-not mask over `indices`, why each failed)."""
    out = np.empty((len(indices), *files.sample_shape), dtype=np.float32)
    ok = np.ones(len(indices), dtype=bool)
    problems: list[str] = []
    for row, index in enumerate(indices):
        try:
            out[row] = files.decode(int(index))
        except DataError as exc:
            ok[row] = False
            problems.append(str(exc))
    return (out if ok.all() else out[ok]), ok, problems


def _as_tensors(decoded: tuple[np.ndarray, np.ndarray, list[str]]):
    import torch

    images, ok, problems = decoded
    return torch.from_numpy(images), torch.from_numpy(ok), problems


class _EpochBatches:
    """The batch sampler: this epoch's batches of positions, set by the trainer's order before each epoch.

    The DataLoader iterates it in the main process at the start of each epoch, so persistent
    workers see the new order without being restarted.
    """

    def __init__(self) -> None:
        self.batches: list[list[int]] = []

    def __iter__(self) -> Iterator[list[int]]:
        return iter(self.batches)

    def __len__(self) -> int:
        return len(self.batches)


class StreamedSplit:
    """What a streamed split answers as its tensor would, without reading it all: its size, device and
    rows picked by an int, a slice or an index tensor. Shared by StreamedImages and a streamed table's
    split (table_stream_split.StreamedTable); each says how a key picks rows (`_select`) and reads them
    (`_fetch`), and what else it answers (dtype, bytes, `to`)."""

    lazy: Any
    _device: Any
    _shared: dict[str, Any]  # what the split's copies (`to`) share: its DataLoader ("loader", "sampler"), ...
    noun = "streamed rows"  # what the split's rows are, in its one error message

    def __len__(self) -> int:
        return len(self.lazy)

    @property
    def shape(self) -> torch.Size:
        import torch

        return torch.Size(self.lazy.shape)

    @property
    def device(self) -> torch.device:
        import torch

        return torch.device(self._device)

    @property
    def ndim(self) -> int:
        return len(self.lazy.shape)

    def dim(self) -> int:
        return self.ndim

    def numel(self) -> int:
        return int(np.prod(self.lazy.shape))

    def __getitem__(self, key) -> torch.Tensor:
        import torch

        if isinstance(key, torch.Tensor):
            key = key.cpu().numpy()
        elif isinstance(key, list):
            key = np.asarray(key, dtype=np.int64)
        selected = self._select(key)
        if np.ndim(selected) == 0:
            return self._fetch(np.asarray([selected]))[0]
        return self._fetch(selected)

    def index_select(self, dim: int, index: torch.Tensor) -> torch.Tensor:
        if dim != 0:
            raise ValueError(f"{self.noun} are selected along the sample dimension (0) only")
        return self[index]

    def numpy(self) -> np.ndarray:
        return self[:].numpy()

    def close(self) -> None:
        """End the workers now rather than when the split is garbage collected."""
        loader = self._shared.get("loader")
        iterator = getattr(loader, "_iterator", None)
        if iterator is not None and hasattr(iterator, "_shutdown_workers"):
            iterator._shutdown_workers()
        self._shared.update(loader=None, sampler=None)

    def _select(self, key) -> np.ndarray:
        raise NotImplementedError

    def _fetch(self, selected: np.ndarray) -> torch.Tensor:
        raise NotImplementedError


class StreamedImages(StreamedSplit):
    """A split of a streamed image folder; see the module docstring for what it answers and how."""

    noun = "streamed images"

    def __init__(self, lazy: LazyImages, device: Any = "cpu", shared: dict | None = None):
        self.lazy = lazy
        self._device = device
        # the loader and the skipped list belong to the split, whichever device copy asks
        self._shared = shared if shared is not None else {"skipped": [], "loader": None, "sampler": None}

    # -- what a tensor answers without data (the rest: StreamedSplit) ----------------------------------
    @property
    def dtype(self) -> torch.dtype:
        import torch

        return torch.float32

    @property
    def nbytes(self) -> int:
        return int(np.prod(self.lazy.shape)) * 4

    @property
    def skipped(self) -> list[str]:
        """Images that failed to decode while streaming, one line each (the header check passed them)."""
        return self._shared["skipped"]

    def is_floating_point(self) -> bool:
        return True

    def min(self) -> torch.Tensor:
        """The lowest value pixels can take (0): scanning every image for it would read the whole folder."""
        import torch

        return torch.tensor(0.0)

    def max(self) -> torch.Tensor:
        """The highest value pixels can take (1)."""
        import torch

        return torch.tensor(1.0)

    def to(self, device: Any, non_blocking: bool = False) -> StreamedImages:
        return StreamedImages(self.lazy, device, self._shared)

    # -- decoding a few images -------------------------------------------------------------------
    def _select(self, key) -> np.ndarray:
        return self.lazy.indices[key]  # the picked images' indices in the folder's file list

    def _fetch(self, indices: np.ndarray) -> torch.Tensor:
        """The images at these file indices, decoded on threads; one that fails is a DataError here,
        since a caller indexing by position expects every row it asked for."""
        import torch

        files = self.lazy.files
        out = np.empty((len(indices), *files.sample_shape), dtype=np.float32)

        def decode(row: int) -> None:
            out[row] = files.decode(int(indices[row]))

        if len(indices) > 32:
            with ThreadPoolExecutor(max(1, files.workers)) as pool:
                list(pool.map(decode, range(len(indices))))
        else:
            for row in range(len(indices)):
                decode(row)
        return torch.from_numpy(out).to(self._device)

    # -- training batches ------------------------------------------------------------------------
    def batches(self, order: torch.Tensor, batch_size: int) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        """(images, positions kept) per batch of `order` (positions in this split), decoded by the workers."""
        positions = order.cpu().tolist()
        batches = [positions[lo : lo + batch_size] for lo in range(0, len(positions), batch_size)]
        device = self.device
        non_blocking = device.type == "cuda"
        if may_start_processes():
            loader, sampler = self._loader()
            sampler.batches = batches
            decoded = iter(loader)
        else:
            decoded = self._decoded_on_threads(batches, pin=non_blocking)
        for batch, (images, ok, problems) in zip(batches, decoded, strict=True):
            kept = order.new_tensor(batch, device="cpu")
            if problems:
                kept = kept[ok]
                for problem in problems:
                    self.skipped.append(problem)
                    warnings.warn(f"skipped while streaming: {problem}", RuntimeWarning, stacklevel=2)
            yield images.to(device, non_blocking=non_blocking), kept

    def _decoded_on_threads(self, batches: list[list[int]], pin: bool) -> Iterator[tuple]:
        """The loader's batches, decoded by `workers` threads a few batches ahead (Pillow decodes without the
        GIL): for a process that may not start worker processes, such as the editor's training child."""
        files, indices = self.lazy.files, self.lazy.indices
        ahead = max(1, files.workers) * PREFETCH_BATCHES
        with ThreadPoolExecutor(max(1, files.workers), thread_name_prefix="netwright-decode") as pool:
            pending = deque()
            for batch in batches:
                pending.append(pool.submit(decode_batch, files, indices[np.asarray(batch, dtype=np.int64)]))
                if len(pending) >= ahead:
                    yield self._as_batch(pending.popleft().result(), pin)
            while pending:
                yield self._as_batch(pending.popleft().result(), pin)

    @staticmethod
    def _as_batch(decoded: tuple, pin: bool) -> tuple:
        images, ok, problems = _as_tensors(decoded)
        return (images.pin_memory() if pin else images), ok, problems

    def _loader(self):
        if self._shared["loader"] is None:
            from torch.utils.data import DataLoader

            files = self.lazy.files
            workers = files.workers
            sampler = _EpochBatches()
            loader = DataLoader(
                SplitImages(files, self.lazy.indices),
                batch_sampler=sampler,
                num_workers=workers,
                collate_fn=_as_tensors,
                pin_memory=self.device.type == "cuda",
                persistent_workers=workers > 0,
                prefetch_factor=PREFETCH_BATCHES if workers > 0 else None,
            )
            self._shared.update(loader=loader, sampler=sampler)
        return self._shared["loader"], self._shared["sampler"]


def may_start_processes() -> bool:
    """Whether DataLoader worker processes can start here: a daemonic process (the editor's training
    child, a sweep's worker) may not have children."""
    return not multiprocessing.current_process().daemon


def stream_batches(
    inputs: dict[str, Any], order: torch.Tensor, batch_size: int
) -> Iterator[dict[str, torch.Tensor]] | None:
    """The trainer's batches for an epoch when its x is streamed (None when nothing is).

    Every streamed input gets the decoded images; every other input (the labels) the rows of
    the images that were kept, in the same order.
    """
    streamed = [t for t in inputs.values() if _is_streamed(t)]
    if not streamed:
        return None
    return _batches(inputs, streamed[0], order, batch_size)


def _is_streamed(t: Any) -> bool:
    """A streamed image folder's split, or a streamed table's (engine/data/table_stream_split.py)."""
    return isinstance(t, StreamedImages) or getattr(t, "is_streamed_table", False)


def _batches(inputs, source, order, batch_size) -> Iterator[dict[str, torch.Tensor]]:
    for rows, kept in source.batches(order, batch_size):
        batch = {}
        for name, t in inputs.items():
            batch[name] = rows if _is_streamed(t) else t.index_select(0, kept.to(t.device))
        yield batch
