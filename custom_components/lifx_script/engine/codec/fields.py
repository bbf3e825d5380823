"""Field types: the small vocabulary message tables are written in.

Every type maps a human value to one or more ``struct`` items and back, so that
a whole message (nested structs, arrays and unions included) compiles to one
flat ``struct.Struct``. Conversions follow photons (lifx-photons-core 0.46.7)
exactly; out-of-range values are errors, never clamped.

Each type has four conversions, all on a flat list/tuple of struct items:
``encode`` (human -> items), ``encode_raw`` (wire values -> items), ``decode``
(items -> human) and ``decode_raw`` (items -> wire values).
"""

from __future__ import annotations

import functools
import math
import numbers
import random
import struct
import uuid
from collections.abc import Callable, Mapping, Sequence
from enum import IntEnum
from typing import Any, NamedTuple

from .enums import enum_by_name, to_enum
from .errors import FieldError

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
    """An integer enum: given by member, name (case-insensitive) or int; unknown ints kept."""

    def __init__(self, enum_cls: type[IntEnum], code: str = "B") -> None:
        self.enum_cls = enum_cls
        self.fmt = code
        self.size = struct.calcsize("<" + code)
        self.hi = (1 << (8 * self.size)) - 1

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
        if not 0 <= v <= self.hi:
            raise FieldError(f"must be between 0 and {self.hi}", value)
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


def _hue_to_wire(v: float) -> int:
    return round(0x10000 * v / 360) % 0x10000


# round(x, n) is slow (decimal conversion): memoise per wire value, bounded.
_MEMO_LIMIT = 20000
_HUE_MEMO: dict[int, float] = {}
_FRAC_MEMO: dict[int, float] = {}


def _hue_from_wire(w: int) -> float:
    value = _HUE_MEMO.get(w)
    if value is None:
        value = round(float(w) * 360 / 0x10000, 2)
        if len(_HUE_MEMO) < _MEMO_LIMIT:
            _HUE_MEMO[w] = value
    return value


def _frac_to_wire(v: float) -> int:
    return round(0xFFFF * v)


def _frac_from_wire(w: int) -> float:
    value = _FRAC_MEMO.get(w)
    if value is None:
        value = round(float(w) / 0xFFFF, 4)
        if len(_FRAC_MEMO) < _MEMO_LIMIT:
            _FRAC_MEMO[w] = value
    return value


def _truncate(x: float) -> int:
    """Truncate like photons' int(), but first absorb float noise below 1e-6.

    photons sends int(1000 * 1.001) == 1000 ms (the product is 1000.9999999999999);
    we send 1001, and every value read back re-encodes to the same wire value.
    """
    nearest = round(x)
    if abs(x - nearest) <= max(1e-6, abs(x) * 2.3e-16):
        return nearest
    return int(x)


def _ms_to_wire(v: float) -> int:
    return _truncate(1000 * v)


def _ms_from_wire(w: int) -> float:
    return float(w) / 1000


def _ns_to_wire(v: float) -> int:
    return _truncate(1e9 * v)


def _ns_from_wire(w: int) -> float:
    return float(w) / 1e9


def _skew_to_wire(v: float) -> int:
    return _truncate(65535 * v) - 32768


def _skew_from_wire(w: int) -> float:
    return float(w + 32768) / 65535


U8 = Int("B", 8)
U16 = Int("H", 16)
U32 = Int("I", 32)
U64 = Int("Q", 64)
I16 = Int("h", 16, signed=True)
F32 = Float32()
BOOL = Bool()


class _Hue(Scaled):
    """Hue with the common case inlined (this is on the hot path of every colour)."""

    def encode(self, value: Any, out: list[Any]) -> None:
        cls = value.__class__
        if cls is float or cls is int:
            try:
                out.append(round(0x10000 * value / 360) % 0x10000)
                return
            except (OverflowError, ValueError):
                pass
        super().encode(value, out)


class _Fraction(Scaled):
    """Saturation/brightness with the common case inlined."""

    def encode(self, value: Any, out: list[Any]) -> None:
        cls = value.__class__
        if cls is float or cls is int:
            try:
                w = round(0xFFFF * value)
            except (OverflowError, ValueError):
                w = -1
            if 0 <= w <= 0xFFFF:
                out.append(w)
                return
        super().encode(value, out)


#: hue in degrees; wraps (360 -> 0, -90 -> 270); read back rounded to 2 places
HUE = _Hue("hue degrees", "H", 0, 0xFFFF, _hue_to_wire, _hue_from_wire, wraps=True)
#: saturation/brightness 0..1; read back rounded to 4 places
FRACTION = _Fraction("fraction 0..1", "H", 0, 0xFFFF, _frac_to_wire, _frac_from_wire)
#: seconds on the wire as uint32 milliseconds (truncated)
DURATION = Scaled("seconds (uint32 ms)", "I", 0, 0xFFFFFFFF, _ms_to_wire, _ms_from_wire)
#: seconds on the wire as uint64 nanoseconds (effect durations, uptime)
NANO_SECONDS = Scaled("seconds (uint64 ns)", "Q", 0, 0xFFFFFFFFFFFFFFFF, _ns_to_wire, _ns_from_wire)
#: waveform skew ratio 0..1 on the wire as int16 (int(v*65535) - 32768)
SKEW_RATIO = Scaled("skew ratio 0..1", "h", -32768, 32767, _skew_to_wire, _skew_from_wire)


def _decode_string(data: bytes) -> str:
    end = data.find(b"\x00")
    if end >= 0:
        data = data[:end]
    return data.decode("utf-8", "replace")


class String(Scalar):
    """UTF-8 text, NUL-padded or truncated to the field (never splitting a code point).

    Decoding stops at the first NUL and replaces invalid UTF-8; a full-length
    value has no terminator.
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self.fmt = f"{size}s"

    def encode(self, value: Any, out: list[Any]) -> None:
        if isinstance(value, str):
            try:
                data = value.encode("utf-8")
            except UnicodeEncodeError as error:  # a lone surrogate (os.fsdecode and the like)
                raise FieldError(f"not valid text: {error.reason}", value) from None
            if len(data) > self.size:
                data = data[: self.size]
                # drop a code point cut in half by the truncation
                data = data.decode("utf-8", "ignore").encode("utf-8")
            out.append(data.ljust(self.size, b"\x00"))
            return
        self.encode_raw(value, out)

    def encode_raw(self, value: Any, out: list[Any]) -> None:
        if isinstance(value, bytes | bytearray | memoryview):
            data = bytes(value)
            if len(data) > self.size:
                raise FieldError(f"at most {self.size} bytes", value)
            out.append(data.ljust(self.size, b"\x00"))
            return
        raise FieldError(f"expected a string, got {type(value).__name__}", value)

    def converter(self) -> Callable[[Any], Any] | None:
        return _decode_string

    def decode(self, items: Items, i: int) -> Any:
        return _decode_string(items[i])

    def zero(self, out: list[Any]) -> None:
        out.append(bytes(self.size))

    def describe(self) -> str:
        return f"string({self.size})"


class Bytes(Scalar):
    """Opaque bytes (ids, echo payloads): bytes, hex string or UUID; zero-padded."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.fmt = f"{size}s"

    def encode(self, value: Any, out: list[Any]) -> None:
        if isinstance(value, bytes | bytearray | memoryview):
            data = bytes(value)
        elif isinstance(value, str):
            try:
                data = bytes.fromhex(value)
            except ValueError:
                raise FieldError("expected bytes or a hex string", value) from None
        elif isinstance(value, uuid.UUID):
            data = value.bytes
        else:
            raise FieldError(f"expected bytes or a hex string, got {type(value).__name__}", value)
        if len(data) > self.size:
            raise FieldError(f"at most {self.size} bytes", value)
        out.append(data.ljust(self.size, b"\x00"))

    encode_raw = encode

    def decode(self, items: Items, i: int) -> Any:
        data: bytes = items[i]
        if len(data) < self.size:  # only for values built by hand, never from the wire
            data = data.ljust(self.size, b"\x00")
        return data

    decode_raw = decode

    def zero(self, out: list[Any]) -> None:
        out.append(bytes(self.size))

    def describe(self) -> str:
        return f"bytes({self.size})"


class Reserved(FieldType):
    """Reserved bytes: written as zeros, skipped when read (never validated)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.fmt = f"{size}x"
        self.n = 0

    def describe(self) -> str:
        return f"reserved({self.size})"


# ---------------------------------------------------------------------------
# Layouts: ordered fields compiled to one struct format


class Spec(NamedTuple):
    """One entry of a table: a field's name, type and default."""

    name: str
    type: FieldType
    default: Any = REQUIRED


def reserved(size: int) -> Spec:
    """A reserved gap of ``size`` bytes."""
    return Spec("reserved", Reserved(size), None)


class Layout:
    """An ordered list of fields compiled to a struct format and item offsets."""

    def __init__(self, owner: str, specs: Sequence[Spec]) -> None:
        self.owner = owner
        fmt: list[str] = []
        fields: list[tuple[str, FieldType, Any, int]] = []
        offsets: dict[str, int] = {}
        n = 0
        size = 0
        for spec in specs:
            ftype = spec.type
            fmt.append(ftype.fmt)
            size += ftype.size
            if isinstance(ftype, Reserved):
                continue
            if spec.name in offsets:
                raise ValueError(f"{owner}: duplicate field {spec.name}")
            offsets[spec.name] = n
            fields.append((spec.name, ftype, spec.default, n))
            n += ftype.n
        self.fmt = "".join(fmt)
        self.n = n
        self.size = size
        self.fields = tuple(fields)
        self.offsets = offsets
        self.names = tuple(f[0] for f in fields)
        self.name_set = frozenset(self.names)
        self.types = {f[0]: f[1] for f in fields}
        self.defaults = {f[0]: f[2] for f in fields}
        for name, ftype, _, idx in fields:
            if isinstance(ftype, Union):
                if ftype.selector not in offsets:
                    raise ValueError(f"{owner}: union {name} needs field {ftype.selector}")
                ftype.bind(offsets[ftype.selector] - idx)
        if struct.calcsize("<" + self.fmt) != size:
            raise ValueError(f"{owner}: layout size mismatch")

    def encode_mapping(self, values: Mapping[str, Any], out: list[Any], raw: bool = False) -> None:
        """Append the items of every field, taking values (or defaults) from a mapping."""
        if not self.name_set.issuperset(values):
            for key in values:
                if key not in self.name_set:
                    raise FieldError("unknown field", values[key], str(key))
        for name, ftype, default, _ in self.fields:
            value = values.get(name, MISSING)
            try:
                if value is MISSING:
                    ftype.encode(resolve_default(default, values), out)
                elif raw:
                    ftype.encode_raw(value, out)
                else:
                    ftype.encode(value, out)
            except FieldError as error:
                raise error.within(name) from None

    def decode_dict(self, items: Items, base: int) -> dict[str, Any]:
        """Human values of every field, by name."""
        return {name: ftype.decode(items, base + idx) for name, ftype, _, idx in self.fields}

    def decode_raw_dict(self, items: Items, base: int) -> dict[str, Any]:
        """Wire values of every field, by name."""
        return {name: ftype.decode_raw(items, base + idx) for name, ftype, _, idx in self.fields}

    def zero(self, out: list[Any]) -> None:
        for _, ftype, _, _ in self.fields:
            ftype.zero(out)


# ---------------------------------------------------------------------------
# Compound types


class Color(NamedTuple):
    """An HSBK colour in human units (hue degrees, saturation/brightness 0..1, kelvin)."""

    hue: float
    saturation: float
    brightness: float
    kelvin: int


_COLOR_KEYS = frozenset(Color._fields)
_NUMBERS = (int, float)
_new_tuple = tuple.__new__


class _ColorMemo(dict[tuple[int, int, int, int], Color]):
    """Colors by (hue, saturation, brightness, kelvin) wire values; ``memo[key]`` builds
    and remembers a missing one (bounded), so a hit costs a single C-level lookup."""

    def __missing__(self, key: tuple[int, int, int, int]) -> Color:
        h, s, b, k = key
        color: Color = _new_tuple(
            Color, (_hue_from_wire(h), _frac_from_wire(s), _frac_from_wire(b), k)
        )
        if len(self) < _MEMO_LIMIT:
            self[key] = color
        return color


_COLOR_MEMO = _ColorMemo()
_color_from_wire = _COLOR_MEMO.__getitem__


class ColorType(FieldType):
    """LightHsbk as one value: a Color, a dict, or a (h, s, b[, k]) tuple; kelvin defaults 3500."""

    fmt = "HHHH"
    n = 4
    size = 8

    def encode(self, value: Any, out: list[Any]) -> None:
        cls = value.__class__
        if cls is tuple or cls is list or cls is Color:
            n = len(value)
            if n == 4:
                h, s, b, k = value
            elif n == 3:
                h, s, b = value
                k = 3500
            else:
                h = MISSING
        elif cls is dict and len(value) <= 4 and _COLOR_KEYS.issuperset(value):
            h = value.get("hue", MISSING)
            s = value.get("saturation", MISSING)
            b = value.get("brightness", MISSING)
            k = value.get("kelvin", 3500)
        else:
            h = MISSING
        if (
            h.__class__ in _NUMBERS
            and s.__class__ in _NUMBERS
            and b.__class__ in _NUMBERS
            and k.__class__ is int
        ):
            try:
                sw = round(0xFFFF * s)
                bw = round(0xFFFF * b)
                if 0 <= sw <= 0xFFFF and 0 <= bw <= 0xFFFF and 0 <= k <= 0xFFFF:
                    out.extend((round(0x10000 * h / 360) % 0x10000, sw, bw, k))
                    return
            except (OverflowError, ValueError):
                pass
        self._encode_checked(value, out)

    def _encode_checked(self, value: Any, out: list[Any]) -> None:
        """The slow path: any accepted form, and errors naming the component."""
        if isinstance(value, Mapping):
            for key in value:
                if key not in _COLOR_KEYS:
                    raise FieldError("unknown field", value[key], str(key))
            h = value.get("hue", MISSING)
            s = value.get("saturation", MISSING)
            b = value.get("brightness", MISSING)
            k = value.get("kelvin", 3500)
        elif isinstance(value, tuple | list) and 3 <= len(value) <= 4:
            h, s, b = value[0], value[1], value[2]
            k = value[3] if len(value) == 4 else 3500
        else:
            raise FieldError(
                "expected a colour: dict or (hue, saturation, brightness[, kelvin])", value
            )
        for name, v, t in (
            ("hue", h, HUE),
            ("saturation", s, FRACTION),
            ("brightness", b, FRACTION),
        ):
            if v is MISSING:
                raise FieldError("missing required field", None, name)
            try:
                t.encode(v, out)
            except FieldError as error:
                raise error.within(name) from None
        try:
            U16.encode(k, out)
        except FieldError as error:
            raise error.within("kelvin") from None

    def encode_raw(self, value: Any, out: list[Any]) -> None:
        if isinstance(value, Mapping):
            for key in value:
                if key not in _COLOR_KEYS:
                    raise FieldError("unknown field", value[key], str(key))
            vals = [value.get(k, 0) for k in Color._fields]
        elif isinstance(value, tuple | list) and len(value) == 4:
            vals = list(value)
        else:
            raise FieldError("expected raw colour: dict or 4-tuple of uint16", value)
        for name, v in zip(Color._fields, vals, strict=True):
            try:
                U16.encode(v, out)
            except FieldError as error:
                raise error.within(name) from None

    def decode(self, items: Items, i: int) -> Any:
        return _color_from_wire(tuple(items[i : i + 4]))

    def decode_raw(self, items: Items, i: int) -> Any:
        return {
            "hue": items[i],
            "saturation": items[i + 1],
            "brightness": items[i + 2],
            "kelvin": items[i + 3],
        }

    def zero(self, out: list[Any]) -> None:
        out.extend((0, 0, 0, 0))

    def describe(self) -> str:
        return "hsbk"


COLOR = ColorType()

_COLOR_SEQUENCES = frozenset({tuple, list, Color})
_INT_FLOAT = frozenset({int, float})
_INT_ONLY = frozenset({int})
_FOUR = frozenset({4})
# x + _RINT - _RINT rounds a float to the nearest integer, ties to even, exactly like
# round(x) for |x| < 2**51 (the sum lies where floats are 1.0 apart, and float addition
# rounds ties to even), at a fraction of round()'s cost. Beyond 2**51 saturation and
# brightness fail their 0..0xFFFF check anyway, and |hue| < _HUE_LIMIT keeps
# 0x10000 * hue / 360 below 2**51.
_RINT = 1.5 * 2**52
_HUE_LIMIT = 1e12


def _color_array_items(colors: Sequence[Any], count: int) -> list[Any] | None:
    """Wire items of ``Array(COLOR, count)`` for plain colours, zero-padded; else None.

    The fast path of colour arrays: colours all given as dicts of exactly hue,
    saturation, brightness and kelvin, or all as 4-tuples/lists/Colors; hue,
    saturation and brightness ints or floats, kelvin an int, everything in range.
    It gives the items ``ColorType.encode`` gives, computed column by column and
    range-checked once per array. Anything else (including a bad colour) gives None
    and the caller encodes colour by colour, which names the bad one.
    """
    if not colors:
        return [0] * (4 * count)
    kinds = {*map(type, colors)}
    if kinds == {dict}:
        if {*map(len, colors)} != _FOUR:
            return None
        try:
            hue = [c["hue"] for c in colors]
            sat = [c["saturation"] for c in colors]
            bri = [c["brightness"] for c in colors]
            kel = [c["kelvin"] for c in colors]
        except KeyError:
            return None
    elif kinds <= _COLOR_SEQUENCES and {*map(len, colors)} == _FOUR:
        hue, sat, bri, kel = map(list, zip(*colors, strict=True))
    else:
        return None
    if not (
        set(map(type, hue)).union(map(type, sat), map(type, bri)) <= _INT_FLOAT
        and {*map(type, kel)} == _INT_ONLY
        and -_HUE_LIMIT < min(hue)
        and max(hue) < _HUE_LIMIT
        and 0 <= min(kel)
        and max(kel) <= 0xFFFF
    ):
        return None
    r = _RINT
    try:
        sat_w = [int(0xFFFF * s + r - r) for s in sat]
        bri_w = [int(0xFFFF * b + r - r) for b in bri]
        hue_w = [int(0x10000 * h / 360 + r - r) % 0x10000 for h in hue]
    except (OverflowError, ValueError):  # inf or nan
        return None
    if min(sat_w) < 0 or max(sat_w) > 0xFFFF or min(bri_w) < 0 or max(bri_w) > 0xFFFF:
        return None
    n = 4 * len(hue)
    items: list[Any] = [0] * (4 * count)
    items[0:n:4] = hue_w
    items[1:n:4] = sat_w
    items[2:n:4] = bri_w
    items[3:n:4] = kel
    return items


class Struct(FieldType):
    """A nested record (TileStateDevice, Button, ButtonAction) read back as a NamedTuple."""

    def __init__(self, name: str, value_cls: Any, specs: Sequence[Spec]) -> None:
        self.name = name
        self.value_cls = value_cls
        self.layout = Layout(name, specs)
        if tuple(self.layout.names) != tuple(value_cls._fields):
            raise ValueError(f"{name}: NamedTuple fields differ from the layout")
        self.fmt = self.layout.fmt
        self.n = self.layout.n
        self.size = self.layout.size

    def _as_mapping(self, value: Any) -> Mapping[str, Any]:
        if isinstance(value, Mapping):
            return value
        if hasattr(value, "_asdict"):
            return value._asdict()  # type: ignore[no-any-return]
        if isinstance(value, tuple | list) and len(value) <= len(self.layout.names):
            return dict(zip(self.layout.names, value, strict=False))
        raise FieldError(f"expected a {self.name} (dict)", value)

    def encode(self, value: Any, out: list[Any]) -> None:
        self.layout.encode_mapping(self._as_mapping(value), out)

    def encode_raw(self, value: Any, out: list[Any]) -> None:
        self.layout.encode_mapping(self._as_mapping(value), out, raw=True)

    def decode(self, items: Items, i: int) -> Any:
        return self.value_cls(
            *[ftype.decode(items, i + idx) for _, ftype, _, idx in self.layout.fields]
        )

    def decode_raw(self, items: Items, i: int) -> Any:
        return self.layout.decode_raw_dict(items, i)

    def zero(self, out: list[Any]) -> None:
        self.layout.zero(out)

    def describe(self) -> str:
        return self.name


class Array(FieldType):
    """A fixed number of elements; shorter lists are zero-padded, longer ones are errors."""

    def __init__(self, elem: FieldType, count: int) -> None:
        self.elem = elem
        self.count = count
        if isinstance(elem, Scalar) and elem.fmt.isalpha() and len(elem.fmt) == 1:
            self.fmt = f"{count}{elem.fmt}"
        else:
            self.fmt = elem.fmt * count
        self.n = elem.n * count
        self.size = elem.size * count
        self._fast_color = isinstance(elem, ColorType)

    def _check(self, value: Any) -> Sequence[Any]:
        if not isinstance(value, list | tuple) or hasattr(value, "_asdict"):
            raise FieldError(f"expected a list of at most {self.count} items", value)
        if len(value) > self.count:
            raise FieldError(f"at most {self.count} items, got {len(value)}", value)
        return value

    def encode(self, value: Any, out: list[Any]) -> None:
        seq = self._check(value)
        if self._fast_color:
            items = _color_array_items(seq, self.count)
            if items is not None:
                out += items
                return
        elem = self.elem
        for index, item in enumerate(seq):
            try:
                elem.encode(item, out)
            except FieldError as error:
                raise error.within(f"[{index}]") from None
        for _ in range(self.count - len(seq)):
            elem.zero(out)

    def encode_raw(self, value: Any, out: list[Any]) -> None:
        seq = self._check(value)
        elem = self.elem
        for index, item in enumerate(seq):
            try:
                elem.encode_raw(item, out)
            except FieldError as error:
                raise error.within(f"[{index}]") from None
        for _ in range(self.count - len(seq)):
            elem.zero(out)

    def decode(self, items: Items, i: int) -> Any:
        if self._fast_color:
            it = iter(items[i : i + self.n])
            return tuple(map(_color_from_wire, zip(it, it, it, it, strict=True)))
        step = self.elem.n
        decode = self.elem.decode
        return tuple([decode(items, i + k * step) for k in range(self.count)])

    def decode_raw(self, items: Items, i: int) -> Any:
        step = self.elem.n
        decode = self.elem.decode_raw
        return [decode(items, i + k * step) for k in range(self.count)]

    def zero(self, out: list[Any]) -> None:
        for _ in range(self.count):
            self.elem.zero(out)

    def describe(self) -> str:
        return f"{self.elem.describe()}[{self.count}]"


class Union(FieldType):
    """Bytes whose layout depends on an earlier field (the selector), e.g. effect parameters.

    The human value is a dict of the chosen variant's fields; the raw value is
    the bytes. Types no variant describes use ``fallback``.
    """

    def __init__(
        self,
        name: str,
        selector: str,
        size: int,
        variants: Mapping[int, Sequence[Spec]],
        fallback: Sequence[Spec],
    ) -> None:
        self.name = name
        self.selector = selector
        self.size = size
        self.fmt = f"{size}s"
        self.n = 1
        self.delta: int | None = None
        self._layouts: dict[int, tuple[Layout, struct.Struct]] = {}
        for key, specs in variants.items():
            self._layouts[key] = self._compile(f"{name}[{key}]", specs)
        self._fallback = self._compile(f"{name}[*]", fallback)

    def _compile(self, owner: str, specs: Sequence[Spec]) -> tuple[Layout, struct.Struct]:
        layout = Layout(owner, specs)
        if layout.size != self.size:
            raise ValueError(f"{owner}: variant is {layout.size} bytes, not {self.size}")
        return layout, struct.Struct("<" + layout.fmt)

    def bind(self, delta: int) -> None:
        """Record where the selector's item sits relative to this field's item."""
        if delta >= 0:
            raise ValueError(f"{self.name}: the selector must come before the union")
        if self.delta is not None and self.delta != delta:
            raise ValueError(f"{self.name}: union bound twice at different offsets")
        self.delta = delta

    def variant(self, selector_value: int) -> Layout:
        """The layout used for a selector value."""
        return self._layouts.get(selector_value, self._fallback)[0]

    def _selected(self, items: Items, i: int) -> tuple[Layout, struct.Struct]:
        assert self.delta is not None
        return self._layouts.get(int(items[i + self.delta]), self._fallback)

    def encode(self, value: Any, out: list[Any]) -> None:
        if isinstance(value, bytes | bytearray | memoryview):
            self.encode_raw(value, out)
            return
        if value is None:
            value = {}
        if not isinstance(value, Mapping):
            raise FieldError(f"expected a dict of {self.name}", value)
        assert self.delta is not None
        layout, packer = self._layouts.get(int(out[len(out) + self.delta]), self._fallback)
        sub: list[Any] = []
        layout.encode_mapping(value, sub)
        out.append(packer.pack(*sub))

    def encode_raw(self, value: Any, out: list[Any]) -> None:
        if isinstance(value, Mapping):
            self.encode(value, out)
            return
        Bytes(self.size).encode(value, out)

    def decode(self, items: Items, i: int) -> Any:
        layout, packer = self._selected(items, i)
        data: bytes = items[i]
        if len(data) < self.size:
            data = data.ljust(self.size, b"\x00")
        return layout.decode_dict(packer.unpack(data), 0)

    def decode_raw(self, items: Items, i: int) -> Any:
        data: bytes = items[i]
        return data.ljust(self.size, b"\x00")

    def zero(self, out: list[Any]) -> None:
        out.append(bytes(self.size))

    def describe(self) -> str:
        return f"union {self.name} by {self.selector}"


def jsonable(value: Any) -> Any:
    """JSON-serialisable form of a decoded value: enums by name, bytes as hex, dicts for records."""
    if isinstance(value, IntEnum):
        return value.name
    if isinstance(value, bool | int | float | str) or value is None:
        return value
    if isinstance(value, bytes | bytearray):
        return bytes(value).hex()
    if hasattr(value, "_asdict"):
        return {k: jsonable(v) for k, v in value._asdict().items()}
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return value
