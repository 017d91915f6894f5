"""The training doctor: reads a run's epoch rows (curves and layer health) and names what went wrong.

Each finding names the pattern, shows the numbers it rests on and says what to try:
diverged or a learning rate too high, overfitting since epoch N, a plateau, underfitting,
vanishing or exploding gradients in named layers, dead units. A run with none is healthy
(notes such as "still improving" are not alarms). The editor shows the result as a card during
and after a run; `train` prints it at the end. No torch and no Qt: it reads metrics rows as
metrics.jsonl stores them, so it works on a live run, a finished one and one read back from disk.

Thresholds were measured on the shipped examples and lessons (see tests/engine/training/test_doctor.py).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from engine.training.health import EXPLODING_GRADIENT, VANISHING_GRADIENT, final_health

OVERFIT_RISE = 0.15  # validation loss this much above its minimum (mean of the last 3 epochs) ...
OVERFIT_AFTER = 3  # ... at least this many epochs after the minimum; or
OVERFIT_STALE = 5  # no better validation loss for this many epochs (and a quarter of the run) ...
OVERFIT_TRAIN_DROP = 0.5  # ... while the training loss fell below half of what it was then
RISING_LOSS = 1.5  # training loss this many times its best, late in the run: the steps overshoot
PLATEAU_CHANGE = 0.01  # under 1 % of change across the last quarter of the run ...
PLATEAU_LEARNED = 0.5  # ... while still above half the first epoch's loss: stuck, not converged
UNDERFIT_FLAT = 0.05  # under 5 % of change across the last quarter ...
UNDERFIT_ACCURACY = 0.9  # ... with training accuracy below this ...
UNDERFIT_GAP = 0.05  # ... and validation accuracy as good (no overfitting): too little capacity
STILL_LEARNING = 0.05  # training loss fell this much across the last quarter: more epochs help

Severity = Literal["problem", "note"]


@dataclass(frozen=True)
class Finding:
    """One pattern in a run: `title` names it, `evidence` gives the numbers, `fix` what to try."""

    kind: str  # diverged, learning_rate, overfitting, plateau, underfitting, vanishing, exploding, dead_units, ...
    severity: Severity
    title: str
    evidence: str
    fix: str
    epoch: int | None = None  # where it starts, when it has a start (overfitting since epoch N)
    nodes: tuple[str, ...] = ()  # the layers it is about, for the editor to point at

    def line(self) -> str:
        return f"{self.title}: {self.evidence}. Try: {self.fix}."


@dataclass(frozen=True)
class Diagnosis:
    findings: list[Finding] = field(default_factory=list)
    epochs: int = 0

    @property
    def problems(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "problem"]

    @property
    def healthy(self) -> bool:
        return not self.problems

    @property
    def headline(self) -> str:
        if not self.epochs and not self.findings:
            return "The doctor reads the curves once an epoch has finished"
        if self.healthy:
            return f"Healthy run ({_epochs(self.epochs)})"
        return " · ".join(f.title for f in self.problems)

    def lines(self) -> list[str]:
        """What a terminal prints: the headline, then one line per finding."""
        return [f"doctor: {self.headline}"] + [f"  {f.line()}" for f in self.findings]


def diagnose(history: Sequence[dict[str, Any]], diverged: str | None = None, grad_clip: float = 0.0) -> Diagnosis:
    """What `history` (the run's epoch rows, oldest first) shows.

    `diverged` is the run's NaN stop message; `grad_clip` the run's setting (large gradients that
    clipping caps are a note, not an alarm).
    """
    rows = [row for row in history if "train_loss" in row]
    findings: list[Finding] = []
    if diverged or any(not _finite(row["train_loss"]) for row in rows):
        findings.append(_diverged(diverged or "the training loss became NaN or infinite"))
    finite = [row for row in rows if _finite(row["train_loss"])]
    # Several optimizers (a GAN) name their learning rates lr_<id>: their losses fight by design,
    # so rising or flat curves are no symptom there and only the layers are read.
    adversarial = any(key.startswith("lr_") for row in rows[:1] for key in row)
    layers = _layers(rows, grad_clip)
    # Mostly dead units explain a flat curve themselves (and "raise the learning rate" would be wrong).
    dead = any(f.kind == "dead_units" and f.severity == "problem" for f in layers)
    rules = (_rising, _overfitting) if dead else (_rising, _overfitting, _plateau, _underfitting)
    if not adversarial:
        for rule in rules:
            if not findings:
                findings += rule(finite)
    findings += layers
    if not adversarial and not any(f.severity == "problem" for f in findings):
        findings += _still_learning(finite)
    return Diagnosis(findings, len(rows))


# -- the patterns -------------------------------------------------------------------------------


def _diverged(message: str) -> Finding:
    return Finding(
        "diverged",
        "problem",
        "Learning rate too high: training diverged",
        message.rstrip("."),
        "lower the learning rate 3 to 10 times, or set grad_clip (1.0 is a good start); normalize the inputs",
    )


def _rising(rows: list[dict]) -> list[Finding]:
    if len(rows) < 2:
        return []
    losses = [float(row["train_loss"]) for row in rows]
    best = min(range(len(losses)), key=losses.__getitem__)
    last = losses[-1]
    if best == len(losses) - 1 or last < RISING_LOSS * losses[best] or last - losses[best] < 0.05 * abs(losses[0]):
        return []
    return [
        Finding(
            "learning_rate",
            "problem",
            f"Learning rate too high: training loss rising since epoch {rows[best]['epoch']}",
            f"training loss rose from {_num(losses[best])} at epoch {rows[best]['epoch']} to {_num(last)}",
            "lower the learning rate 3 to 10 times, or add a schedule that lowers it (step or plateau)",
            rows[best]["epoch"],
        )
    ]


def _overfitting(rows: list[dict]) -> list[Finding]:
    measured = [row for row in rows if _finite(row.get("val_loss"))]
    if len(measured) < OVERFIT_AFTER + 2:
        return []
    val = [float(row["val_loss"]) for row in measured]
    best = min(range(len(val)), key=val.__getitem__)
    if best > len(val) - 1 - OVERFIT_AFTER:
        return []
    tail = sum(val[-3:]) / len(val[-3:])
    train_then, train_now = float(measured[best]["train_loss"]), float(measured[-1]["train_loss"])
    if train_now >= train_then:
        return []
    rose = tail >= val[best] * (1 + OVERFIT_RISE)
    stale = len(val) - 1 - best >= max(OVERFIT_STALE, len(val) // 4) and tail > val[best] * 1.02
    if not rose and not (stale and train_now < OVERFIT_TRAIN_DROP * train_then):
        return []
    epoch = measured[best]["epoch"]
    evidence = (
        f"validation loss was lowest at epoch {epoch} ({_num(val[best])}) and is now {_num(val[-1])}, "
        f"while training loss kept falling ({_num(train_then)} to {_num(train_now)})"
    )
    gap = _accuracy_gap(measured[-1])
    if gap:
        evidence += f"; {gap}"
    return [
        Finding(
            "overfitting",
            "problem",
            f"Overfitting since epoch {epoch}",
            evidence,
            "early stopping (with restore_best_weights) keeps epoch "
            f"{epoch}'s weights; dropout, weight decay (L2), a smaller model or more data make it fit later",
            epoch,
        )
    ]


def _flat(rows: list[dict], tolerance: float) -> bool:
    """Whether the training loss changed less than `tolerance` (relative) across the last quarter."""
    if len(rows) < 6:
        return False
    losses = [float(row["train_loss"]) for row in rows]
    before, last = losses[-max(3, len(losses) // 4) - 1], losses[-1]
    return abs(before - last) <= tolerance * max(abs(before), 1e-12)


def _plateau(rows: list[dict]) -> list[Finding]:
    """Flat, and still above half of where it started: stuck before it learned much."""
    if not _flat(rows, PLATEAU_CHANGE):
        return []
    first, last = float(rows[0]["train_loss"]), float(rows[-1]["train_loss"])
    if first <= 0 or last <= PLATEAU_LEARNED * first:
        return []
    since = _flat_since(rows)
    accuracy = f"; training accuracy {rows[-1]['train_acc']:.0%}" if _finite(rows[-1].get("train_acc")) else ""
    return [
        Finding(
            "plateau",
            "problem",
            f"Stuck on a plateau since epoch {since}",
            f"training loss has stayed near {_num(last)} (it started at {_num(first)}){accuracy}",
            "raise the learning rate or use Adam; if the first layers' gradients vanish, use ReLU with He "
            "initialisation or BatchNorm",
            since,
        )
    ]


def _underfitting(rows: list[dict]) -> list[Finding]:
    """Nearly flat, and poor even on the training data, with validation as good: too little capacity."""
    if not _flat(rows, UNDERFIT_FLAT):
        return []
    train_acc, val_acc = rows[-1].get("train_acc"), rows[-1].get("val_acc")
    if not _finite(train_acc) or train_acc >= UNDERFIT_ACCURACY:
        return []
    if _finite(val_acc) and val_acc < train_acc - UNDERFIT_GAP:
        return []
    validation = f" (validation {val_acc:.0%})" if _finite(val_acc) else ""
    return [
        Finding(
            "underfitting",
            "problem",
            "Underfitting",
            f"training loss levelled off at {_num(float(rows[-1]['train_loss']))} with training accuracy "
            f"{train_acc:.0%}{validation}: the model does not fit even the data it trains on",
            "give it more capacity (wider or more layers), less regularization (dropout, weight decay), "
            "or a higher learning rate",
            _flat_since(rows),
        )
    ]


def _layers(rows: list[dict], grad_clip: float = 0.0) -> list[Finding]:
    health = final_health(rows)
    found = []
    vanishing, exploding = health.with_gradients("vanishing"), health.with_gradients("exploding")
    mostly_dead = [n for n in health.dead if health.dead_relus[n] == "mostly dead"]
    if vanishing and mostly_dead:  # dead units pass no gradient back: that is the cause, not depth
        found.append(
            Finding(
                "vanishing",
                "note",
                f"No gradient reaches {_span(vanishing)}",
                f"the dead units of {_span(mostly_dead)} pass no gradient back to the layers before them",
                "revive the units (see dead units)",
                nodes=tuple(vanishing),
            )
        )
    elif vanishing:
        found.append(
            Finding(
                "vanishing",
                "problem",
                f"Vanishing gradients in {_span(vanishing)}",
                f"their gradient norms are below {VANISHING_GRADIENT:g}, so they barely learn "
                "(the layers farthest from the loss suffer most)",
                "ReLU instead of sigmoid or tanh, He initialisation, BatchNorm between layers, or a residual path",
                nodes=tuple(vanishing),
            )
        )
    if exploding and grad_clip > 0:  # measured before clipping: the steps taken were capped
        found.append(
            Finding(
                "exploding",
                "note",
                f"Large gradients in {_span(exploding)}, clipped",
                f"their gradient norms are above {EXPLODING_GRADIENT:g}, and grad_clip caps every step at a "
                f"total norm of {grad_clip:g}",
                "nothing while the loss falls; a lower learning rate would need less clipping",
                nodes=tuple(exploding),
            )
        )
    elif exploding:
        found.append(
            Finding(
                "exploding",
                "problem",
                f"Exploding gradients in {_span(exploding)}",
                f"their gradient norms are above {EXPLODING_GRADIENT:g}: one step can throw the weights far off",
                "lower the learning rate or set grad_clip (1.0 is a good start)",
                nodes=tuple(exploding),
            )
        )
    mostly, many = mostly_dead, [n for n in health.dead if n not in mostly_dead]
    # A fifth to a half of silent units is common in healthy ReLU networks (the badge turns amber): a note.
    for nodes, severity, title in ((mostly, "problem", "Dead units in"), (many, "note", "Many idle units in")):
        if nodes:
            dead = ", ".join(f"{n} {health.dead_fractions[n]:.0%}" for n in nodes)
            found.append(
                Finding(
                    "dead_units",
                    severity,
                    f"{title} {_span(nodes)}",
                    f"units that output 0 for every validation sample no longer learn: {dead}",
                    "a lower learning rate, LeakyReLU, or He initialisation",
                    nodes=tuple(nodes),
                )
            )
    return found


def _still_learning(rows: list[dict]) -> list[Finding]:
    if len(rows) < 2:
        return []
    losses = [float(row["train_loss"]) for row in rows]
    window = max(1, min(len(losses) - 1, len(losses) // 4))
    before, last = losses[-window - 1], losses[-1]
    if before <= 0 or (before - last) / before < STILL_LEARNING:
        return []
    return [
        Finding(
            "still_learning",
            "note",
            "Still improving",
            f"training loss fell {(before - last) / before:.0%} over the last {_epochs(window)}",
            "more epochs would likely help",
        )
    ]


# -- wording ----------------------------------------------------------------------------------------


def _flat_since(rows: list[dict]) -> int:
    """The first epoch from which the training loss stayed within 2 % of its final value."""
    losses = [float(row["train_loss"]) for row in rows]
    last = losses[-1]
    index = len(losses) - 1
    while index > 0 and abs(losses[index - 1] - last) <= 0.02 * max(abs(last), 1e-12):
        index -= 1
    return rows[index]["epoch"]


def _accuracy_gap(row: dict) -> str:
    train, val = row.get("train_acc"), row.get("val_acc")
    if _finite(train) and _finite(val) and train - val >= 0.02:
        return f"training accuracy {train:.0%} vs validation {val:.0%}"
    return ""


def _span(nodes: list[str]) -> str:
    """`fc1-fc4` for a run of layers named with one stem and consecutive numbers, else a list."""
    stems = [_split(n) for n in nodes]
    if len(nodes) >= 3 and all(s and s[0] == stems[0][0] for s in stems):
        numbers = [s[1] for s in stems]
        if numbers == list(range(numbers[0], numbers[0] + len(numbers))):
            return f"{nodes[0]}-{nodes[-1]}"
    return ", ".join(nodes)


def _split(node_id: str) -> tuple[str, int] | None:
    stem = node_id.rstrip("0123456789")
    return (stem, int(node_id[len(stem) :])) if stem != node_id else None


def _finite(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _num(value: float) -> str:
    return f"{value:.3g}"


def _epochs(n: int) -> str:
    return f"{n} epoch{'' if n == 1 else 's'}"
