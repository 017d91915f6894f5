"""nn.MultiheadAttention called as self-attention (attn(x, x, x)[0], as a ViT block does) imports as one
Self-Attention node with its weights; other uses are named in one line."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from engine.importers import ModelImportError
from engine.importers.pytorch import import_module


class EncoderBlock(nn.Module):
    def __init__(self, cross: bool = False):
        super().__init__()
        self.norm = nn.LayerNorm(16)
        self.attn = nn.MultiheadAttention(16, 4, batch_first=True)
        self.cross = cross

    def forward(self, x):
        h = self.norm(x)
        keys = x if self.cross else h
        return x + self.attn(h, keys, keys, need_weights=False)[0]


def test_self_attention_imports_with_its_weights_and_reproduces_the_block():
    torch.manual_seed(0)
    result = import_module(EncoderBlock(), (5, 16))
    nodes = {n.type_id: n for n in result.graph.nodes.values()}
    params = nodes["layers.SelfAttention"].params
    assert (params["num_heads"], params["dropout"], params["bias"]) == (4, 0.0, True)
    assert {"layers.LayerNorm", "merge.Add"} <= set(nodes)
    assert result.max_abs_diff is not None and result.max_abs_diff <= 1e-5


def test_attention_across_two_sequences_is_named_in_one_line():
    with pytest.raises(ModelImportError, match=r"query, key and value differ") as caught:
        import_module(EncoderBlock(cross=True), (5, 16))
    assert "Traceback" not in str(caught.value)
