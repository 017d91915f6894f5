"""Layer nodes: the parts of a network that hold weights or reshape tensors."""

from engine.nodes.layers import conv, dense, normalization, recurrent, resampling, reshaping  # noqa: F401
