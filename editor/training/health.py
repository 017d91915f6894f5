"""Gradient health and dead ReLUs as small badges on canvas nodes, and the 'reading the curves' note.

What is healthy is the engine's call (`engine.training.health`, shared with the command
line); this module only chooses how each state looks.
"""

from __future__ import annotations

from engine.training.health import MANY_DEAD, VANISHING_GRADIENT, dead_relu_state, gradient_state

HEALTHY_COLOR = (90, 200, 110)
VANISHING_COLOR = (120, 150, 220)
EXPLODING_COLOR = (235, 72, 72)
WARN_COLOR = (240, 180, 60)


def gradient_badge(norm: float, silent: float = 0.0) -> tuple[str, tuple[int, int, int], str]:
    """(badge text, colour, state) for a layer's gradient norm (`silent`: see gradient_state)."""
    state = gradient_state(norm, silent)
    if state == "satisfied":  # exactly 0 because the loss is met, not a gradient that faded
        return "∇ 0 (loss met)", HEALTHY_COLOR, state
    if state == "exploding":
        return f"∇ {norm:.0e}", EXPLODING_COLOR, state
    if state == "vanishing":
        return f"∇ {norm:.0e}", VANISHING_COLOR, state
    return f"∇ {norm:.1e}" if norm < 0.01 else f"∇ {norm:.2g}", HEALTHY_COLOR, state


def dead_relu_badge(fraction: float) -> tuple[str, tuple[int, int, int], str]:
    state = dead_relu_state(fraction)
    color = {"mostly dead": EXPLODING_COLOR, "many dead": WARN_COLOR}.get(state, HEALTHY_COLOR)
    return f"{fraction:.0%} dead", color, state


def badges_from_epoch(row: dict) -> dict[str, tuple[str, tuple[int, int, int], str]]:
    silent = row.get("grad_silent") or {}
    badges = {
        node_id: gradient_badge(float(norm), float(silent.get(node_id, 0.0)))
        for node_id, norm in (row.get("grad_norm") or {}).items()
    }
    badges.update({node_id: dead_relu_badge(float(f)) for node_id, f in (row.get("dead_relu") or {}).items()})
    return badges


READING_THE_CURVES = f"""
<h3 style='margin-bottom:2px'>Reading the curves</h3>
<p><b>Loss</b> should fall. The faint line is every batch; the bright one smooths it. Dots mark
each epoch's average on the training data; squares are the <b>validation</b> loss, measured on
data the network never trains on.</p>
<p><b>Overfitting</b> shows as a gap that opens between the two: training loss keeps falling while
validation loss flattens or rises (and training accuracy climbs past validation accuracy). The
network is memorizing its examples. Try dropout, weight decay, a smaller model, more data, or
early stopping.</p>
<p><b>Underfitting</b>: both curves stay high and close together. Train longer, raise the
learning rate a little, or give the model more capacity.</p>
<p>A loss that jumps around or shoots up means the <b>learning rate</b> is too high: pause, lower
it, resume (the change is marked on the curves).</p>
<p><b>Gradient norm per layer</b> (log scale): a healthy network keeps every layer within a few
powers of ten. A layer far below the others (blue badge, under {VANISHING_GRADIENT:g}) has <b>vanishing
gradients</b> and barely learns (a gradient of exactly 0 on every layer once the loss is met, as a
satisfied hinge margin gives, is not that); a steep climb (red badge) means <b>exploding gradients</b>:
lower the learning rate or set grad_clip.</p>
<p><b>Dead units</b> (ReLU, ReLU6 and the other rectifiers): units that output 0 for every input no longer learn. Above about {MANY_DEAD:.0%}
(amber badge), lower the learning rate or try LeakyReLU.</p>
<p>The <b>training doctor</b> card above the plots reads all of this for you after each epoch and
names the pattern (overfitting since epoch N, a plateau, vanishing gradients in fc1-fc4...) with the
fix to try. <b>Step</b> (F8) trains a single batch: each layer shows its gradient and how far its
weights moved, and the edges are coloured by the gradient flowing back along them.</p>
<p><b>Confusion matrix</b>: rows are the true class, columns the prediction. The diagonal is
what the model gets right; a bright cell off it shows which classes it mixes up.</p>
"""
