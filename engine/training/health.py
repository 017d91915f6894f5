"""Layer health from an epoch's metrics: vanishing or exploding gradients, dead units.

One set of thresholds for every reader: the editor's badges on canvas nodes and the line
`python -m engine train` prints at the end. Needs no torch: it reads the `grad_norm`,
`grad_silent` and `dead_relu` fields of a metrics row (node id -> value), as metrics.jsonl
stores them. A layer whose gradient was exactly 0 on every sampled step because the loss
itself was satisfied (a hinge margin met by every sample, `grad_silent` 1) is "satisfied",
not vanishing: vanishing is a gradient that fades on its way back to the layer.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

VANISHING_GRADIENT = 1e-4  # a layer's gradient norm below this barely moves its weights
EXPLODING_GRADIENT = 1e2  # above this, one step can throw the weights far off
MANY_DEAD = 0.2  # a ReLU whose units are dead (0 for every validation input) this often learns less
MOSTLY_DEAD = 0.5

GradientState = Literal["healthy", "vanishing", "exploding", "satisfied"]
ReluState = Literal["healthy", "many dead", "mostly dead"]


def gradient_state(norm: float, silent: float = 0.0) -> GradientState:
    """How a layer's gradient norm (averaged over an epoch) looks; NaN and infinity explode.

    `silent`: the share of sampled steps whose loss gave no gradient at all; at 1 with a zero
    norm the loss was met everywhere, which is "satisfied".
    """
    if not math.isfinite(norm) or norm > EXPLODING_GRADIENT:
        return "exploding"
    if norm == 0.0 and silent >= 1.0:
        return "satisfied"
    if norm < VANISHING_GRADIENT:
        return "vanishing"
    return "healthy"


def dead_relu_state(fraction: float) -> ReluState:
    """How a ReLU with this fraction of dead units looks."""
    if fraction >= MOSTLY_DEAD:
        return "mostly dead"
    if fraction >= MANY_DEAD:
        return "many dead"
    return "healthy"


@dataclass(frozen=True)
class LayerHealth:
    """Every layer's gradient state and every ReLU's dead-unit state in one metrics row."""

    gradients: dict[str, GradientState] = field(default_factory=dict)
    dead_relus: dict[str, ReluState] = field(default_factory=dict)
    dead_fractions: dict[str, float] = field(default_factory=dict)

    def with_gradients(self, state: GradientState) -> list[str]:
        return [node_id for node_id, s in self.gradients.items() if s == state]

    @property
    def dead(self) -> list[str]:
        return [node_id for node_id, s in self.dead_relus.items() if s != "healthy"]

    @property
    def healthy(self) -> bool:
        return all(s in ("healthy", "satisfied") for s in self.gradients.values()) and not self.dead

    def line(self) -> str:
        """One line for a terminal: what is wrong, which layers, what to try."""
        if not self.gradients and not self.dead_relus:
            return "gradients: not measured"
        if self.healthy:
            if self.with_gradients("satisfied"):
                return f"gradients: healthy in all {len(self.gradients)} layers (0 at the end: the loss is met)"
            return f"gradients: healthy in all {len(self.gradients)} layers"
        parts = []
        vanishing, exploding = self.with_gradients("vanishing"), self.with_gradients("exploding")
        if vanishing:
            parts.append(
                f"vanishing in {', '.join(vanishing)} (norm below {VANISHING_GRADIENT:g}: they barely learn; "
                "try ReLU instead of sigmoid or tanh, fewer layers, or BatchNorm)"
            )
        if exploding:
            parts.append(
                f"exploding in {', '.join(exploding)} (norm above {EXPLODING_GRADIENT:g}: lower the learning "
                "rate or set grad_clip)"
            )
        text = "gradients: " + "; ".join(parts) if parts else "gradients: healthy"
        if self.dead:
            dead = ", ".join(f"{n} {self.dead_fractions[n]:.0%}" for n in self.dead)
            text += f"; dead units: {dead} (lower the learning rate or try LeakyReLU)"
        return text


def layer_health(row: dict[str, Any]) -> LayerHealth:
    """Classify a metrics row's `grad_norm` and `dead_relu` values."""
    norms = row.get("grad_norm") or {}
    silent = row.get("grad_silent") or {}
    fractions = {node_id: float(f) for node_id, f in (row.get("dead_relu") or {}).items()}
    return LayerHealth(
        gradients={
            node_id: gradient_state(float(norm), float(silent.get(node_id, 0.0))) for node_id, norm in norms.items()
        },
        dead_relus={node_id: dead_relu_state(f) for node_id, f in fractions.items()},
        dead_fractions=fractions,
    )


def final_health(history: Iterable[dict[str, Any]]) -> LayerHealth:
    """The health of the last epoch that measured gradients (an empty one if none did)."""
    measured = [row for row in history if row.get("grad_norm")]
    return layer_health(measured[-1]) if measured else LayerHealth()
