"""Layer nodes: the parts of a network that hold weights or reshape tensors."""

# isort: skip_file
# Import order is registration order, which is the order of the editor's palette.
from engine.nodes.layers import dense, conv, resampling, padding, channels, reshaping  # noqa: F401
from engine.nodes.layers import normalization, recurrent, attention, tensor_ops  # noqa: F401
from engine.nodes.layers import torch_module  # noqa: F401  (last: the fallback for other torch.nn layers)
