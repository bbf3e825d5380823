"""lifx_script.run end to end: real UDP to the emulated fleet and to slow test bulbs."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import pytest
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import device_registry as dr
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.lifx_script.const import DOMAIN
from tests.ha.helpers import SlowBulbs, dead_port, make_options, registry_device
from tests.support.fleet import Fleet

SET_COLOR = {
    "type": "SetColor",
    "hue": 120,
    "saturation": 1,
    "brightness": 0.5,
    "kelvin": 3500,
    "duration": 1,
}


async def run(hass: HomeAssistant, **data: Any) -> dict[str, Any]:
    response = await hass.services.async_call(
        DOMAIN, "run", data, blocking=True, return_response=True
    )
    assert isinstance(response, dict)
    json.dumps(response)  # response_variable and Developer Tools need JSON
    return response


def device_id(hass: HomeAssistant, serial: str) -> str:
    device = registry_device(hass, serial)
    assert device is not None
    return device.id


async def test_parallel_messages(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, fleet_reset: Fleet
) -> None:
    """A parallel list to a device_id and a serial: replies per serial, state changed."""
    first, second, third = fleet_reset.of_kind("color")
    color = {**SET_COLOR, "hue": 240, "duration": 0}
    response = await run(
        hass,
        device_id=[device_id(hass, first.serial)],
        serials=[second.serial.upper()],
        messages=["GetPower", color, 116],
    )
    assert list(response["results"]) == [first.serial, second.serial]
    assert response["errors"] == {}
    for serial in (first.serial, second.serial):
        replies = response["results"][serial]
        types = sorted(reply["type"] for reply in replies)
        assert types == ["LightState", "StateLightPower", "StatePower"]
        light_state = next(reply for reply in replies if reply["type"] == "LightState")
        assert light_state["pkt_type"] == 107
        assert light_state["label"] == fleet_reset.by_serial(serial).label
        assert fleet_reset.state(serial)["color"]["hue"] == pytest.approx(0xFFFF * 240 / 360, 2)
    assert fleet_reset.received(third.serial) == 0
    stats = response["stats"]
    assert stats["devices"] == 2
    assert stats["messages"] == 6
    assert stats["replies"] == 6
    assert stats["errors"] == 0


async def test_pipeline_with_nesting(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, fleet_reset: Fleet
) -> None:
    """In order, with a parallel group in the middle: the later read sees the earlier write."""
    bulb = fleet_reset.of_kind("color")[0]
    response = await run(
        hass,
        serials=[bulb.serial],
        pipeline=[
            {"type": "SetPower", "level": 0, "res_required": False},
            ["GetPower", {**SET_COLOR, "hue": 60, "duration": 0, "res_required": False}],
            {"type": "SetPower", "level": 65535, "res_required": False},
            [["GetPower", "GetColor"]],
        ],
        spread=0.05,
    )
    replies = response["results"][bulb.serial]
    types = [reply["type"] for reply in replies]
    assert types[0] == "Acknowledgement"
    assert sorted(types[1:3]) == ["Acknowledgement", "StatePower"]
    assert types[3] == "Acknowledgement"
    assert types[4:] == ["StatePower", "LightState"]  # the inner list is a pipeline again
    assert replies[1:3][types[1:3].index("StatePower")]["level"] == 0
    assert replies[4]["level"] == 65535
    assert replies[5]["hue"] == pytest.approx(60, abs=0.1)
    assert response["stats"]["messages"] == 6


async def test_raw_pkt_type_and_flags(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, fleet_reset: Fleet
) -> None:
    """{type: 102} is SetColor; ack_required and res_required pass through."""
    bulb = fleet_reset.of_kind("color")[1]
    response = await run(
        hass,
        serials=[bulb.serial],
        messages=[{**SET_COLOR, "type": 102, "hue": 30, "duration": 0, "res_required": False}],
    )
    assert [r["type"] for r in response["results"][bulb.serial]] == ["Acknowledgement"]
    response = await run(
        hass,
        serials=[bulb.serial],
        messages=[{"type": "GetColor", "ack_required": False}],
    )
    (reply,) = response["results"][bulb.serial]
    assert reply["type"] == "LightState"
    assert reply["hue"] == pytest.approx(30, abs=0.1)


async def test_without_return_response(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, fleet_reset: Fleet
) -> None:
    """Called as a plain action (an automation step) it sends and returns nothing."""
    bulb = fleet_reset.of_kind("color")[2]
    result = await hass.services.async_call(
        DOMAIN,
        "run",
        {"serials": [bulb.serial], "messages": [{"type": "SetPower", "level": 65535}]},
        blocking=True,
    )
    assert result is None
    assert fleet_reset.state(bulb.serial)["power_level"] == 65535


BAD_CALLS: list[tuple[str, dict[str, Any], dict[str, str]]] = [
    (
        "unknown_message_type",
        {"messages": ["GetPower", "GetNothing"]},
        {"item": "messages[1]", "value": '"GetNothing"'},
    ),
    (
        "unknown_message_type",
        {"pipeline": ["GetPower", [{"type": 9999}]]},
        {"item": "pipeline[1][0]", "value": "9999"},
    ),
    (
        "invalid_message_field",
        {"messages": ["GetPower", {**SET_COLOR, "colour": 3}]},
        {"item": "messages[1]", "message": "SetColor", "field": "colour", "value": "3"},
    ),
    (
        "invalid_message_field",
        {"pipeline": ["GetPower", [{**SET_COLOR, "brightness": 1.5}]]},
        {"item": "pipeline[1][0]", "message": "SetColor", "field": "brightness", "value": "1.5"},
    ),
    (
        "invalid_message_field",
        {"messages": [{"type": "SetPower", "level": 70000}]},
        {"item": "messages[0]", "message": "SetPower", "field": "level", "value": "70000"},
    ),
    (
        "invalid_message_field",
        {"messages": [{"type": "SetPower", "level": 1, "ack_required": "yes"}]},
        {"item": "messages[0]", "field": "ack_required", "value": '"yes"'},
    ),
    (
        "invalid_message_field",
        {"messages": [{"type": "SetColor", "hue": 1}]},
        {"item": "messages[0]", "message": "SetColor", "field": "saturation"},
    ),
    ("missing_message_type", {"messages": [{"hue": 1}]}, {"item": "messages[0]"}),
    (
        # the call's devices say where a message goes: header fields other than the flags
        # are not the user's to set
        "invalid_message_field",
        {"messages": [{"type": "GetPower", "target": "d073d5000099"}]},
        {"item": "messages[0]", "message": "GetPower", "field": "target"},
    ),
    (
        "invalid_message_field",
        {"messages": [{"type": "GetPower", "effect_type": "MORPH"}]},
        {"item": "messages[0]", "field": "effect_type", "value": '"MORPH"'},
    ),
    (
        "invalid_message_field",
        {"messages": [{"type": "SetTileEffect", "effect_type": "SPIN"}]},
        {"item": "messages[0]", "field": "effect_type", "value": '"SPIN"'},
    ),
    (
        "invalid_action_data",
        {"messages": ["GetPower"], "serials": ["d073d5000001", {"a": 1}]},
        {"field": "serials.1", "value": '{"a": 1}'},
    ),
    (
        "invalid_message_field",
        {"messages": [{"type": "SetPower", 5: 1}]},
        {"item": "messages[0]", "field": "5", "value": "1"},
    ),
    ("nesting_too_deep", {"pipeline": [[[[[[[[["GetPower"]]]]]]]]]}, {"depth": "8"}),
    ("invalid_message_item", {"messages": ["GetPower", True]}, {"item": "messages[1]"}),
    ("empty_message_list", {"pipeline": ["GetPower", []]}, {"item": "pipeline[1]"}),
    ("messages_and_pipeline", {"messages": ["GetPower"], "pipeline": ["GetPower"]}, {}),
    ("no_messages", {}, {}),
    ("invalid_action_data", {"messages": ["GetPower"], "limit": 0}, {"field": "limit"}),
    ("invalid_action_data", {"messages": ["GetPower"], "hue": 3}, {"field": "hue"}),
]


@pytest.mark.parametrize(
    ("key", "data", "placeholders"), BAD_CALLS, ids=[f"{c[0]}-{i}" for i, c in enumerate(BAD_CALLS)]
)
async def test_bad_input_sends_nothing(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    fleet_reset: Fleet,
    key: str,
    data: dict[str, Any],
    placeholders: dict[str, str],
) -> None:
    """Each bad call names the item, field and value; the bulb receives not one packet."""
    bulb = fleet_reset.of_kind("color")[0]
    with pytest.raises(ServiceValidationError) as caught:
        await hass.services.async_call(
            DOMAIN, "run", {"serials": [bulb.serial], **data}, blocking=True
        )
    assert caught.value.translation_domain == DOMAIN
    assert caught.value.translation_key == key
    for name, value in placeholders.items():
        assert caught.value.translation_placeholders[name] == value
    # The translated text carries the placeholders (translations/en.json is loaded).
    message = str(caught.value)
    for value in placeholders.values():
        assert value in message
    await asyncio.sleep(0.05)
    assert fleet_reset.received(bulb.serial) == 0
    # the same bulb does answer a good call: the count above could have seen packets
    await run(hass, serials=[bulb.serial], messages=["GetPower"])
    assert fleet_reset.received(bulb.serial) >= 1


@pytest.mark.parametrize(
    ("key", "data"),
    [
        ("unknown_device", {"device_id": ["not-a-device"]}),
        ("invalid_serial", {"serials": ["d073d5zz0000"]}),
        ("invalid_serial", {"serials": ["d073d500"]}),
        ("no_target", {}),
    ],
)
async def test_bad_target_sends_nothing(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    fleet_reset: Fleet,
    key: str,
    data: dict[str, Any],
) -> None:
    with pytest.raises(ServiceValidationError) as caught:
        await hass.services.async_call(
            DOMAIN, "run", {"messages": ["GetPower"], **data}, blocking=True
        )
    assert caught.value.translation_key == key
    await asyncio.sleep(0.05)
    assert fleet_reset.received() == 0


async def test_device_of_other_integration_is_unknown(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, fleet_reset: Fleet
) -> None:
    other = MockConfigEntry(domain="light")
    other.add_to_hass(hass)
    device = dr.async_get(hass).async_get_or_create(
        config_entry_id=other.entry_id, identifiers={("light", "x")}
    )
    with pytest.raises(ServiceValidationError) as caught:
        await hass.services.async_call(
            DOMAIN, "run", {"device_id": device.id, "messages": "GetPower"}, blocking=True
        )
    assert caught.value.translation_key == "unknown_device"
    assert device.id in str(caught.value)


async def dead_entry(hass: HomeAssistant, fleet: Fleet, dead_serial: str) -> MockConfigEntry:
    """An entry that knows one color bulb and one device that never answers."""
    good = fleet.of_kind("color")[0]
    devices = {
        good.serial: {"ip": good.ip, "port": good.port, "label": good.label},
        dead_serial: {"ip": "127.0.0.1", "port": dead_port(), "label": "Gone"},
    }
    entry = MockConfigEntry(
        domain=DOMAIN, data={"devices": devices}, options=make_options(message_timeout=0.4)
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry


@pytest.mark.usefixtures("socket_enabled")
async def test_device_timeout_raises(hass: HomeAssistant, fleet: Fleet) -> None:
    """A device that never answers: a translated error naming the serial and the reason."""
    dead = "d073d5dead01"
    entry = await dead_entry(hass, fleet, dead)
    good = fleet.of_kind("color")[0]
    started = time.monotonic()
    with pytest.raises(HomeAssistantError) as caught:
        await hass.services.async_call(
            DOMAIN,
            "run",
            {"serials": [good.serial, dead], "messages": ["GetPower"], "timeout": 0.3},
            blocking=True,
        )
    assert time.monotonic() - started < 3
    assert not isinstance(caught.value, ServiceValidationError)
    # one device failed while the other answered: singular, and a hint where its reply went
    assert caught.value.translation_key == "device_error_with_replies"
    assert caught.value.translation_placeholders["errors"] == f"{dead}: GetPower timed out"
    assert caught.value.translation_placeholders["replies"] == "1"
    message = str(caught.value)
    assert message.startswith(f"A device failed: {dead}: GetPower timed out."), message
    assert message.count(dead) == 1
    assert "raise_on_error to false" in message
    assert await hass.config_entries.async_unload(entry.entry_id)


@pytest.mark.usefixtures("socket_enabled")
async def test_device_timeout_in_response(hass: HomeAssistant, fleet: Fleet) -> None:
    """raise_on_error false: the good device's replies and the dead one's error, together."""
    dead = "d073d5dead02"
    entry = await dead_entry(hass, fleet, dead)
    good = fleet.of_kind("color")[0]
    response = await run(
        hass,
        serials=[good.serial, dead],
        messages=["GetPower", "GetColor"],
        raise_on_error=False,
    )
    assert sorted(r["type"] for r in response["results"][good.serial]) == [
        "LightState",
        "StatePower",
    ]
    assert response["results"][dead] == []
    assert list(response["errors"]) == [dead]
    errors = response["errors"][dead]
    assert sorted(e["type"] for e in errors) == ["GetColor", "GetPower"]
    assert {e["error"] for e in errors} == {"timed_out"}
    assert {e["pkt_type"] for e in errors} == {20, 101}
    assert response["stats"]["errors"] == 2
    assert response["stats"]["replies"] == 2
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_unsupported_and_not_found(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, fleet_reset: Fleet
) -> None:
    """A switch has no colour; a serial nobody has is not found: both reported per serial."""
    switch = fleet_reset.of_kind("switch")[0]
    missing = "d073d5abcdef"
    response = await run(
        hass,
        serials=[switch.serial, missing],
        messages=["GetColor"],
        raise_on_error=False,
        timeout=0.5,
    )
    assert response["errors"][switch.serial][0]["error"] == "unsupported"
    assert response["errors"][switch.serial][0]["pkt_type"] == 101
    assert response["errors"][missing][0]["error"] == "not_found"
    with pytest.raises(HomeAssistantError) as caught:
        await hass.services.async_call(
            DOMAIN, "run", {"serials": [switch.serial], "messages": ["GetColor"]}, blocking=True
        )
    assert "unsupported" in caught.value.translation_placeholders["errors"]


async def load_slow_entry(
    hass: HomeAssistant, slow_bulbs: SlowBulbs, count: int, delay: float | None, **options: Any
) -> MockConfigEntry:
    for index in range(count):
        await slow_bulbs.add(f"d073d5aa{index:04x}", delay)
    entry = MockConfigEntry(
        domain=DOMAIN, data={"devices": slow_bulbs.devices()}, options=make_options(**options)
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry


def call(hass: HomeAssistant, serials: list[str], tag: str, **data: Any) -> asyncio.Task[Any]:
    """Two EchoRequests per bulb, with payloads unique to this call (see helpers.SlowBulb)."""
    echoes = [{"type": "EchoRequest", "echoing": f"{tag}{n:02x}"} for n in range(2)]
    return hass.async_create_task(
        hass.services.async_call(
            DOMAIN,
            "run",
            {"serials": serials, "messages": echoes, **data},
            blocking=True,
            return_response=True,
        )
    )


async def test_concurrent_calls_share_the_limit(hass: HomeAssistant, slow_bulbs: SlowBulbs) -> None:
    """Two calls of 6 messages each, shared limit 3: never more than 3 waiting at the bulbs."""
    entry = await load_slow_entry(hass, slow_bulbs, 3, 0.2, limit=3)
    serials = list(slow_bulbs.bulbs)
    first, second = call(hass, serials, "a1"), call(hass, serials, "b2")
    results = await asyncio.gather(first, second)
    for response in results:
        assert response["stats"]["replies"] == 6
        assert response["errors"] == {}
    assert slow_bulbs.tracker.total == 12
    assert slow_bulbs.tracker.peak == 3
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_without_a_tight_limit_more_are_in_flight(
    hass: HomeAssistant, slow_bulbs: SlowBulbs
) -> None:
    """The control: the same load with the default limit has all 12 in flight at once."""
    entry = await load_slow_entry(hass, slow_bulbs, 3, 0.3)
    serials = list(slow_bulbs.bulbs)
    await asyncio.gather(call(hass, serials, "a1"), call(hass, serials, "b2"))
    assert slow_bulbs.tracker.peak == 12
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_per_call_limit_inside_shared(hass: HomeAssistant, slow_bulbs: SlowBulbs) -> None:
    """limit: 1 on each call, shared limit 30: two calls have at most 2 in flight."""
    entry = await load_slow_entry(hass, slow_bulbs, 3, 0.1)
    serials = list(slow_bulbs.bulbs)
    await asyncio.gather(call(hass, serials, "a1", limit=1), call(hass, serials, "b2", limit=1))
    assert slow_bulbs.tracker.total == 12
    assert slow_bulbs.tracker.peak == 2
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_not_loaded(hass: HomeAssistant, fleet: Fleet) -> None:
    """The actions exist from async_setup; without a loaded entry they say so."""
    entry = MockConfigEntry(domain=DOMAIN, data={"devices": {}}, options=make_options())
    entry.add_to_hass(hass)
    from homeassistant.setup import async_setup_component

    assert await async_setup_component(hass, DOMAIN, {}) or True
    await hass.async_block_till_done()
    if entry.state.recoverable:
        await hass.config_entries.async_unload(entry.entry_id)
    assert hass.services.has_service(DOMAIN, "run")
    with pytest.raises(ServiceValidationError) as caught:
        await hass.services.async_call(
            DOMAIN,
            "run",
            {"serials": [fleet.serials[0]], "messages": ["GetPower"]},
            blocking=True,
        )
    assert caught.value.translation_key == "not_loaded"


async def test_short_circuit_on_error(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, fleet_reset: Fleet
) -> None:
    """A device failing a step gets no later steps; the others carry on."""
    switch, bulb = fleet_reset.of_kind("switch")[0], fleet_reset.of_kind("color")[0]
    data = {
        "serials": [switch.serial, bulb.serial],
        "pipeline": ["GetColor", "GetPower"],
        "raise_on_error": False,
    }
    response = await run(hass, **data, short_circuit_on_error=True)
    assert response["results"][switch.serial] == []
    assert [r["type"] for r in response["results"][bulb.serial]] == ["LightState", "StatePower"]
    response = await run(hass, **data)
    assert [r["type"] for r in response["results"][switch.serial]] == ["StatePower"]


async def test_serial_not_in_registry_is_found_by_broadcast(
    hass: HomeAssistant, socket_enabled: None, fleet_reset: Fleet
) -> None:
    """serials reach devices the entry does not know, through the broadcast addresses."""
    bulb = fleet_reset.of_kind("white")[0]
    entry = MockConfigEntry(
        domain=DOMAIN,
        data={"devices": {}},
        options=make_options(broadcast_addresses=[f"127.0.0.1:{bulb.port}"]),
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    response = await run(hass, serials=[bulb.serial], messages=["GetLabel"])
    assert response["results"][bulb.serial] == [
        {"type": "StateLabel", "pkt_type": 25, "label": bulb.label}
    ]
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_rate_cap_option(hass: HomeAssistant, socket_enabled: None, fleet: Fleet) -> None:
    """rate_limit 10/s: eight messages to one device take at least ~0.6 s."""
    bulb = fleet.of_kind("color")[1]
    entry = MockConfigEntry(
        domain=DOMAIN,
        data={"devices": {bulb.serial: {"ip": bulb.ip, "port": bulb.port, "label": "x"}}},
        options=make_options(rate_limit=10),
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    started = time.monotonic()
    response = await run(hass, serials=[bulb.serial], messages=["GetPower"] * 8)
    assert time.monotonic() - started >= 0.6
    assert response["stats"]["replies"] == 8
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_bytes_and_enums_are_json(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, fleet_reset: Fleet
) -> None:
    """Byte fields come back as hex text, enums by name: the response is plain JSON."""
    bulb = fleet_reset.of_kind("color")[0]
    response = await run(
        hass,
        serials=[bulb.serial],
        messages=[
            {"type": "EchoRequest", "echoing": "c0ffee"},
            {
                "type": "SetWaveform",
                "hue": 10,
                "saturation": 1,
                "brightness": 1,
                "kelvin": 3500,
                "period": 0.1,
                "cycles": 1,
                "waveform": "SINE",
                "res_required": False,
            },
        ],
    )
    replies = {r["type"]: r for r in response["results"][bulb.serial]}
    assert isinstance(replies["EchoResponse"]["echoing"], str)
    assert replies["EchoResponse"]["echoing"].startswith("c0ffee")
    assert "Acknowledgement" in replies


@pytest.mark.parametrize(
    ("kind", "set_type", "get_type", "state_type", "effect"),
    [
        ("tile", "SetTileEffect", "GetTileEffect", "StateTileEffect", "MORPH"),
        ("multizone", "SetMultiZoneEffect", "GetMultiZoneEffect", "StateMultiZoneEffect", "OFF"),
    ],
)
async def test_effect_type_is_effect_type_in_the_action(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    fleet_reset: Fleet,
    kind: str,
    set_type: str,
    get_type: str,
    state_type: str,
    effect: str,
) -> None:
    """`type` names the message, so the effect's own `type` field is `effect_type`, both ways."""
    serial = fleet_reset.of_kind(kind)[0].serial
    response = await run(
        hass,
        serials=[serial],
        pipeline=[
            {"type": set_type, "effect_type": effect, "speed": 3, "res_required": False},
            get_type,
        ],
    )
    (state,) = [r for r in response["results"][serial] if r["type"] != "Acknowledgement"]
    assert state["type"] == state_type
    assert state["effect_type"] == effect
    assert "speed" in state and state["speed"] == pytest.approx(3)
