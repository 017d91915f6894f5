"""Weights files and how their tensors fit a graph: read safely, written atomically, matched to layers.

Training (transfer learning), export and the importers all read weights files, so this
package sits below them: it knows graphs and compiled modules, nothing of training or export.
"""

from engine.weights.files import WeightsFileError, read_weights, write_weights
from engine.weights.matching import Match, WeightsMatchError, WeightsReport, match_weights

__all__ = [
    "Match",
    "WeightsFileError",
    "WeightsMatchError",
    "WeightsReport",
    "match_weights",
    "read_weights",
    "write_weights",
]
