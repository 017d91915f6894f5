"""What a node type is, in the words validation's teaching checks and the training probes read.

A registry entry lists its traits (`NodeType.traits`), so a rule such as "four saturating
activations in a row" or "which activations can have dead units" reads the catalog instead of
naming types: a new activation says what it is in its own entry and every check follows.
"""

from __future__ import annotations

SATURATING = "saturating"
"""Flat at both ends (sigmoid, tanh): large inputs give gradients near zero, and stacks of them vanish."""

DIES = "dies"
"""Outputs exactly 0 with zero gradient on a whole range of inputs (ReLU below 0), so a unit can die:
stuck there for every input, it never learns again. LeakyReLU, ELU, GELU never are exactly flat."""

NORMALIZATION = "normalization"
"""Rescales its input to mean 0 and variance 1 (batch or layer norm), which keeps the next activations
out of their flat ends."""

PROBABILITIES = "probabilities"
"""Squashes raw scores into probabilities (softmax, sigmoid)."""

TAKES_LOGITS = "takes_logits"
"""A loss that takes raw scores (logits) and squashes them itself (cross-entropy, BCE with logits)."""

AFFINE = "affine"
"""A weighted sum plus a bias and nothing else: two in a row with no activation collapse into one."""

LINEAR_MAP = "linear_map"
"""Moves or scales values without mixing in a non-linearity (flatten, reshape, dropout): between two
affine layers it does not stop them collapsing into one."""

KNOWN = frozenset({SATURATING, DIES, NORMALIZATION, PROBABILITIES, TAKES_LOGITS, AFFINE, LINEAR_MAP})
