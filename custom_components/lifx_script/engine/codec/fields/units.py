"""Human units on the wire, converted as photons does: hue, fractions, durations, skew."""

from __future__ import annotations

from typing import Any

from .scalars import Scaled


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
