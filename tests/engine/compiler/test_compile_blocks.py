"""Blocks group nodes for the user; the compiled module is the flat graph's, keyed by node id."""

import torch

from engine.compiler import compile_graph
from tests.engine.export.test_block_export import residual_cnn


def test_blocks_do_not_change_what_is_compiled():
    grouped = residual_cnn()
    flat = residual_cnn()
    flat.blocks.clear()
    torch.manual_seed(0)
    a = compile_graph(grouped, "out")
    torch.manual_seed(0)
    b = compile_graph(flat, "out")
    assert list(a.state_dict()) == list(b.state_dict())
    assert "res2_conv1.weight" in a.state_dict()  # weights stay keyed by node id
    assert a.code == b.code
    x = torch.randn(3, 1, 8, 8)
    assert torch.equal(a.eval()(x), b.eval()(x))
