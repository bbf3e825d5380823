"""lifx_script.run at its edges: call limits, serial checks, words, REST-ready errors, admins.

Real UDP to the emulated fleet; every refused call leaves the bulbs with 0 packets.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from aiohttp import web
from homeassistant.auth.models import User
from homeassistant.core import Context, HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError, Unauthorized
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.lifx_script.const import (
    DOMAIN,
    MAX_MESSAGES_PER_CALL,
    MAX_SENDS_PER_CALL,
    MAX_SERIALS_PER_CALL,
)
from tests.support.fleet import Fleet


async def refused(hass: HomeAssistant, data: Any) -> ServiceValidationError:
    with pytest.raises(ServiceValidationError) as caught:
        await hass.services.async_call(DOMAIN, "run", data, blocking=True)
    return caught.value


def fake_serials(count: int) -> list[str]:
    return [f"d073d5f{index:05x}" for index in range(count)]


async def assert_nothing_sent(fleet: Fleet) -> None:
    await asyncio.sleep(0.05)
    assert fleet.received() == 0


async def test_largest_allowed_message_count_runs(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, fleet_reset: Fleet
) -> None:
    """MAX_MESSAGES_PER_CALL messages to one bulb: all answered."""
    bulb = fleet_reset.of_kind("color")[0]
    response = await hass.services.async_call(
        DOMAIN,
        "run",
        {"serials": [bulb.serial], "messages": ["GetPower"] * MAX_MESSAGES_PER_CALL},
        blocking=True,
        return_response=True,
    )
    assert isinstance(response, dict)
    assert response["stats"]["replies"] == MAX_MESSAGES_PER_CALL


@pytest.mark.parametrize(
    ("key", "data", "placeholders"),
    [
        (
            "too_many_messages",
            {"messages": ["GetPower"] * (MAX_MESSAGES_PER_CALL + 1)},
            {"limit": str(MAX_MESSAGES_PER_CALL)},
        ),
        (
            # nested lists count too
            "too_many_messages",
            {"pipeline": [["GetPower"] * 300, ["GetColor"] * 300]},
            {"limit": str(MAX_MESSAGES_PER_CALL)},
        ),
        (
            "too_many_serials",
            {"messages": ["GetPower"], "serials": fake_serials(MAX_SERIALS_PER_CALL + 1)},
            {"count": str(MAX_SERIALS_PER_CALL + 1), "limit": str(MAX_SERIALS_PER_CALL)},
        ),
        (
            "too_many_sends",
            {
                "messages": ["GetPower"] * (MAX_SENDS_PER_CALL // 200 + 1),
                "serials": fake_serials(200),
            },
            {"devices": "200", "limit": str(MAX_SENDS_PER_CALL)},
        ),
    ],
    ids=["messages", "nested", "serials", "sends"],
)
async def test_over_a_limit_is_refused_naming_it(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    fleet_reset: Fleet,
    key: str,
    data: dict[str, Any],
    placeholders: dict[str, str],
) -> None:
    data = {"serials": [fleet_reset.serials[0]], **data}
    error = await refused(hass, data)
    assert error.translation_key == key
    for name, value in placeholders.items():
        assert error.translation_placeholders[name] == value
    assert "at most" in str(error)
    await assert_nothing_sent(fleet_reset)


@pytest.mark.parametrize(
    ("data", "key", "field", "value"),
    [
        ({"serials": ["000000000000"]}, "zero_serial", None, '"000000000000"'),
        ({"serials": ["00:00:00:00:00:00"]}, "zero_serial", None, '"00:00:00:00:00:00"'),
        ({"serials": {"a": 1}}, "invalid_action_data", "serials", '{"a": 1}'),
        ({"serials": [None]}, "invalid_action_data", "serials.0", "null"),
        ({"serials": 5}, "invalid_action_data", "serials", "5"),
    ],
    ids=["zero", "zero-mac", "mapping", "null", "number"],
)
async def test_bad_serials_in_the_actions_words(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    fleet_reset: Fleet,
    data: dict[str, Any],
    key: str,
    field: str | None,
    value: str,
) -> None:
    """The zero serial and malformed serials: refused, showing the real offending value."""
    error = await refused(hass, {"messages": ["GetPower"], **data})
    assert error.translation_key == key
    assert error.translation_placeholders["value"] == value
    if field is not None:
        assert error.translation_placeholders["field"] == field
    assert value in str(error)
    await assert_nothing_sent(fleet_reset)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"messages": ["SetColour"]}, "did you mean SetColor?"),
        ({"messages": ["getpowr"]}, "did you mean GetPower?"),
        (
            {"messages": [{"type": "SetColor", "heu": 1, "saturation": 1, "brightness": 1}]},
            "did you mean hue?",
        ),
        ({"messages": ["GetPower"], "serial": ["d073d5000000"]}, "did you mean serials?"),
    ],
    ids=["message", "message-case", "field", "action-field"],
)
async def test_misspelt_names_get_a_suggestion(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    fleet_reset: Fleet,
    data: dict[str, Any],
    expected: str,
) -> None:
    error = await refused(hass, {"serials": [fleet_reset.serials[0]], **data})
    assert expected in str(error)
    await assert_nothing_sent(fleet_reset)


async def test_out_of_range_in_the_users_units(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, fleet_reset: Fleet
) -> None:
    """saturation 50 (a percentage typed by habit) is out of 0 to 1; no wire value shown."""
    bad = {"type": "SetColor", "hue": 1, "saturation": 50, "brightness": 1, "kelvin": 3500}
    error = await refused(hass, {"serials": [fleet_reset.serials[0]], "messages": [bad]})
    assert error.translation_placeholders["field"] == "saturation"
    assert error.translation_placeholders["reason"] == "must be from 0 to 1"
    assert "wire" not in str(error)
    assert "3276750" not in str(error)


async def test_device_errors_are_plural_correct_and_name_each_serial_once(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, fleet_reset: Fleet
) -> None:
    """Two unknown serials, two messages each: "2 devices failed", each serial once."""
    missing = ["d073d5abcd01", "d073d5abcd02"]
    with pytest.raises(HomeAssistantError) as caught:
        await hass.services.async_call(
            DOMAIN,
            "run",
            {"serials": missing, "messages": ["GetPower", "GetLabel"], "timeout": 0.3},
            blocking=True,
        )
    message = str(caught.value)
    assert caught.value.translation_key == "device_errors"
    assert message == f"2 devices failed: {missing[0]}: not found; {missing[1]}: not found"
    with pytest.raises(HomeAssistantError) as caught:
        await hass.services.async_call(
            DOMAIN,
            "run",
            {"serials": missing[:1], "messages": ["GetPower"], "timeout": 0.3},
            blocking=True,
        )
    assert str(caught.value) == f"A device failed: {missing[0]}: not found"
    assert "raise_on_error" not in str(caught.value)  # no reply arrived: nothing to get back


async def test_call_data_must_be_a_mapping(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    """A REST body such as [1, 2] reaches the action's schema: refused in its words."""
    for service in ("run", "discover"):
        with pytest.raises(ServiceValidationError) as caught:
            await hass.services.async_call(DOMAIN, service, [1, 2], blocking=True)  # type: ignore[arg-type]
        assert caught.value.translation_key == "call_data_not_mapping"
        assert "[1, 2]" in str(caught.value)


async def test_refused_call_is_an_http_400_with_the_message(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, fleet_reset: Fleet
) -> None:
    """Over REST the same error is the answer: HTTP 400, {"message": <the translated text>}."""
    error = await refused(hass, {"serials": ["000000000000"], "messages": ["GetPower"]})
    assert isinstance(error, web.HTTPBadRequest)
    assert error.status == 400
    assert error.content_type == "application/json"
    assert error.text is not None
    assert json.loads(error.text) == {"message": str(error)}
    assert "000000000000" in str(error)


async def test_discover_is_for_administrators(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    hass_admin_user: User,
    hass_read_only_user: User,
) -> None:
    """discover changes the config entry: a non-admin user is refused; run stays open."""
    with pytest.raises(Unauthorized):
        await hass.services.async_call(
            DOMAIN,
            "discover",
            {},
            blocking=True,
            context=Context(user_id=hass_read_only_user.id),
        )
    response = await hass.services.async_call(
        DOMAIN,
        "discover",
        {},
        blocking=True,
        return_response=True,
        context=Context(user_id=hass_admin_user.id),
    )
    assert isinstance(response, dict)
    # an automation (no user) may discover too
    await hass.services.async_call(DOMAIN, "discover", {}, blocking=True)
    # run is for every user, like light.turn_on
    response = await hass.services.async_call(
        DOMAIN,
        "run",
        {"serials": ["d073d5000000"], "messages": ["GetPower"]},
        blocking=True,
        return_response=True,
        context=Context(user_id=hass_read_only_user.id),
    )
    assert isinstance(response, dict)
    assert response["stats"]["replies"] == 1


@pytest.mark.parametrize(
    ("message", "field", "reason_part"),
    [
        # a label longer than the field's 32 bytes is refused, not cut and sent
        ({"type": "SetLabel", "label": "x" * 33}, "label", "32"),
        ({"type": "SetLabel", "label": "é" * 17}, "label", "32"),
        # a waveform the protocol does not define is refused, not sent as a number
        (
            {
                "type": "SetWaveform",
                "waveform": 99,
                "hue": 0,
                "saturation": 0,
                "brightness": 1,
                "kelvin": 3500,
                "period": 1,
                "cycles": 1,
            },
            "waveform",
            "",
        ),
    ],
)
async def test_field_outside_its_type_is_refused_and_nothing_sent(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    fleet_reset: Fleet,
    message: dict[str, Any],
    field: str,
    reason_part: str,
) -> None:
    bulb = fleet_reset.of_kind("color")[0]
    error = await refused(hass, {"serials": [bulb.serial], "messages": [message]})
    assert error.translation_key == "invalid_message_field"
    placeholders = error.translation_placeholders or {}
    assert placeholders["field"] == field
    assert reason_part in placeholders["reason"]
    # the offending value is shown, shortened, never the whole 10 MB a caller may send
    assert len(placeholders["value"]) <= 100
    await assert_nothing_sent(fleet_reset)
