"""Netwright's headless engine: node registry, graph files, analysis, compilation, training.

Nothing in this package imports Qt; the editor is a view over it.
"""

__version__ = "0.1.0"
