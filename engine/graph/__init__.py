"""Graphs: the data model, the versioned file format and the training block."""

from engine.graph.fileformat import GraphFileError, dumps_graph, load_graph, loads_graph, save_graph
from engine.graph.migrations import CURRENT_VERSION
from engine.graph.model import Edge, Graph, GraphError, Node
from engine.graph.training import TRAINING_PARAMS, default_training

__all__ = [
    "CURRENT_VERSION",
    "TRAINING_PARAMS",
    "Edge",
    "Graph",
    "GraphError",
    "GraphFileError",
    "Node",
    "default_training",
    "dumps_graph",
    "load_graph",
    "loads_graph",
    "save_graph",
]
