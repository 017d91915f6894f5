"""Torch modules behind node types that torch.nn has no exact class for.

Imported only by builders, so the registry itself never needs torch.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class Add(nn.Module):
    def forward(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        return a + b


class Multiply(nn.Module):
    def forward(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        return a * b


class Concat(nn.Module):
    """Concatenates the connected inputs (one or more, in port order) along torch dim `dim`."""

    def __init__(self, dim: int):
        super().__init__()
        self.dim = dim

    def forward(self, *tensors: torch.Tensor) -> torch.Tensor:
        return torch.cat(tensors, dim=self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class Detach(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.detach()


class ConstantLike(nn.Module):
    """A float tensor filled with `value`, shaped like the input ([B] labels give [B, 1])."""

    def __init__(self, value: float):
        super().__init__()
        self.value = value

    def forward(self, like: torch.Tensor) -> torch.Tensor:
        if like.is_floating_point():
            return torch.full_like(like, self.value)
        shape = like.shape if like.dim() > 1 else (like.shape[0], 1)
        return torch.full(shape, self.value, device=like.device)

    def extra_repr(self) -> str:
        return f"value={self.value}"


class Reshape(nn.Module):
    """Reshapes each sample to `shape` (without the batch dimension; one -1 allowed)."""

    def __init__(self, shape: tuple[int, ...]):
        super().__init__()
        self.shape = tuple(shape)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.reshape(x.shape[0], *self.shape)

    def extra_repr(self) -> str:
        return f"shape={self.shape}"


class _SequenceOutput:
    """Makes a batch-first recurrent layer return one tensor: every step's output, or the last.

    A mixin over nn.RNN/nn.LSTM/nn.GRU that adds no parameters, so state_dict keys are those
    of the plain torch class. The last step is read from the final hidden state of the top
    layer: for a bidirectional layer the backward direction's "last" step is the first time
    step, which `out[:, -1]` would get wrong.
    """

    def __init__(self, *args, last_step: bool = False, **kwargs):
        super().__init__(*args, batch_first=True, **kwargs)
        self.last_step = last_step

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out, state = super().forward(x)
        if not self.last_step:
            return out
        h_n = state[0] if isinstance(state, tuple) else state  # LSTM state is (h_n, c_n)
        if self.bidirectional:
            return torch.cat((h_n[-2], h_n[-1]), dim=1)
        return h_n[-1]

    def extra_repr(self) -> str:
        return super().extra_repr() + f", last_step={self.last_step}"


class RNN(_SequenceOutput, nn.RNN):
    pass


class LSTM(_SequenceOutput, nn.LSTM):
    pass


class GRU(_SequenceOutput, nn.GRU):
    pass


class BCEWithLogits(nn.BCEWithLogitsLoss):
    """BCEWithLogitsLoss that also takes 0/1 class labels, turned into floats of the prediction's shape."""

    def forward(self, prediction: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        if not target.is_floating_point():
            target = target.to(prediction.dtype).reshape(prediction.shape)
        return super().forward(prediction, target)


class KLDivergence(nn.Module):
    """KL(target || prediction) with prediction as log-probabilities; labels become one-hot."""

    def forward(self, prediction: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        if not target.is_floating_point():
            target = F.one_hot(target, prediction.shape[1]).to(prediction.dtype)
        return F.kl_div(prediction, target, reduction="batchmean")


class RealFakeBatch(nn.Module):
    """Stacks real and fake samples and returns them with their targets (1 real, 0 fake)."""

    def forward(self, real: torch.Tensor, fake: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        stacked = torch.cat([real, fake], dim=0)
        is_real = torch.cat([real.new_ones(real.shape[0], 1), fake.new_zeros(fake.shape[0], 1)], dim=0)
        return stacked, is_real, 1.0 - is_real


class Scale(nn.Module):
    """x times a fixed factor (not learned)."""

    def __init__(self, factor: float):
        super().__init__()
        self.factor = factor

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.factor

    def extra_repr(self) -> str:
        return f"factor={self.factor}"


class Shift(nn.Module):
    """x plus a fixed offset (not learned)."""

    def __init__(self, offset: float):
        super().__init__()
        self.offset = offset

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.offset

    def extra_repr(self) -> str:
        return f"offset={self.offset}"


class Transpose(nn.Module):
    """Swaps torch dims `dim0` and `dim1`."""

    def __init__(self, dim0: int, dim1: int):
        super().__init__()
        self.dim0, self.dim1 = dim0, dim1

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.transpose(self.dim0, self.dim1)

    def extra_repr(self) -> str:
        return f"dim0={self.dim0}, dim1={self.dim1}"


class Mean(nn.Module):
    """The mean over torch dims `dims`."""

    def __init__(self, dims: tuple[int, ...], keepdim: bool):
        super().__init__()
        self.dims, self.keepdim = tuple(dims), keepdim

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.mean(dim=self.dims, keepdim=self.keepdim)

    def extra_repr(self) -> str:
        return f"dims={self.dims}, keepdim={self.keepdim}"


class PositionalEmbedding(nn.Module):
    """Adds a learned [length, features] table to a sequence [B, length, features]."""

    def __init__(self, length: int, features: int):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(length, features) * 0.02)  # BERT's normal(0, 0.02)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.weight


class SelfAttention(nn.MultiheadAttention):
    """Batch-first multi-head self-attention returning the output only (same state_dict as nn.MultiheadAttention)."""

    def __init__(self, features: int, num_heads: int, dropout: float = 0.0, bias: bool = True):
        super().__init__(features, num_heads, dropout=dropout, bias=bias, batch_first=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # type: ignore[override]
        return super().forward(x, x, x, need_weights=False)[0]


class Slice(nn.Module):
    """Positions `start` to `end` of torch dim `dim`."""

    def __init__(self, dim: int, start: int, end: int):
        super().__init__()
        self.dim, self.start, self.end = dim, start, end

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.narrow(self.dim, self.start, self.end - self.start)

    def extra_repr(self) -> str:
        return f"dim={self.dim}, start={self.start}, end={self.end}"
