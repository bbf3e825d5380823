"""lifx_script.transform and lifx_script.query in-process: real UDP to the emulated fleet."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import device_registry as dr
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.lifx_script.const import DOMAIN
from tests.support.fleet import Fleet


async def call(hass: HomeAssistant, action: str, **data: Any) -> dict[str, Any]:
    response = await hass.services.async_call(
        DOMAIN, action, data, blocking=True, return_response=True
    )
    assert isinstance(response, dict)
    json.dumps(response)  # response_variable and templates need JSON
    return response


def device_id(hass: HomeAssistant, serial: str) -> str:
    """By the entry's devices: async_get_device raises from tests on Home Assistant 2026.10."""
    registry = dr.async_get(hass)
    for entry in hass.config_entries.async_entries(DOMAIN):
        for device in dr.async_entries_for_config_entry(registry, entry.entry_id):
            if (DOMAIN, serial) in device.identifiers:
                return device.id
    raise AssertionError(f"no device for {serial}")


async def test_query_summary_and_every_plan(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, fleet_reset: Fleet
) -> None:
    fleet = fleet_reset
    bulb = fleet.of_kind("color")[0].serial
    strip = next(d.serial for d in fleet.of_kind("multizone") if d.serial != bulb)
    response = await call(hass, "query", device_id=[device_id(hass, bulb)], serials=[strip])
    assert response["errors"] == {}
    assert set(response["results"][bulb]) == {"label", "power", "color", "capability"}
    assert response["results"][bulb]["label"] == fleet.by_serial(bulb).label
    assert response["stats"]["answered"] == 2
    everything = await call(
        hass,
        "query",
        serials=[d.serial for d in fleet.devices],
        plans=["power", "zones", "chain", "colors", "hev", "infrared", "wifi", "group"],
    )
    assert everything["errors"] == {}
    results = everything["results"]
    assert len(results) == len(fleet.devices)
    for device in fleet.devices:
        info = results[device.serial]
        if device.kind == "multizone":
            zones = fleet.state(device.serial)["zone_colors"]
            assert len(info["zones"]) == len(zones)
            assert info["colors"] == [info["zones"]]
        else:
            assert info["zones"] == "unsupported"
        if device.kind == "tile":
            assert len(info["chain"]) == 5 and [len(f) for f in info["colors"]] == [64] * 5
        if device.kind == "switch":
            assert info["colors"] == "unsupported"
        assert (info["hev"] == "unsupported") == (device.kind != "hev")
        assert (info["infrared"] == "unsupported") == (device.kind != "infrared")


async def test_query_reports_a_missing_device_without_failing_the_others(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, fleet_reset: Fleet
) -> None:
    bulb = fleet_reset.of_kind("color")[0].serial
    response = await call(
        hass, "query", serials=[bulb, "d073d5fffff0"], plans=["power"], timeout=0.5
    )
    assert list(response["results"]) == [bulb]
    assert list(response["errors"]) == ["d073d5fffff0"]
    assert response["errors"]["d073d5fffff0"][0]["error"] == "not_found"
    with pytest.raises(HomeAssistantError):
        await call(
            hass,
            "query",
            serials=[bulb, "d073d5fffff0"],
            plans=["power"],
            timeout=0.5,
            raise_on_error=True,
        )


async def test_transform_turns_on_at_a_new_colour_and_reports_it(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, fleet_reset: Fleet
) -> None:
    fleet = fleet_reset
    bulb = fleet.of_kind("color")[2].serial
    await call(hass, "transform", serials=[bulb], power=False)  # YAML's unquoted off
    assert fleet.state(bulb)["power_level"] == 0
    response = await call(
        hass, "transform", serials=[bulb], power="on", color="red saturation:0.5", brightness=0.4
    )
    assert response["errors"] == {}
    sent = response["results"][bulb]["sent"]
    assert [m["type"] for m in sent] == ["SetColor", "SetPower", "SetColor"]
    assert sent[0]["brightness"] == 0 and sent[2]["brightness"] == 0.4
    state = response["results"][bulb]["state"]
    assert state["power"]["on"] is True
    assert state["color"]["hue"] == 0 and state["color"]["saturation"] == 0.5
    assert state["color"]["brightness"] == pytest.approx(0.4, abs=0.001)
    # toggle: off, and back on (no response asked: nothing returned, nothing read back)
    fleet.reset()
    assert (
        await hass.services.async_call(
            DOMAIN, "transform", {"serials": [bulb], "power": "toggle"}, blocking=True
        )
        is None
    )
    assert fleet.state(bulb)["power_level"] == 0
    assert fleet.stats()["stats"][bulb]["by_type"] == {"20": 1, "21": 1}
    await call(hass, "transform", serials=[bulb], power="toggle", keep_brightness=True)
    assert fleet.state(bulb)["power_level"] == 65535


@pytest.mark.parametrize(
    ("action", "data", "key"),
    [
        ("transform", {"power": "sideways"}, "invalid_action_data"),
        ("transform", {"brightness": 1.5}, "invalid_action_data"),
        ("transform", {"kelvin": 100}, "invalid_action_data"),
        ("transform", {"color": "reddish"}, "invalid_transform"),
        ("transform", {"color": "hue:400"}, "invalid_transform"),
        ("transform", {"brightness": 0.5, "keep_brightness": True}, "invalid_transform"),
        ("transform", {"duration": 2}, "invalid_transform"),
        ("query", {"plans": ["power", "moon_phase"]}, "invalid_action_data"),
        ("query", {"plans": []}, "invalid_action_data"),
    ],
)
async def test_bad_calls_are_refused_before_sending(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    fleet_reset: Fleet,
    action: str,
    data: dict[str, Any],
    key: str,
) -> None:
    bulb = fleet_reset.of_kind("color")[0].serial
    with pytest.raises(ServiceValidationError) as caught:
        await hass.services.async_call(
            DOMAIN, action, {"serials": [bulb], **data}, blocking=True, return_response=True
        )
    assert caught.value.translation_key == key
    assert "{" not in str(caught.value)  # the translated text has its placeholders filled
    await asyncio.sleep(0.05)
    assert fleet_reset.received() == 0


async def test_no_target_is_refused(hass: HomeAssistant, loaded_entry: MockConfigEntry) -> None:
    with pytest.raises(ServiceValidationError) as caught:
        await hass.services.async_call(DOMAIN, "query", {}, blocking=True, return_response=True)
    assert caught.value.translation_key == "no_target"


async def test_query_without_a_response_needs_notify(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, fleet_reset: Fleet
) -> None:
    bulb = fleet_reset.of_kind("color")[0].serial
    with pytest.raises(ServiceValidationError) as caught:
        await hass.services.async_call(DOMAIN, "query", {"serials": [bulb]}, blocking=True)
    assert caught.value.translation_key == "query_needs_response"
    assert fleet_reset.received() == 0
    answer = await hass.services.async_call(
        DOMAIN,
        "query",
        {"serials": [bulb], "plans": ["label", "power"], "notify": True},
        blocking=True,
    )
    assert answer is None
    notifications = hass.data["persistent_notification"]
    note = notifications[f"{DOMAIN}_query"]
    assert bulb in note["message"] and fleet_reset.by_serial(bulb).label in note["message"]


def test_dashboard_buttons_for_both_actions_are_valid_calls() -> None:
    """The demo's transform and query buttons pass the actions' own validation."""
    from pathlib import Path

    import yaml

    from custom_components.lifx_script.control_actions import QUERY_SCHEMA, TRANSFORM_SCHEMA
    from custom_components.lifx_script.engine.control import TransformState

    path = Path(__file__).resolve().parents[2] / "config" / "dashboards" / "lifx_script.yaml"
    found: dict[str, dict[str, Any]] = {}

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            action = node.get("perform_action")
            if action in ("lifx_script.transform", "lifx_script.query"):
                found[action] = node["data"]
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(yaml.safe_load(path.read_text()))
    assert set(found) == {"lifx_script.transform", "lifx_script.query"}
    transform = TRANSFORM_SCHEMA(found["lifx_script.transform"])
    state = {k: transform[k] for k in ("power", "color", "brightness", "duration")}
    assert TransformState.parse(state).power == "on"
    assert QUERY_SCHEMA(found["lifx_script.query"])["notify"] is True
