"""Every built-in node type; importing this package registers them all."""

from engine.nodes import activations, data, layers, losses, merge, optimizers  # noqa: F401
