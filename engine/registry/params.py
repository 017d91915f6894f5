"""Typed node parameters: the schema the editor builds its forms from and validation checks."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from engine.registry.errors import ParamError

KINDS = ("int", "float", "bool", "choice", "str", "ints", "node_ids", "path")


@dataclass(frozen=True)
class Param:
    """One parameter of a node type.

    kind: int, float, bool, choice (one of `choices`), str, path (a file or folder),
    ints (a list of integers such as a shape), node_ids (a list of node ids, e.g. an
    optimizer's scope). `minimum`/`maximum` bound numbers and the entries of `ints`.
    """

    name: str
    kind: str
    default: Any
    description: str
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] = ()
    min_length: int = 0
    advanced: bool = False
    extra: dict = field(default_factory=dict, compare=False, hash=False)
    # {other param: values for which this one means something}, e.g. image_size only for
    # {"dataset": ("image_folder",)}; forms hide a param that does not apply (its value is kept)
    applies_when: dict[str, tuple] = field(default_factory=dict, compare=False, hash=False)
    # for a choice: one line per option saying what it is (forms show the chosen one's)
    choice_descriptions: dict[str, str] = field(default_factory=dict, compare=False, hash=False)

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"param {self.name}: unknown kind {self.kind!r}")
        if self.kind == "choice" and self.default not in self.choices:
            raise ValueError(f"param {self.name}: default {self.default!r} not in choices")
        self.check(self.default)

    def applies(self, params: dict[str, Any]) -> bool:
        """Whether this parameter means anything given the node's other parameter values."""
        return all(params.get(name) in values for name, values in self.applies_when.items())

    def check(self, value: Any) -> Any:
        """Return the value in its canonical JSON form, or raise ParamError saying why not."""
        kind = self.kind
        if kind == "bool":
            if not isinstance(value, bool):
                raise ParamError(self.name, f"expected true or false, received {value!r}")
            return value
        if kind == "int":
            if isinstance(value, bool) or not isinstance(value, int):
                if isinstance(value, float) and value.is_integer():
                    value = int(value)
                else:
                    raise ParamError(self.name, f"expected a whole number, received {value!r}")
            self._check_range(value)
            return value
        if kind == "float":
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ParamError(self.name, f"expected a number, received {value!r}")
            value = float(value)
            if not math.isfinite(value):
                raise ParamError(self.name, f"expected a finite number, received {value!r}")
            self._check_range(value)
            return value
        if kind == "choice":
            if value not in self.choices:
                options = ", ".join(self.choices)
                raise ParamError(self.name, f"expected one of {options}; received {value!r}")
            return value
        if kind in ("str", "path"):
            if not isinstance(value, str):
                raise ParamError(self.name, f"expected text, received {value!r}")
            return value
        if kind in ("ints", "node_ids"):
            if not isinstance(value, (list, tuple)):
                raise ParamError(self.name, f"expected a list, received {value!r}")
            if len(value) < self.min_length:
                raise ParamError(self.name, f"expected at least {self.min_length} entries, received {len(value)}")
            if kind == "node_ids":
                if not all(isinstance(v, str) for v in value):
                    raise ParamError(self.name, f"expected a list of node ids, received {value!r}")
                return list(value)
            out = []
            for v in value:
                if isinstance(v, bool) or not isinstance(v, int):
                    raise ParamError(self.name, f"expected whole numbers, received {v!r}")
                self._check_range(v)
                out.append(v)
            return out
        raise AssertionError(kind)

    def _check_range(self, value: float) -> None:
        if self.minimum is not None and value < self.minimum:
            raise ParamError(self.name, f"must be at least {_num(self.minimum)}, received {_num(value)}")
        if self.maximum is not None and value > self.maximum:
            raise ParamError(self.name, f"must be at most {_num(self.maximum)}, received {_num(value)}")

    def parse_text(self, text: str) -> Any:
        """Parse what a user typed in a form or on a command line."""
        text = text.strip()
        try:
            if self.kind == "int":
                return self.check(int(text))
            if self.kind == "float":
                return self.check(float(text))
            if self.kind == "bool":
                lowered = text.lower()
                if lowered in ("true", "yes", "1", "on"):
                    return True
                if lowered in ("false", "no", "0", "off"):
                    return False
                raise ParamError(self.name, f"expected true or false, received {text!r}")
            if self.kind == "ints":
                parts = [p for p in text.replace("x", ",").split(",") if p.strip()]
                return self.check([int(p) for p in parts])
            if self.kind == "node_ids":
                return self.check([p.strip() for p in text.split(",") if p.strip()])
        except ValueError as exc:
            if isinstance(exc, ParamError):
                raise
            raise ParamError(self.name, f"could not read {text!r} as {self.kind}") from None
        return self.check(text)


def _num(value: float) -> str:
    return f"{value:g}"
