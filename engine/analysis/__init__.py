"""Validation and shape inference (no torch): what is wrong with a graph, and every edge's shape."""

from engine.analysis.analyze import Analysis, analyze, infer_shapes, validate
from engine.analysis.problems import Problem

__all__ = ["Analysis", "Problem", "analyze", "infer_shapes", "validate"]
