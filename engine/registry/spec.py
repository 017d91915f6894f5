"""What flows along an edge: a tensor's shape and kind, known before any tensor exists."""

from __future__ import annotations

from dataclasses import dataclass
from math import prod


@dataclass(frozen=True)
class TensorSpec:
    """The static description of a tensor on an edge.

    `dims` are the sizes after the symbolic batch dimension B. A loss value is a scalar:
    `batched=False, dims=()`. Class labels and token ids are `dtype="long"` with
    `num_classes` set so losses and embeddings can check them.
    """

    dims: tuple[int, ...]
    dtype: str = "float"
    batched: bool = True
    num_classes: int | None = None

    @property
    def rank(self) -> int:
        """Number of dimensions including the batch dimension."""
        return len(self.dims) + (1 if self.batched else 0)

    @property
    def features(self) -> int:
        """Number of values per sample (product of the non-batch dims)."""
        return prod(self.dims) if self.dims else 1

    @property
    def is_labels(self) -> bool:
        return self.dtype == "long"

    def with_dims(self, *dims: int) -> TensorSpec:
        """A float tensor of the same batching with new dims."""
        return TensorSpec(tuple(int(d) for d in dims), "float", self.batched)

    def bracket(self) -> str:
        """`[B, 8, 4, 4]`: the form used in messages."""
        parts = (["B"] if self.batched else []) + [str(d) for d in self.dims]
        return "[" + ", ".join(parts) + "]"

    def __str__(self) -> str:
        """`B x 16 x 4 x 4`: the form drawn on edges."""
        if not self.batched and not self.dims:
            return "scalar"
        parts = (["B"] if self.batched else []) + [str(d) for d in self.dims]
        text = " x ".join(parts)
        if self.is_labels:
            text += f" labels ({self.num_classes} classes)" if self.num_classes else " ids"
        return text

    def to_json(self) -> dict:
        data: dict = {"dims": list(self.dims), "dtype": self.dtype, "batched": self.batched}
        if self.num_classes is not None:
            data["num_classes"] = self.num_classes
        return data


SCALAR = TensorSpec((), "float", batched=False)


def labels(num_classes: int) -> TensorSpec:
    """Class indices in [0, num_classes), one per sample."""
    return TensorSpec((), "long", True, num_classes)


def floats(*dims: int) -> TensorSpec:
    return TensorSpec(tuple(int(d) for d in dims))
