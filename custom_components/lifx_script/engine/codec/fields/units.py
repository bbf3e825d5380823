"""Human units on the wire, converted as photons does: hue, fractions, durations, skew."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .scalars import Scaled


def _hue_to_wire(v: float) -> int:
    return round(0x10000 * v / 360) % 0x10000


# Decoding tables over the whole wire range, built once at import (about 10 ms on a quiet
# core; 2.1 MB: two tuples of 65,536 pointers, 512 KiB each, and the 36,000 hue and 10,001
# fraction floats they share, 24 bytes each). They hold exactly what photons' rounding
# gives, round(w * 360 / 65536, 2) and round(w / 65535, 4) (tests check every entry),
# computed in integers: round() on floats costs about 1 us a call.


def _runs(last: int, start: Callable[[int], int], scale: int) -> list[float]:
    """table[w] = q / scale for the q whose run of wire values w lies in (monotonic q)."""
    table: list[float] = []
    begin = 0
    for q in range(last + 1):
        end = start(q + 1) if q < last else 0x10000
        table += [q / scale] * (end - begin)
        begin = end
    return table


def _build_hue_table() -> tuple[float, ...]:
    # w * 360 / 65536 is exact in binary; rounded half up to 2 places it reaches q/100
    # at w >= ceil((4096 q - 2048) / 2250)
    table = _runs(35999, lambda q: -((2048 - 4096 * q) // 2250), 100)
    for w in range(1024, 0x10000, 2048):  # exact ties: round() goes to the even neighbour
        q = (w * 1125 + 1024) // 2048
        if q & 1:
            table[w] = (q - 1) / 100
    return tuple(table)


def _build_fraction_table() -> tuple[float, ...]:
    # w / 65535 never lies within float noise of a tie at 4 places (65535 is odd), so
    # rounding the exact ratio half up gives round()'s answer: q/10000 from
    # w >= ceil((131070 q - 65535) / 20000)
    return tuple(_runs(10000, lambda q: -((65535 - 131070 * q) // 20000), 10000))


HUE_FROM_WIRE = _build_hue_table()
FRACTION_FROM_WIRE = _build_fraction_table()
_hue_from_wire: Callable[[int], float] = HUE_FROM_WIRE.__getitem__
_frac_from_wire: Callable[[int], float] = FRACTION_FROM_WIRE.__getitem__


def _frac_to_wire(v: float) -> int:
    return round(0xFFFF * v)


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
