"""One split of a streamed table, standing where its [N, features] tensor would (as StreamedImages does for images).

`len`, `shape`, `dim()` and `to(device)` answer without reading; indexing (an int, a slice, an index tensor)
and `index_select` read just the chunks holding those rows (the last chunk read is kept, so the trainer's
validation, slice after slice in order, reads each chunk once). Training reads it through `batches`: a
DataLoader whose worker processes each read and encode whole chunks (their share: the DataLoader hands the
chunks out in turn), kept alive between epochs. Each epoch visits the split's chunks in a seeded order and
each chunk's rows in a seeded order, both drawn from the trainer's own shuffled order for the epoch, so a
seed repeats the run exactly and the worker count does not change it; the main process cuts the rows into
batches of exactly `batch_size`. Rows are read from the file in chunks rather than one by one, so a
streamed epoch's order is not the in-memory epoch's order (every row is still seen once an epoch).

torch is imported when a split is used, not when this module is.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import numpy as np

from engine.data import streaming_split
from engine.data.streaming_split import PREFETCH_BATCHES, StreamedSplit, _EpochBatches
from engine.data.table_stream import LazyTable, RowTransform

if TYPE_CHECKING:
    import torch


class ChunkRows:
    """The map-style dataset the workers index: a key (chunk, row offsets, positions, seed) -> its encoded rows."""

    def __init__(self, transform: RowTransform):
        self.transform = transform

    def __len__(self) -> int:
        return self.transform.source.num_chunks

    def __getitem__(self, key: tuple) -> tuple[np.ndarray, np.ndarray]:
        chunk, offsets, positions, seed = key
        if seed is not None:  # this epoch's order of the chunk's rows
            shuffled = np.random.default_rng(seed).permutation(len(offsets))
            offsets, positions = offsets[shuffled], positions[shuffled]
        return self.transform.rows(chunk, offsets), positions

    def __getitems__(self, keys: list[tuple]) -> list[tuple[np.ndarray, np.ndarray]]:
        return [self[key] for key in keys]


class StreamedTable(StreamedSplit):
    """A split of a streamed table; see the module docstring for what it answers and how."""

    is_streamed_table = True
    noun = "streamed table rows"

    def __init__(self, lazy: LazyTable, device: Any = "cpu", shared: dict | None = None):
        self.lazy = lazy
        self._device = device
        self._shared = shared if shared is not None else {"loader": None, "sampler": None, "chunks": None, "last": None}

    # -- what a tensor answers without data (the rest: StreamedSplit) ----------------------------------
    @property
    def dtype(self) -> torch.dtype:
        import torch

        return torch.int64 if self.lazy.dtype == np.int64 else torch.float32

    @property
    def nbytes(self) -> int:
        return int(np.prod(self.lazy.shape)) * self.lazy.dtype.itemsize

    @property
    def skipped(self) -> list[str]:
        return []

    def is_floating_point(self) -> bool:
        return self.lazy.dtype != np.int64

    def to(self, device: Any, non_blocking: bool = False) -> StreamedTable:
        return StreamedTable(self.lazy, device, self._shared)

    # -- reading a few rows ---------------------------------------------------------------------------
    def _select(self, key) -> np.ndarray:
        return np.arange(len(self.lazy))[key]  # the picked rows' positions in the split

    def _fetch(self, positions: np.ndarray) -> torch.Tensor:
        return self._read(positions)

    # arithmetic (an inspection undoing the standardization) reads the whole split: a tensor answers
    def __mul__(self, other):
        return self[:] * other

    def __add__(self, other):
        return self[:] + other

    def __sub__(self, other):
        return self[:] - other

    def __truediv__(self, other):
        return self[:] / other

    def __array__(self, dtype=None, copy=None) -> np.ndarray:
        return self.numpy() if dtype is None else self.numpy().astype(dtype)

    def _read(self, positions: np.ndarray) -> torch.Tensor:
        import torch

        selection = self.lazy[positions]
        out = np.empty(selection.shape, dtype=selection.dtype)
        transform = selection.transform
        for chunk, offsets, where in selection.chunks():
            last = self._shared["last"]
            if last is None or last[0] != chunk:  # keep one chunk's rows: validation reads slice after slice
                every = np.arange(transform.source.starts[chunk + 1] - transform.source.starts[chunk])
                last = self._shared["last"] = (chunk, transform.rows(chunk, every))
            out[where] = last[1][offsets]
        return torch.from_numpy(out).to(self._device)

    # -- training batches ------------------------------------------------------------------------
    def batches(self, order: torch.Tensor, batch_size: int) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        """(rows, their positions in this split) per batch of `batch_size`, for the epoch whose order is `order`."""
        import torch

        keys = self.epoch_keys(order)
        device = self.device
        non_blocking = device.type == "cuda"
        if streaming_split.may_start_processes() and self.lazy.stream.workers > 0:
            loader, sampler = self._loader()
            sampler.batches = [[key] for key in keys]
            blocks = iter(loader)
        else:  # a daemonic process (the editor's training child) may not start workers: read here
            dataset = ChunkRows(self.lazy.transform)
            blocks = ((torch.from_numpy(x), torch.from_numpy(p)) for x, p in map(dataset.__getitem__, keys))
        rest_x = rest_p = None  # the previous chunk's rows short of a batch
        for x, positions in blocks:
            if rest_x is not None:
                x, positions = torch.cat([rest_x, x]), torch.cat([rest_p, positions])
            full = len(x) - len(x) % batch_size
            for lo in range(0, full, batch_size):  # slices: views, no copy
                yield x[lo : lo + batch_size].to(device, non_blocking=non_blocking), positions[lo : lo + batch_size]
            rest_x, rest_p = (x[full:], positions[full:]) if full < len(x) else (None, None)
        if rest_x is not None:
            yield rest_x.to(device, non_blocking=non_blocking), rest_p

    def epoch_keys(self, order: torch.Tensor) -> list[tuple]:
        """This epoch's chunks in order, each with its rows and a seed for their order (None: not shuffled)."""
        if self._shared["chunks"] is None:
            self._shared["chunks"] = self.lazy.chunks()
        chunks = self._shared["chunks"]
        head = order[:64].cpu().numpy().astype(np.int64)
        if np.array_equal(head, np.arange(len(head))):  # shuffle off: the file's order
            return [(chunk, offsets, positions, None) for chunk, offsets, positions in chunks]
        seed = int.from_bytes(hashlib.sha256(head.tobytes()).digest()[:8], "little")
        rng = np.random.default_rng(seed)
        return [(*chunks[i], int(rng.integers(2**63))) for i in rng.permutation(len(chunks))]

    def _loader(self):
        if self._shared["loader"] is None:
            from torch.utils.data import DataLoader

            workers = self.lazy.stream.workers
            sampler = _EpochBatches()
            loader = DataLoader(
                ChunkRows(self.lazy.transform),
                batch_sampler=sampler,
                num_workers=workers,
                collate_fn=_as_tensors,
                pin_memory=self.device.type == "cuda",
                persistent_workers=True,
                prefetch_factor=PREFETCH_BATCHES,
            )
            self._shared.update(loader=loader, sampler=sampler)
        return self._shared["loader"], self._shared["sampler"]


def _as_tensors(items: list[tuple[np.ndarray, np.ndarray]]):
    import torch

    x, positions = items[0]
    return torch.from_numpy(x), torch.from_numpy(positions)
