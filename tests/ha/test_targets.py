"""lifx_script.run aimed the Home Assistant way: areas, floors, labels, devices, entities.

Real UDP to the emulated fleet: each call must reach exactly the bulbs the target names. The
core LIFX integration cannot run here (it discovers by broadcast), so its devices and lights
are registered the way it registers them: a device identified by (lifx, serial as a MAC), with
the MAC connection, and a `light` entity of platform `lifx` on it.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import area_registry as ar
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers import floor_registry as fr
from homeassistant.helpers import label_registry as lr
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.lifx_script.const import DOMAIN
from custom_components.lifx_script.hub import device_mac
from custom_components.lifx_script.targets import resolve_serials
from tests.support.fleet import Fleet


def our_device(hass: HomeAssistant, serial: str) -> dr.DeviceEntry:
    """This integration's device of a serial (by a lookup every tested version has)."""
    (entry,) = hass.config_entries.async_entries(DOMAIN)
    devices = dr.async_entries_for_config_entry(dr.async_get(hass), entry.entry_id)
    device = next((d for d in devices if (DOMAIN, serial) in d.identifiers), None)
    assert device is not None
    return device


def as_mac(serial: str) -> str:
    return ":".join(serial[i : i + 2] for i in range(0, 12, 2))


def core_lifx_light(hass: HomeAssistant, serial: str, name: str) -> tuple[str, str]:
    """A device and light as the core LIFX integration registers them: (device id, entity id)."""
    entry = MockConfigEntry(domain="lifx", unique_id=serial, title=name)
    entry.add_to_hass(hass)
    device = dr.async_get(hass).async_get_or_create(
        config_entry_id=entry.entry_id,
        identifiers={("lifx", as_mac(serial))},
        # core LIFX's MAC: the serial + 1 on the fleet's firmware (3.70), as hub.device_mac says
        connections={(dr.CONNECTION_NETWORK_MAC, device_mac(serial, "3.70") or "")},
        manufacturer="LIFX",
        name=name,
    )
    entity = er.async_get(hass).async_get_or_create(
        "light",
        "lifx",
        serial,
        config_entry=entry,
        device_id=device.id,
        suggested_object_id=name.lower().replace(" ", "_"),
    )
    return device.id, entity.entity_id


def other_device(hass: HomeAssistant, name: str) -> tuple[str, str]:
    """A device and light of another integration: (device id, entity id)."""
    entry = MockConfigEntry(domain="hue", title=name)
    entry.add_to_hass(hass)
    device = dr.async_get(hass).async_get_or_create(
        config_entry_id=entry.entry_id, identifiers={("hue", name)}, name=name
    )
    entity = er.async_get(hass).async_get_or_create(
        "light", "hue", name, config_entry=entry, device_id=device.id
    )
    return device.id, entity.entity_id


async def run(hass: HomeAssistant, **data: Any) -> dict[str, Any]:
    response = await hass.services.async_call(
        DOMAIN, "run", {"messages": ["GetPower"], **data}, blocking=True, return_response=True
    )
    assert isinstance(response, dict)
    assert response["errors"] == {}
    return response


def answered(response: dict[str, Any]) -> set[str]:
    return {serial for serial, replies in response["results"].items() if replies}


async def test_area_reaches_exactly_its_bulbs(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, fleet_reset: Fleet
) -> None:
    """An area with two emulated bulbs (and a device of another brand): those two answer."""
    first, second, third = fleet_reset.of_kind("color")
    area = ar.async_get(hass).async_create("Living room")
    registry = dr.async_get(hass)
    for bulb in (first, second):
        registry.async_update_device(our_device(hass, bulb.serial).id, area_id=area.id)
    hue_device, _ = other_device(hass, "Hue lamp")
    registry.async_update_device(hue_device, area_id=area.id)
    response = await run(hass, area_id=area.id)
    assert set(response["results"]) == {first.serial, second.serial}
    assert answered(response) == {first.serial, second.serial}
    assert fleet_reset.received(third.serial) == 0


async def test_core_lifx_light_entity(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, fleet_reset: Fleet
) -> None:
    """light.<a core LIFX light> reaches its bulb (the serial is in the device identifier)."""
    bulb, other = fleet_reset.of_kind("color")[:2]
    device_id, entity_id = core_lifx_light(hass, bulb.serial, "Kitchen")
    assert entity_id == "light.kitchen"
    response = await run(hass, entity_id=entity_id)
    assert answered(response) == {bulb.serial}
    assert fleet_reset.received(other.serial) == 0
    # the core LIFX device itself, by device_id in the target
    response = await run(hass, device_id=[device_id])
    assert answered(response) == {bulb.serial}


async def test_floor_and_label(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, fleet_reset: Fleet
) -> None:
    """A floor reaches the bulbs of its areas; a label the labelled devices and entities."""
    first, second, third = fleet_reset.of_kind("color")
    strip = fleet_reset.of_kind("multizone")[0]
    floor = fr.async_get(hass).async_create("Upstairs")
    bedroom = ar.async_get(hass).async_create("Bedroom", floor_id=floor.floor_id)
    registry = dr.async_get(hass)
    registry.async_update_device(our_device(hass, first.serial).id, area_id=bedroom.id)
    _, entity_id = core_lifx_light(hass, second.serial, "Desk")
    # an entity in an area of its own (HA 2026.10+ asks that such an entity has its own name)
    er.async_get(hass).async_update_entity(entity_id, area_id=bedroom.id, name="Desk lamp")
    response = await run(hass, floor_id=floor.floor_id)
    assert answered(response) == {first.serial, second.serial}

    label = lr.async_get(hass).async_create("Evening")
    registry.async_update_device(our_device(hass, strip.serial).id, labels={label.label_id})
    er.async_get(hass).async_update_entity(entity_id, labels={label.label_id})
    response = await run(hass, label_id=label.label_id)
    assert answered(response) == {strip.serial, second.serial}
    assert fleet_reset.received(third.serial) == 0


async def test_targets_and_serials_together_each_once(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, fleet_reset: Fleet
) -> None:
    """A bulb named by area, device_id, entity and serial at once gets each message once."""
    bulb = fleet_reset.of_kind("color")[0]
    area = ar.async_get(hass).async_create("Hall")
    ours = our_device(hass, bulb.serial)
    dr.async_get(hass).async_update_device(ours.id, area_id=area.id)
    _, entity_id = core_lifx_light(hass, bulb.serial, "Hall light")
    response = await run(
        hass,
        area_id=area.id,
        device_id=ours.id,
        entity_id=entity_id,
        serials=[bulb.serial.upper()],
    )
    assert list(response["results"]) == [bulb.serial]
    assert response["stats"]["messages"] == 1
    assert fleet_reset.received(bulb.serial) == 1


REFUSED: list[tuple[str, str]] = [
    ("not_lifx_entity", "entity"),
    ("unknown_device", "device"),
    ("no_lifx_in_area", "area"),
    ("unknown_area", "missing_area"),
    ("unknown_floor", "missing_floor"),
    ("unknown_label", "missing_label"),
    ("no_lifx_with_label", "empty_label"),
    ("not_lifx_entity", "core_lifx_sensor"),
]


@pytest.mark.parametrize(("key", "case"), REFUSED, ids=[case for _, case in REFUSED])
async def test_what_is_not_lifx_is_named_and_nothing_sent(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, fleet_reset: Fleet, key: str, case: str
) -> None:
    """Named explicitly and not LIFX, or a place with no LIFX device: refused, naming it.

    The call also names a real bulb: nothing at all is sent, not even to it.
    """
    bulb = fleet_reset.of_kind("color")[0]
    hue_device, hue_entity = other_device(hass, "Hue lamp")
    lonely = ar.async_get(hass).async_create("Garage")
    dr.async_get(hass).async_update_device(hue_device, area_id=lonely.id)
    empty = lr.async_get(hass).async_create("Unused")
    core_device, _ = core_lifx_light(hass, fleet_reset.of_kind("color")[1].serial, "Porch")
    sensor = er.async_get(hass).async_get_or_create("sensor", "lifx", "rssi", device_id=core_device)
    target: dict[str, Any] = {
        "entity": {"entity_id": hue_entity},
        "device": {"device_id": hue_device},
        "area": {"area_id": lonely.id},
        "missing_area": {"area_id": "nowhere"},
        "missing_floor": {"floor_id": "nowhere"},
        "missing_label": {"label_id": "nowhere"},
        "empty_label": {"label_id": empty.label_id},
        "core_lifx_sensor": {"entity_id": sensor.entity_id},
    }[case]
    with pytest.raises(ServiceValidationError) as caught:
        await hass.services.async_call(
            DOMAIN,
            "run",
            {"serials": [bulb.serial], "messages": ["GetPower"], **target},
            blocking=True,
        )
    assert caught.value.translation_key == key
    named = next(iter(target.values()))
    assert named in str(caught.value)
    await asyncio.sleep(0.05)
    assert fleet_reset.received() == 0


async def test_resolve_serials_is_the_shared_entry_point(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, fleet_reset: Fleet
) -> None:
    """Other actions call resolve_serials(hass, data) with raw call data (no schema first)."""
    bulb = fleet_reset.of_kind("color")[0]
    ours = our_device(hass, bulb.serial)
    assert resolve_serials(hass, {"device_id": ours.id}) == [bulb.serial]
    assert resolve_serials(hass, {"serials": "D0:73:D5:00:00:01"}) == ["d073d5000001"]
    with pytest.raises(ServiceValidationError) as caught:
        resolve_serials(hass, {"serials": [bulb.serial, 7]})
    assert caught.value.translation_placeholders == {
        "field": "serials.1",
        "value": "7",
        "reason": "expected text",
    }
