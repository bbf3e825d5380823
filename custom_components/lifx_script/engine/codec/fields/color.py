"""HSBK colours: one colour as a value, and the fast path of colour arrays."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from ..errors import FieldError
from .base import MISSING, FieldType, Items
from .scalars import U16
from .units import FRACTION, FRACTION_FROM_WIRE, HUE, HUE_FROM_WIRE


class Color(NamedTuple):
    """An HSBK colour in human units (hue degrees, saturation/brightness 0..1, kelvin)."""

    hue: float
    saturation: float
    brightness: float
    kelvin: int


_COLOR_KEYS = frozenset(Color._fields)
_NUMBERS = (int, float)
_new_tuple = tuple.__new__


def _color_from_wire(items: Sequence[int]) -> Color:
    """One Color from its four wire values (table look-ups, no rounding at run time)."""
    h, s, b, k = items
    color: Color = _new_tuple(
        Color, (HUE_FROM_WIRE[h], FRACTION_FROM_WIRE[s], FRACTION_FROM_WIRE[b], k)
    )
    return color


def colors_from_wire(items: Sequence[int], start: int, count: int) -> tuple[Color, ...]:
    """count Colors from the flat wire items at start (a comprehension calling
    tuple.__new__ directly: about twice as fast as mapping a partial over columns)."""
    hue, fraction, new, color = HUE_FROM_WIRE, FRACTION_FROM_WIRE, _new_tuple, Color
    return tuple(
        [
            new(
                color, (hue[items[i]], fraction[items[i + 1]], fraction[items[i + 2]], items[i + 3])
            )
            for i in range(start, start + 4 * count, 4)
        ]
    )


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
        return _color_from_wire(items[i : i + 4])

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
        {*map(type, hue), *map(type, sat), *map(type, bri)} <= _INT_FLOAT
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
        hue_w = [int(0x10000 * h / 360 + r - r) for h in hue]
    except (OverflowError, ValueError):  # inf or nan
        return None
    if min(hue_w) < 0 or max(hue_w) > 0xFFFF:  # hue wraps (360 -> 0, -90 -> 270); rare
        hue_w = [w % 0x10000 for w in hue_w]
    if min(sat_w) < 0 or max(sat_w) > 0xFFFF or min(bri_w) < 0 or max(bri_w) > 0xFFFF:
        return None
    n = 4 * len(hue)
    items: list[Any] = [0] * (4 * count)
    items[0:n:4] = hue_w
    items[1:n:4] = sat_w
    items[2:n:4] = bri_w
    items[3:n:4] = kel
    return items


_NUMBER_TYPES = frozenset({int, float})
# the wire values a bool can give, packed: hue 0/182, saturation and brightness 0/0xFFFF,
# kelvin 0/1
_BOOL_WIRE = (b"\x00\x00", b"\x01\x00", b"\xb6\x00", b"\xff\xff")


def color_array_wire_unchecked(colors: Sequence[Any], count: int) -> list[Any] | None:
    """Wire items of ``Array(COLOR, count)`` for plain colours, ranges NOT checked; else None.

    For a caller that packs the items at once with the array's ``H`` format, which
    refuses every item outside 0..0xFFFF (and any kelvin that is not an int): it then
    gives exactly ``_color_array_items``'s items, and when the packing fails the caller
    takes the checked path, which wraps hues (360 -> 0) and names a bad colour.
    Colours all dicts of exactly hue, saturation, brightness and kelvin, or all
    4-tuples/lists/Colors; hue, saturation and brightness ints or floats.

    Dicts are read and converted colour by colour in one loop (float constants: the
    interpreter's float-float fast path; the same values, as int * float converts the
    int exactly). A value that is not a number fails the arithmetic; a bool does not:
    the caller must also call :func:`colors_may_hold_bools` on the packed bytes, and
    :func:`color_types_ok` when it says yes.
    """
    n = len(colors)
    r = _RINT
    items: list[Any] = []
    try:
        for c in colors:
            items += (
                int(65536.0 * c["hue"] / 360.0 + r - r),
                int(65535.0 * c["saturation"] + r - r),
                int(65535.0 * c["brightness"] + r - r),
                c["kelvin"],
            )
        # every dict holds the four keys: a total of 4n means none holds another key
        if sum(map(len, colors)) != 4 * n:
            return None
    except (KeyError, TypeError, OverflowError, ValueError):  # not dicts, not numbers, inf, nan
        if colors[0].__class__ is dict:
            return None
        return _sequence_colors_wire(colors, count)
    if n < count:
        items += [0] * (4 * (count - n))
    return items


def _sequence_colors_wire(colors: Sequence[Any], count: int) -> list[Any] | None:
    """color_array_wire_unchecked for colours given as 4-tuples, lists or Colors."""
    if not {*map(type, colors)} <= _COLOR_SEQUENCES or {*map(len, colors)} != _FOUR:
        return None
    hue, sat, bri, kel = zip(*colors, strict=True)
    if not {*map(type, hue), *map(type, sat), *map(type, bri), *map(type, kel)} <= _NUMBER_TYPES:
        return None
    r = _RINT
    try:
        hue_w = [int(0x10000 * h / 360 + r - r) for h in hue]
        sat_w = [int(0xFFFF * s + r - r) for s in sat]
        bri_w = [int(0xFFFF * b + r - r) for b in bri]
    except (OverflowError, ValueError):  # inf or nan
        return None
    items: list[Any] = [0] * (4 * count)
    end = 4 * len(colors)
    items[0:end:4] = hue_w
    items[1:end:4] = sat_w
    items[2:end:4] = bri_w
    items[3:end:4] = kel
    return items


def colors_may_hold_bools(payload: bytes, start: int, n: int) -> bool:
    """Whether n colours packed at ``start`` may have been given a bool.

    A bool passes the arithmetic of :func:`color_array_wire_unchecked` but only as
    the wire value 0, 1, 182 or 0xFFFF, so bytes with none of those 16-bit patterns
    held no bool. A few C-level searches instead of a look at every value; a match
    (a real 0 or 0xFFFF, or a pattern across two items) only costs the precise
    :func:`color_types_ok`.
    """
    end = start + 8 * n
    find = payload.find
    for pattern in _BOOL_WIRE:
        if find(pattern, start, end) >= 0:
            return True
    return False


def color_types_ok(colors: Sequence[Any]) -> bool:
    """Whether every component of colours (dicts or sequences) is an int or a float."""
    if colors and colors[0].__class__ is dict:
        values = [v for c in colors for v in c.values()]
    else:
        values = [v for c in colors for v in c]
    return {*map(type, values)} <= _NUMBER_TYPES
