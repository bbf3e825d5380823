"""Field types: the small vocabulary message tables are written in.

Every type maps a human value to one or more ``struct`` items and back, so that
a whole message (nested structs, arrays and unions included) compiles to one
flat ``struct.Struct``. Conversions follow photons (lifx-photons-core 0.46.7)
exactly; out-of-range values are errors, never clamped.

Each type has four conversions, all on a flat list/tuple of struct items:
``encode`` (human -> items), ``encode_raw`` (wire values -> items), ``decode``
(items -> human) and ``decode_raw`` (items -> wire values).

The parts: ``base`` (markers, derived defaults, the FieldType base), ``scalars``
(integers, float32, bool, enums), ``units`` (hue, fractions, durations, skew),
``text`` (strings, bytes, reserved gaps), ``color`` (HSBK colours and colour
arrays) and ``layout`` (layouts, nested structs, arrays and unions).
"""

from __future__ import annotations

from .base import (
    MISSING,
    REQUIRED,
    CountOf,
    Derived,
    FieldType,
    FlagFor,
    Items,
    RandomId,
    Scalar,
    resolve_default,
)
from .color import COLOR, Color, ColorType
from .layout import Array, Layout, Spec, Struct, Union, jsonable, reserved
from .scalars import BOOL, F32, I16, U8, U16, U32, U64, Bool, Enum, Float32, Int, Scaled
from .text import Bytes, Reserved, String
from .units import DURATION, FRACTION, HUE, NANO_SECONDS, SKEW_RATIO

__all__ = [
    "BOOL",
    "COLOR",
    "DURATION",
    "F32",
    "FRACTION",
    "HUE",
    "I16",
    "MISSING",
    "NANO_SECONDS",
    "REQUIRED",
    "SKEW_RATIO",
    "U8",
    "U16",
    "U32",
    "U64",
    "Array",
    "Bool",
    "Bytes",
    "Color",
    "ColorType",
    "CountOf",
    "Derived",
    "Enum",
    "FieldType",
    "FlagFor",
    "Float32",
    "Int",
    "Items",
    "Layout",
    "RandomId",
    "Reserved",
    "Scalar",
    "Scaled",
    "Spec",
    "String",
    "Struct",
    "Union",
    "jsonable",
    "reserved",
    "resolve_default",
]
