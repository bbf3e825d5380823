"""Shared test helpers: golden records and hypothesis strategies derived from the tables."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from hypothesis import strategies as st

from custom_components.lifx_script.engine.codec import Message
from custom_components.lifx_script.engine.codec.enums import enum_by_name
from custom_components.lifx_script.engine.codec.fields import (
    DURATION,
    FRACTION,
    HUE,
    NANO_SECONDS,
    SKEW_RATIO,
    Array,
    Bool,
    Bytes,
    ColorType,
    Enum,
    FieldType,
    Float32,
    Int,
    Layout,
    Scaled,
    String,
    Struct,
    Union,
)

# Reference packets from another LIFX implementation, carried with the tests (see data/README.md).
GOLDEN = Path(__file__).resolve().parent / "data" / "golden_packets.json"


@cache
def _golden() -> dict[str, Any]:
    if not GOLDEN.is_file():
        pytest.fail(f"golden packets missing: {GOLDEN}")
    data: dict[str, Any] = json.loads(GOLDEN.read_text())
    return data


def golden_records() -> list[dict[str, Any]]:
    return list(_golden()["records"])


def transform_examples() -> list[dict[str, Any]]:
    return list(_golden()["transform_examples"])


def human_input(value: Any) -> Any:
    """Golden "fields" give enums as {"name", "value"}: pass the name, as a user would."""
    if isinstance(value, dict):
        if set(value) == {"name", "value"}:
            return value["name"]
        return {k: human_input(v) for k, v in value.items()}
    if isinstance(value, list):
        return [human_input(v) for v in value]
    return value


def header_kwargs(record: dict[str, Any]) -> dict[str, Any]:
    return {
        "target": record["target"],
        "source": record["source"],
        "sequence": record["sequence"],
        "ack_required": record["ack_required"],
        "res_required": record["res_required"],
    }


def assert_matches(actual: Any, expected: Any, path: str = "") -> None:
    """Equality, with floats compared to the precision the expected value shows."""
    if (
        isinstance(expected, float)
        and isinstance(actual, int | float)
        and not isinstance(actual, bool)
    ):
        text = repr(expected)
        if "e" in text or "." not in text:
            assert actual == pytest.approx(expected, rel=1e-12), path
        else:
            places = len(text.split(".")[1])
            assert abs(actual - expected) <= 0.5 * 10**-places + 1e-12, (path, actual, expected)
        return
    if isinstance(expected, dict):
        assert isinstance(actual, dict), (path, actual)
        assert set(actual) == set(expected), (path, sorted(actual), sorted(expected))
        for key in expected:
            assert_matches(actual[key], expected[key], f"{path}.{key}")
        return
    if isinstance(expected, list):
        assert isinstance(actual, list), (path, actual)
        assert len(actual) == len(expected), (path, len(actual), len(expected))
        for i, (a, e) in enumerate(zip(actual, expected, strict=True)):
            assert_matches(a, e, f"{path}[{i}]")
        return
    assert actual == expected, (path, actual, expected)


# -- hypothesis strategies ----------------------------------------------------------------

_SCALED = {
    id(HUE): st.one_of(st.floats(-1080, 1080, allow_nan=False), st.integers(-720, 720)),
    id(FRACTION): st.one_of(st.floats(0, 1), st.sampled_from([0, 1, 0.5, 1e-5, 0.99999])),
    id(DURATION): st.one_of(st.floats(0, 4294967.0), st.sampled_from([0, 0.001, 4294967.295])),
    # above 2**51 ns (26 days) float seconds cannot hold every nanosecond
    id(NANO_SECONDS): st.one_of(st.floats(0, 2.2e6), st.sampled_from([0, 1e-9, 2251799.813685248])),
    id(SKEW_RATIO): st.one_of(st.floats(0, 1), st.sampled_from([0, 0.5, 1])),
}


def value_strategy(ftype: FieldType) -> st.SearchStrategy[Any]:
    """Human values a user may give for a field type, edge values included."""
    if isinstance(ftype, Scaled):
        return _SCALED[id(ftype)]
    if isinstance(ftype, Bool):
        return st.booleans()
    if isinstance(ftype, Enum):
        members = list(ftype.enum_cls)
        return st.one_of(
            st.sampled_from(members),
            st.sampled_from([m.name.lower() for m in members]),
            st.sampled_from(sorted(ftype.values)),
        )
    if isinstance(ftype, Int):
        return st.integers(ftype.lo, ftype.hi)
    if isinstance(ftype, Float32):
        return st.floats(width=32, allow_nan=False, allow_infinity=False)
    if isinstance(ftype, String):

        def fits(text: str, size: int = ftype.size) -> bool:
            return len(text.encode("utf-8", "surrogatepass")) <= size

        return st.one_of(
            st.text(max_size=ftype.size).filter(fits),
            st.text(alphabet="aé★", min_size=ftype.size // 3, max_size=ftype.size // 3),
            st.just("x" * ftype.size),
        )
    if isinstance(ftype, Bytes):
        return st.binary(max_size=ftype.size)
    if isinstance(ftype, ColorType):
        return st.one_of(
            st.tuples(
                _SCALED[id(HUE)],
                _SCALED[id(FRACTION)],
                _SCALED[id(FRACTION)],
                st.integers(0, 65535),
            ),
            st.fixed_dictionaries(
                {  # type: ignore[misc]
                    "hue": _SCALED[id(HUE)],
                    "saturation": _SCALED[id(FRACTION)],
                    "brightness": _SCALED[id(FRACTION)],
                },
                optional={"kelvin": st.integers(0, 65535)},
            ),
        )
    if isinstance(ftype, Struct):
        return layout_strategy(ftype.layout)
    if isinstance(ftype, Array):
        elem = value_strategy(ftype.elem)
        return st.one_of(
            st.lists(elem, max_size=min(ftype.count, 6)),
            st.lists(elem, min_size=ftype.count, max_size=ftype.count),
        )
    raise AssertionError(f"no strategy for {ftype!r}")


def _selector_int(value: Any, enum_type: FieldType) -> int:
    if isinstance(value, str):
        assert isinstance(enum_type, Enum)
        found = enum_by_name(enum_type.enum_cls, value)
        assert found is not None
        return found
    return int(value)


def layout_strategy(layout: Layout) -> st.SearchStrategy[dict[str, Any]]:
    """A dict of values for every field of a layout (unions follow their selector)."""

    @st.composite
    def build(draw: st.DrawFn) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for name, ftype, _, _ in layout.fields:
            if isinstance(ftype, Union):
                selector = _selector_int(values[ftype.selector], layout.types[ftype.selector])
                values[name] = draw(layout_strategy(ftype.variant(selector)))
            else:
                values[name] = draw(value_strategy(ftype))
        return values

    return build()


def message_strategy(cls: type[Message]) -> st.SearchStrategy[Message]:
    header = st.fixed_dictionaries(
        {
            "target": st.one_of(
                st.none(), st.binary(min_size=6, max_size=6), st.binary(min_size=8, max_size=8)
            ),
            "source": st.integers(0, 2**32 - 1),
            "sequence": st.integers(0, 255),
            "ack_required": st.booleans(),
            "res_required": st.booleans(),
        }
    )
    return st.builds(lambda h, f: cls(**h, **f), header, layout_strategy(cls._layout))
