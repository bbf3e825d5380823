"""Field basics: the missing/required markers, derived defaults and the FieldType base."""

from __future__ import annotations

import numbers
import random
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ..errors import FieldError

Items = Sequence[Any]


class _Missing:
    """Sentinel type for "no value given"."""

    _instance: _Missing | None = None

    def __new__(cls) -> _Missing:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()
REQUIRED: Any = type("_Required", (), {"__repr__": lambda self: "REQUIRED"})()


# ---------------------------------------------------------------------------
# Defaults that depend on the other values given


class Derived:
    """A default computed from the other values the user gave."""

    depends_on: str = ""

    def compute(self, given: Mapping[str, Any]) -> Any:
        raise NotImplementedError


class CountOf(Derived):
    """Default of a ``*_count`` field: the length of the list given for its array."""

    def __init__(self, array: str) -> None:
        self.depends_on = array

    def compute(self, given: Mapping[str, Any]) -> Any:
        value = given.get(self.depends_on, MISSING)
        if value is MISSING or value is None:
            return 0
        try:
            return len(value)
        except TypeError:
            return 0

    def __repr__(self) -> str:
        return f"len({self.depends_on})"


class FlagFor(Derived):
    """Default of a SetWaveformOptional ``set_*`` flag: whether the component was given."""

    def __init__(self, component: str) -> None:
        self.depends_on = component

    def compute(self, given: Mapping[str, Any]) -> Any:
        return given.get(self.depends_on, MISSING) is not MISSING

    def __repr__(self) -> str:
        return f"{self.depends_on} given"


class RandomId(Derived):
    """Default of an effect ``instanceid``: random in 1..2**32-1, as photons does."""

    def compute(self, given: Mapping[str, Any]) -> Any:
        return random.randrange(1, 1 << 32)

    def __repr__(self) -> str:
        return "random"


def resolve_default(default: Any, given: Mapping[str, Any]) -> Any:
    """The default value of a field that was not given, or raise if it is required."""
    if default is REQUIRED:
        raise FieldError("missing required field", None)
    if isinstance(default, Derived):
        return default.compute(given)
    return default


# ---------------------------------------------------------------------------
# Base


class FieldType:
    """One field's wire layout and conversions."""

    fmt: str = ""
    n: int = 0
    size: int = 0

    def encode(self, value: Any, out: list[Any]) -> None:
        raise NotImplementedError

    def encode_raw(self, value: Any, out: list[Any]) -> None:
        raise NotImplementedError

    def decode(self, items: Items, i: int) -> Any:
        raise NotImplementedError

    def decode_raw(self, items: Items, i: int) -> Any:
        raise NotImplementedError

    def zero(self, out: list[Any]) -> None:
        """Append the items of an all-zero value (array padding)."""
        raise NotImplementedError

    def describe(self) -> str:
        """Short type description for generated docs."""
        return type(self).__name__.lower()


def _is_number(value: Any) -> bool:
    cls = value.__class__
    if cls is int or cls is float:
        return True
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _as_int(value: Any) -> int:
    """An int from an int or an integral float; FieldError otherwise."""
    cls = value.__class__
    if cls is int:
        return value  # type: ignore[no-any-return]
    if isinstance(value, bool):
        raise FieldError("expected an integer, got a bool", value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float | numbers.Real):
        f = float(value)
        if f.is_integer():
            return int(f)
        raise FieldError("expected an integer", value)
    raise FieldError(f"expected an integer, got {type(value).__name__}", value)


class Scalar(FieldType):
    """A field stored as one struct item."""

    n = 1

    def converter(self) -> Callable[[Any], Any] | None:
        """Wire item -> human value (None: the item itself), for fast attribute access."""
        return None

    def decode(self, items: Items, i: int) -> Any:
        return items[i]

    def decode_raw(self, items: Items, i: int) -> Any:
        return items[i]
