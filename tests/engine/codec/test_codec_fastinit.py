"""The constructors compiled per message class (codec/fastinit.py) build exactly what the
generic constructor builds, and refuse exactly what it refuses, with the same words.

Valid values from the round-trip strategies, and the same with one field replaced by a value
that sits on an edge of the fast path (bools, out of range, NaN, text, None).
"""

from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from custom_components.lifx_script.engine.codec import Message, Messages, ValidationError
from custom_components.lifx_script.engine.codec.message import _generic_init

from .helpers import layout_strategy

COMPILED = [cls for cls in Messages.all() if cls.__init__ is not Message.__init__]

EDGES = [True, False, -1, 65536, 2**32, 1e10, -0.5, math.nan, math.inf, "x", None, [], 3.5]

HEADER = st.fixed_dictionaries(
    {
        "target": st.one_of(st.none(), st.sampled_from(["d073d5001337", "d073d5000001"])),
        "source": st.integers(0, 2**32 - 1),
        "sequence": st.integers(0, 255),
        "ack_required": st.booleans(),
        "res_required": st.booleans(),
    }
)


def outcome(build: Any) -> tuple[str, Any]:
    try:
        msg = build()
    except ValidationError as err:
        return "refused", str(err)
    return "built", (msg.pack(), msg.target, msg.source, msg.sequence)


def generic(cls: type[Message], header: dict[str, Any], fields: dict[str, Any]) -> Message:
    msg = cls.__new__(cls)
    _generic_init(
        msg,
        fields,
        header["target"],
        header["source"],
        header["sequence"],
        header["ack_required"],
        header["res_required"],
    )
    return msg


def test_most_classes_with_fields_are_compiled() -> None:
    assert len(COMPILED) >= 40


@pytest.mark.parametrize("cls", COMPILED, ids=lambda c: f"{c.namespace}.{c.name}")
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_compiled_constructor_matches_the_generic_one(
    cls: type[Message], data: st.DataObject
) -> None:
    header = data.draw(HEADER)
    fields = dict(data.draw(layout_strategy(cls._layout)))
    if fields and data.draw(st.booleans()):
        name = data.draw(st.sampled_from(sorted(fields)))
        fields[name] = data.draw(st.sampled_from(EDGES))
    fast = outcome(lambda: cls(**header, **fields))
    slow = outcome(lambda: generic(cls, header, dict(fields)))
    assert fast == slow
