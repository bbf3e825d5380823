"""A constructor compiled per message class: the common case without per-field calls.

``Message.__init__`` walks the layout and calls one ``encode`` method per field
(a dict look-up, a method call and a list append each), which is most of the cost
of building a small message. :func:`compile_init` writes, once per class at class
creation, an ``__init__`` with every field as a keyword parameter and the usual
checks of integers, hues, fractions and scaled units written out inline. Any value
the inline checks do not accept as-is (another type, out of range, a derived or
required default, an unknown keyword) sends the whole call to the generic
constructor, which accepts or refuses it exactly as before and names the bad field:
the compiled constructor only ever builds what the generic one builds.
"""

from __future__ import annotations

import keyword
import struct
from collections.abc import Callable
from typing import Any

from .fields import (
    MISSING,
    REQUIRED,
    Array,
    ColorType,
    Derived,
    Enum,
    FieldType,
    Int,
    Layout,
    Scaled,
    Struct,
    Union,
)
from .fields.color import color_array_wire_unchecked, color_types_ok, colors_may_hold_bools
from .fields.units import DURATION, FRACTION, HUE
from .header import _SERIAL_CACHE, ZERO_TARGET

# x + _RINT - _RINT rounds like round() (ties to even) whenever the result lies in
# 0..0xFFFF (then x lies in -0.5..65535.5, far below 2**51): see fields/color.py
_RINT = 1.5 * 2**52


class _Slow(Exception):
    """Internal: this call takes the generic constructor."""


def compile_init(
    name: str, layout: Layout, generic: Callable[..., None]
) -> Callable[..., None] | None:
    """A compiled ``__init__`` for a layout, or None when the generic one is as good.

    ``generic(self, fields, target, source, sequence, ack_required, res_required)``
    is the generic constructor the compiled one falls back to.
    """
    if not layout.fields:
        return None
    env: dict[str, Any] = {
        "_M": MISSING,
        "_Slow": _Slow,
        "_generic": generic,
        "_serials": _SERIAL_CACHE.get,
        "_ZERO": ZERO_TARGET,
        "_R": _RINT,
        "_caw": color_array_wire_unchecked,
        "_may_bool": colors_may_hold_bools,
        "_types_ok": color_types_ok,
        "_spack": struct.Struct("<" + layout.fmt).pack,
    }
    params: list[str] = []
    body: list[str] = []
    items: list[str] = []
    checks: list[str] = []
    for i, (key, ftype, default, _) in enumerate(layout.fields):
        if (
            not key.isidentifier()
            or keyword.iskeyword(key)
            or key == "self"
            or isinstance(ftype, Union | Struct)
        ):
            return None
        params.append(f"{key}=_M")
        lines, item = _field_code(i, key, ftype, default, env)
        body += lines
        if isinstance(ftype, Array) and isinstance(ftype.elem, ColorType):
            # after packing: a colour given a bool packs like 0, 1, 182 or 0xFFFF
            checks.append(
                f"        if {key} is not _M and _may_bool(_p, {layout.byte_offsets[key]},"
                f" len({key})) and not _types_ok({key}):"
            )
            checks.append("            raise _Slow")
        items.append(item)
    names = [f[0] for f in layout.fields]
    # unchecked colour arrays are checked by packing (struct refuses items out of range)
    packed = "_caw" in "".join(body)
    wire = "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"
    source = "\n".join(
        [
            "def __init__(self, *, target=None, source=0, sequence=0, ack_required=True,",
            f"             res_required=True, {', '.join(params)}, **_extra):",
            "    try:",
            "        if _extra:",
            "            raise _Slow",
            *("        " + line for line in body),
            f"        _wire = {wire}",
            "        _p = _spack(*_wire)" if packed else "        _p = None",
            *checks,
            "        if target.__class__ is str:",
            "            _t = _serials(target)",
            "            if _t is None:",
            "                raise _Slow",
            "        elif target.__class__ is bytes and len(target) == 8:",
            "            _t = target",
            "        elif target is None:",
            "            _t = _ZERO",
            "        else:",
            "            raise _Slow",
            "        if not (source.__class__ is int and 0 <= source <= 0xFFFFFFFF",
            "                and sequence.__class__ is int and 0 <= sequence <= 255",
            "                and (ack_required is True or ack_required is False)",
            "                and (res_required is True or res_required is False)):",
            "            raise _Slow",
            "    except (_Slow, Exception):",
            "        _fields = {k: v for k, v in (("
            + "".join(f"({k!r}, {k}), " for k in names)
            + ")) if v is not _M}",
            "        _fields.update(_extra)",
            "        _generic(self, _fields, target, source, sequence, ack_required, res_required)",
            "        return",
            "    self._wire = _wire",
            "    self._payload = _p",
            "    self._cache = None",
            "    self._target = _t",
            "    self._tagged = _t == _ZERO",
            "    self._source = source",
            "    self._sequence = sequence",
            "    self._ack = ack_required",
            "    self._res = res_required",
        ]
    )
    namespace: dict[str, Any] = {}
    exec(compile(source, f"<{name}.__init__ compiled>", "exec"), env, namespace)
    init: Callable[..., None] = namespace["__init__"]
    init.__doc__ = f"Build a {name} (compiled; see codec/fastinit.py)."
    return init


def _field_code(
    i: int, key: str, ftype: FieldType, default: Any, env: dict[str, Any]
) -> tuple[list[str], str]:
    """The lines that compute field ``key``'s wire items, and how they enter the tuple."""
    lines: list[str] = [f"if {key} is _M:"]
    if default is REQUIRED or isinstance(default, Derived):
        lines.append("    raise _Slow")
        default_items = None
    else:
        out: list[Any] = []
        ftype.encode(default, out)
        default_items = tuple(out)
    scalar = ftype.n == 1
    if default_items is not None:
        if scalar:
            env[f"_d{i}"] = default_items[0]
            lines.append(f"    _w{i} = _d{i}")
        else:
            env[f"_d{i}"] = default_items
            lines.append(f"    _w{i} = _d{i}")
    if ftype is HUE:
        lines += [
            f"elif {key}.__class__ is float or {key}.__class__ is int:",
            f"    _w{i} = int(65536.0 * {key} / 360.0 + _R - _R)",
            f"    if not 0 <= _w{i} <= 0xFFFF:",
            "        raise _Slow",
        ]
    elif ftype is FRACTION:
        lines += [
            f"elif {key}.__class__ is float or {key}.__class__ is int:",
            f"    _w{i} = int(65535.0 * {key} + _R - _R)",
            f"    if not 0 <= _w{i} <= 0xFFFF:",
            "        raise _Slow",
        ]
    elif isinstance(ftype, Int):
        lines += [
            f"elif {key}.__class__ is int and {ftype.lo} <= {key} <= {ftype.hi}:",
            f"    _w{i} = {key}",
        ]
    elif isinstance(ftype, Array) and isinstance(ftype.elem, ColorType):
        lines += [
            f"elif ({key}.__class__ is list or {key}.__class__ is tuple)"
            f" and len({key}) <= {ftype.count}:",
            f"    _w{i} = _caw({key}, {ftype.count})",
            f"    if _w{i} is None:",
            "        raise _Slow",
        ]
    elif isinstance(ftype, Enum):
        env[f"_v{i}"] = ftype.values
        lines += [
            f"elif {key}.__class__ is int and {key} in _v{i}:",
            f"    _w{i} = {key}",
        ]
    elif ftype is DURATION:
        # _ms_to_wire inlined: the nearest integer (x + _R - _R, as round()) when within
        # 1e-6, else truncated; in range (below 2**32) max(1e-6, |x| * 2.3e-16) is 1e-6
        lines += [
            f"elif {key}.__class__ is float or {key}.__class__ is int:",
            f"    _x{i} = 1000.0 * {key}",
            f"    _w{i} = _x{i} + _R - _R",
            f"    _w{i} = int(_w{i}) if -1e-6 <= _x{i} - _w{i} <= 1e-6 else int(_x{i})",
            f"    if not 0 <= _w{i} <= 0xFFFFFFFF:",
            "        raise _Slow",
        ]
    elif isinstance(ftype, Scaled):
        env[f"_tw{i}"] = ftype.to_wire
        lines += [
            f"elif {key}.__class__ is float or {key}.__class__ is int:",
            f"    _w{i} = _tw{i}(float({key}))",
            f"    if not {ftype.lo} <= _w{i} <= {ftype.hi}:",
            "        raise _Slow",
        ]
    env[f"_e{i}"] = ftype.encode
    lines += [
        "else:",
        f"    _l{i} = []",
        f"    _e{i}({key}, _l{i})",
        f"    _w{i} = _l{i}[0]" if scalar else f"    _w{i} = _l{i}",
    ]
    return lines, (f"_w{i}" if scalar else f"*_w{i}")
