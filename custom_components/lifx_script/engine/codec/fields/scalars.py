"""Scalar field kinds: integers, float32, bool, enums and the Scaled base."""

from __future__ import annotations

import functools
import math
import struct
from collections.abc import Callable
from enum import IntEnum
from typing import Any

from ..enums import enum_by_name, to_enum
from ..errors import FieldError
from .base import Items, Scalar, _as_int, _is_number


class Int(Scalar):
    """Plain signed or unsigned integer."""

    def __init__(self, code: str, bits: int, signed: bool = False) -> None:
        self.fmt = code
        self.size = bits // 8
        self.bits = bits
        if signed:
            self.lo, self.hi = -(1 << (bits - 1)), (1 << (bits - 1)) - 1
        else:
            self.lo, self.hi = 0, (1 << bits) - 1

    def encode(self, value: Any, out: list[Any]) -> None:
        v = value if value.__class__ is int else _as_int(value)
        if v < self.lo or v > self.hi:
            raise FieldError(f"must be between {self.lo} and {self.hi}", value)
        out.append(v)

    encode_raw = encode

    def zero(self, out: list[Any]) -> None:
        out.append(0)

    def describe(self) -> str:
        return f"{'int' if self.lo < 0 else 'uint'}{self.bits}"


_F32_PACK = struct.Struct("<f").pack
_F32_ROUND = struct.Struct("<f").unpack


class Float32(Scalar):
    """IEEE float32; read back at float32 precision."""

    fmt = "f"
    size = 4
    _MAX = 3.4028234663852886e38

    def encode(self, value: Any, out: list[Any]) -> None:
        if not _is_number(value):
            raise FieldError(f"expected a number, got {type(value).__name__}", value)
        v = float(value)
        if not math.isfinite(v) or abs(v) > self._MAX:
            raise FieldError("must be a finite float32", value)
        out.append(_F32_ROUND(_F32_PACK(v))[0])

    encode_raw = encode

    def zero(self, out: list[Any]) -> None:
        out.append(0.0)

    def describe(self) -> str:
        return "float32"


class Bool(Scalar):
    """A one-byte boolean (photons BoolInt); reads back as bool."""

    fmt = "B"
    size = 1

    def encode(self, value: Any, out: list[Any]) -> None:
        if value is True or value is False:
            out.append(1 if value else 0)
            return
        if isinstance(value, int) and value in (0, 1):
            out.append(int(value))
            return
        raise FieldError("expected a bool (or 0/1)", value)

    def encode_raw(self, value: Any, out: list[Any]) -> None:
        if isinstance(value, bool):
            out.append(int(value))
            return
        v = _as_int(value)
        if not 0 <= v <= 255:
            raise FieldError("must be between 0 and 255", value)
        out.append(v)

    def converter(self) -> Callable[[Any], Any] | None:
        return bool

    def decode(self, items: Items, i: int) -> Any:
        return items[i] != 0

    def zero(self, out: list[Any]) -> None:
        out.append(0)

    def describe(self) -> str:
        return "bool"


class Enum(Scalar):
    """An integer enum: given by member, name (case-insensitive) or int.

    Only values the protocol defines (its RESERVED placeholders included) are
    sent; any other is refused, never sent as given. Decoding keeps a value no
    member knows as a plain int, since a device may be newer than this table.
    """

    def __init__(self, enum_cls: type[IntEnum], code: str = "B", empty_slot: bool = False) -> None:
        self.enum_cls = enum_cls
        self.fmt = code
        self.size = struct.calcsize("<" + code)
        self.hi = (1 << (8 * self.size)) - 1
        # empty_slot: 0 marks an unused record in a zero-padded array (a button's
        # spare action slots), so a record read back can be sent again as read
        self.values = frozenset(
            {int(member) for member in enum_cls} | ({0} if empty_slot else set())
        )

    def encode(self, value: Any, out: list[Any]) -> None:
        if isinstance(value, str):
            v = enum_by_name(self.enum_cls, value)
            if v is None:
                names = ", ".join(self.enum_cls.__members__)
                raise FieldError(f"unknown {self.enum_cls.__name__} name (known: {names})", value)
            out.append(v)
            return
        if isinstance(value, IntEnum) and not isinstance(value, self.enum_cls):
            raise FieldError(f"expected a {self.enum_cls.__name__}", value)
        v = _as_int(value)
        if v not in self.values:
            known = ", ".join(f"{m.name}={int(m)}" for m in self.enum_cls)
            raise FieldError(f"not a {self.enum_cls.__name__} value (known: {known})", value)
        out.append(v)

    def encode_raw(self, value: Any, out: list[Any]) -> None:
        self.encode(value, out)

    def converter(self) -> Callable[[Any], Any] | None:
        return functools.partial(to_enum, self.enum_cls)

    def decode(self, items: Items, i: int) -> Any:
        return to_enum(self.enum_cls, items[i])

    def zero(self, out: list[Any]) -> None:
        out.append(0)

    def describe(self) -> str:
        return f"enum {self.enum_cls.__name__}"


class Scaled(Scalar):
    """A number in human units stored as an integer, converted as photons does."""

    def __init__(
        self,
        name: str,
        code: str,
        lo: int,
        hi: int,
        to_wire: Callable[[float], int],
        from_wire: Callable[[int], float],
        wraps: bool = False,
    ) -> None:
        self.name = name
        self.fmt = code
        self.size = struct.calcsize("<" + code)
        self.lo, self.hi = lo, hi
        self.to_wire = to_wire
        self.from_wire = from_wire
        self.wraps = wraps

    def encode(self, value: Any, out: list[Any]) -> None:
        cls = value.__class__
        if not (cls is float or cls is int) and not _is_number(value):
            raise FieldError(f"expected a number, got {type(value).__name__}", value)
        try:
            w = self.to_wire(float(value))
        except (OverflowError, ValueError):
            raise FieldError("must be a finite number", value) from None
        if w < self.lo or w > self.hi:
            raise FieldError(f"out of range for {self.name} (wire value {w})", value)
        out.append(w)

    def encode_raw(self, value: Any, out: list[Any]) -> None:
        v = _as_int(value)
        if v < self.lo or v > self.hi:
            raise FieldError(f"must be between {self.lo} and {self.hi}", value)
        out.append(v)

    def converter(self) -> Callable[[Any], Any] | None:
        return self.from_wire

    def decode(self, items: Items, i: int) -> Any:
        return self.from_wire(items[i])

    def zero(self, out: list[Any]) -> None:
        out.append(0)

    def describe(self) -> str:
        return self.name


U8 = Int("B", 8)
U16 = Int("H", 16)
U32 = Int("I", 32)
U64 = Int("Q", 64)
I16 = Int("h", 16, signed=True)
F32 = Float32()
BOOL = Bool()
