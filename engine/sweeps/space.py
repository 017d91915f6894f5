"""What one swept setting may take: a list of values, a linear range or a log range, checked against its Param.

Text form (the command line's `--param TARGET=SPEC`, the editor's field):

    32,64,128            a list (any kind: numbers, choices, true/false)
    *                    every choice of a choice or true/false setting
    lin:LOW:HIGH         a linear range; with :STEP only the values LOW, LOW+STEP, ... (ints step by 1)
    log:LOW:HIGH         a log range (LOW > 0); with :N only N values spaced evenly on a log scale

TARGET is `node.param` (`adam.lr`, `fc1.out_features`) or `training.setting` (`training.batch_size`).
A grid needs every setting to have finitely many values: a float range needs its STEP or N.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from engine.graph import Graph
from engine.graph.training import TRAINING_INDEX
from engine.registry import ParamError, catalog
from engine.registry.params import Param

TRAINING_PREFIX = "training"
KINDS = ("values", "linear", "log")
RANGE_PREFIXES = {"lin": "linear", "linear": "linear", "log": "log"}
SWEEPABLE = ("int", "float", "bool", "choice")
MAX_GRID_VALUES = 10_000  # per setting: a typo such as lin:1:1e9 is refused instead of hanging


class SweepSpecError(ValueError):
    """A swept setting that cannot be used; the message is one line naming it."""


@dataclass(frozen=True)
class SweptParam:
    """One swept setting. `values` for a list; `low`/`high` (and `step` or `count`) for a range."""

    target: str
    kind: str  # values, linear, log
    values: tuple[Any, ...] = ()
    low: float | None = None
    high: float | None = None
    step: float | None = None  # linear: the spacing of the allowed values
    count: int | None = None  # log: how many values, spaced evenly on a log scale
    param: Param | None = field(default=None, compare=False, repr=False)

    @property
    def is_int(self) -> bool:
        return self.param is not None and self.param.kind == "int"

    @property
    def finite(self) -> bool:
        """Whether it has finitely many values (a grid needs that)."""
        return self.kind == "values" or self.is_int or self.step is not None or self.count is not None

    def grid_values(self) -> list[Any]:
        """Every value, in order; SweepSpecError for a continuous range."""
        if self.kind == "values":
            return list(self.values)
        if not self.finite:
            hint = f"lin:{_num(self.low)}:{_num(self.high)}:STEP" if self.kind == "linear" else "log:LOW:HIGH:N"
            raise SweepSpecError(f"{self.target}: a grid needs finitely many values: give a step or count ({hint})")
        if self.kind == "log":
            if self.count is None:  # an int log range without a count: every whole number
                return list(range(int(self.low), int(self.high) + 1))
            values = _log_points(self.low, self.high, self.count)
            return sorted({round(v) for v in values}) if self.is_int else values
        step = self.step if self.step is not None else 1
        n = int(math.floor((self.high - self.low) / step + 1e-9)) + 1
        values = [self.low + i * step for i in range(n)]
        return [int(round(v)) for v in values] if self.is_int else [_tidy(v) for v in values]

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"target": self.target, "kind": self.kind}
        if self.kind == "values":
            out["values"] = list(self.values)
        else:
            out["low"], out["high"] = self.low, self.high
            if self.step is not None:
                out["step"] = self.step
            if self.count is not None:
                out["count"] = self.count
        return out

    def text(self) -> str:
        """The command-line form of the values (without `target=`)."""
        if self.kind == "values":
            return ",".join(_value_text(v) for v in self.values)
        prefix = "lin" if self.kind == "linear" else "log"
        extra = self.step if self.step is not None else self.count
        parts = [prefix, _num(self.low), _num(self.high)] + ([_num(extra)] if extra is not None else [])
        return ":".join(parts)


def target_param(graph: Graph, target: str) -> Param:
    """The Param behind `node.param` or `training.setting`; SweepSpecError naming what is unknown."""
    owner, dot, name = target.partition(".")
    if not dot or not owner or not name:
        raise SweepSpecError(f"{target!r}: name a setting as node.param (adam.lr) or training.setting")
    if owner == TRAINING_PREFIX:
        param = TRAINING_INDEX.get(name)
        if param is None:
            raise SweepSpecError(
                f"{target}: the training block has no setting {name!r} (it has {', '.join(TRAINING_INDEX)})"
            )
    else:
        node = graph.nodes.get(owner)
        if node is None:
            raise SweepSpecError(f"{target}: the graph has no node {owner!r}")
        registry = catalog()
        if node.type_id not in registry:
            raise SweepSpecError(f"{target}: node {owner!r} has an unknown type {node.type_id!r}")
        params = {p.name: p for p in registry.get(node.type_id).params}
        param = params.get(name)
        if param is None:
            raise SweepSpecError(f"{target}: node {owner!r} has no parameter {name!r} (it has {', '.join(params)})")
    if param.kind not in SWEEPABLE:
        raise SweepSpecError(f"{target}: only numbers, choices and true/false can be swept, not {param.kind} values")
    return param


def parse_param(text: str, graph: Graph) -> SweptParam:
    """`TARGET=SPEC` from a command line, checked against the graph."""
    target, eq, spec = text.partition("=")
    if not eq or not target.strip() or not spec.strip():
        raise SweepSpecError(f"{text!r}: expected TARGET=VALUES, e.g. adam.lr=log:1e-4:1e-1 or fc1.out_features=32,64")
    return parse_spec(target.strip(), spec.strip(), graph)


def parse_spec(target: str, spec: str, graph: Graph) -> SweptParam:
    """The values text of one setting (see the module docstring), checked against its Param."""
    param = target_param(graph, target)
    head, colon, rest = spec.partition(":")
    if colon and head.strip().lower() in RANGE_PREFIXES:
        kind = RANGE_PREFIXES[head.strip().lower()]
        parts = [p.strip() for p in rest.split(":")]
        if len(parts) not in (2, 3) or not all(parts):
            raise SweepSpecError(f"{target}={spec}: a range is {head}:LOW:HIGH or {head}:LOW:HIGH:{_extra(kind)}")
        numbers = [_number(target, spec, p) for p in parts]
        raw: dict[str, Any] = {"target": target, "kind": kind, "low": numbers[0], "high": numbers[1]}
        if len(numbers) == 3:
            raw["step" if kind == "linear" else "count"] = numbers[2]
        return checked(raw, graph, spec)
    if spec.strip() == "*":
        if param.kind == "choice":
            return checked({"target": target, "kind": "values", "values": list(param.choices)}, graph, spec)
        if param.kind == "bool":
            return checked({"target": target, "kind": "values", "values": [False, True]}, graph, spec)
        raise SweepSpecError(f"{target}=*: '*' means every choice; {target} is a number, give a list or a range")
    items = [item.strip() for item in spec.split(",")]
    if not all(items):
        raise SweepSpecError(f"{target}={spec}: an empty value in the list")
    try:
        values = [param.parse_text(item) for item in items]
    except ParamError as exc:
        raise SweepSpecError(f"{target}={spec}: {exc.message}") from None
    return checked({"target": target, "kind": "values", "values": values}, graph, spec)


def checked(raw: Any, graph: Graph, spec: str | None = None) -> SweptParam:
    """A SweptParam from its saved form (`to_dict`), every value checked by the setting's Param."""
    if not isinstance(raw, dict) or not isinstance(raw.get("target"), str):
        raise SweepSpecError(f"a swept setting should be an object with a target, found {raw!r}")
    target = raw["target"]
    param = target_param(graph, target)
    shown = f"{target}={spec}" if spec is not None else target
    kind = raw.get("kind")
    if kind not in KINDS:
        raise SweepSpecError(f"{shown}: kind should be one of {', '.join(KINDS)}, found {kind!r}")
    try:
        if kind == "values":
            values = raw.get("values")
            if not isinstance(values, list) or not values:
                raise SweepSpecError(f"{shown}: give at least one value")
            values = [param.check(v) for v in values]
            if len(set(map(repr, values))) != len(values):
                raise SweepSpecError(f"{shown}: a value is listed twice")
            return SweptParam(target, kind, tuple(values), param=param)
        if param.kind not in ("int", "float"):
            raise SweepSpecError(f"{shown}: a range needs a number; {target} takes {param.kind} values, list them")
        low, high = param.check(raw.get("low")), param.check(raw.get("high"))
    except ParamError as exc:
        raise SweepSpecError(f"{shown}: {exc.message}") from None
    if not low < high:
        raise SweepSpecError(f"{shown}: the range's low end ({_num(low)}) must be below its high end ({_num(high)})")
    if kind == "log" and low <= 0:
        raise SweepSpecError(f"{shown}: a log range must start above 0, received {_num(low)}")
    step, count = raw.get("step"), raw.get("count")
    if kind == "log" and step is not None or kind == "linear" and count is not None:
        raise SweepSpecError(
            f"{shown}: a {kind} range takes a {_extra(kind).lower()}, not a {'step' if step else 'count'}"
        )
    if step is not None:
        if isinstance(step, bool) or not isinstance(step, (int, float)) or not 0 < step <= high - low:
            raise SweepSpecError(f"{shown}: the step must be above 0 and at most the range's width, received {step!r}")
        if param.kind == "int" and float(step) != int(step):
            raise SweepSpecError(f"{shown}: {target} is a whole number, so the step must be one too")
        step = int(step) if param.kind == "int" else float(step)
    if count is not None:
        if isinstance(count, bool) or not isinstance(count, (int, float)) or count != int(count) or count < 2:
            raise SweepSpecError(f"{shown}: the count must be a whole number of at least 2, received {count!r}")
        count = int(count)
    swept = SweptParam(target, kind, (), low, high, step, count, param)
    if swept.finite and kind == "linear" and (high - low) / (step or 1) > MAX_GRID_VALUES:
        raise SweepSpecError(f"{shown}: over {MAX_GRID_VALUES:,} values; give a larger step")
    return swept


def _number(target: str, spec: str, text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise SweepSpecError(f"{target}={spec}: {text!r} is not a number") from None
    if not math.isfinite(value):
        raise SweepSpecError(f"{target}={spec}: {text!r} is not a finite number")
    return int(value) if value.is_integer() and "." not in text and "e" not in text.lower() else value


def _extra(kind: str) -> str:
    return "STEP" if kind == "linear" else "N"


def _log_points(low: float, high: float, count: int) -> list[float]:
    a, b = math.log10(low), math.log10(high)
    return [_tidy(10 ** (a + (b - a) * i / (count - 1))) for i in range(count)]


def _tidy(value: float) -> float:
    """12 significant digits: 0.1 + 2 * 0.1 reads as 0.3 in tables and files."""
    return float(f"{value:.12g}")


def _num(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _value_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return _num(value)
