"""Torch modules behind node types that torch.nn has no exact class for.

Imported only by builders, so the registry itself never needs torch.
"""

from __future__ import annotations

import torch
from torch import nn


class Add(nn.Module):
    def forward(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        return a + b
