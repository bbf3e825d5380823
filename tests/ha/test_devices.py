"""Registry devices: the MAC connection core LIFX uses for the same bulb, and the docs link.

Core LIFX registers a bulb with the identifier ("lifx", "d0:73:d5:..") and the MAC connection
of the bulb, which is the serial plus one in the last byte from host firmware 3.70 on. With the
same connection, Home Assistant versions that merge devices by connection (2025.4) show one
device for both integrations; versions where a device belongs to one config entry keep two,
each with the connection.
"""

from __future__ import annotations

import pytest
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import WebSocketGenerator

from custom_components.lifx_script.const import DOMAIN
from custom_components.lifx_script.hub import DEVICE_DOCS_URL, device_mac
from tests.ha.conftest import fleet_entry
from tests.ha.helpers import broadcasts_for
from tests.support.fleet import Fleet

# From 2026.8 Home Assistant gives a device one config entry (`config_entry_id`) and no longer
# merges devices of different entries by connection.
MERGES_BY_CONNECTION = not hasattr(dr.DeviceEntry, "config_entry_id")


def mac_plus_one(serial: str) -> str:
    """The serial as a MAC with the last byte one higher (wrapping), as core LIFX writes it."""
    last = (int(serial[10:], 16) + 1) % 256
    return ":".join([*(serial[i : i + 2] for i in range(0, 10, 2)), f"{last:02x}"])


@pytest.mark.parametrize(
    ("serial", "firmware", "expected"),
    [
        ("d073d5000001", "3.70", "d0:73:d5:00:00:02"),
        ("d073d50000ff", "3.90", "d0:73:d5:00:00:00"),  # the last byte wraps, no carry
        ("d073d5123456", "4.1", "d0:73:d5:12:34:57"),
        ("d073d5000001", "3.9", "d0:73:d5:00:00:01"),  # 3.9 is before 3.70
        ("d073d5000001", "2.80", "d0:73:d5:00:00:01"),
        ("d073d5000001", None, None),  # firmware unknown: no guess
        ("d073d5000001", "beta", None),
        ("d073d50001", "3.70", None),
    ],
)
def test_device_mac(serial: str, firmware: str | None, expected: str | None) -> None:
    assert device_mac(serial, firmware) == expected


def our_devices(hass: HomeAssistant, entry: MockConfigEntry) -> dict[str, dr.DeviceEntry]:
    """The entry's registry devices by serial."""
    registry = dr.async_get(hass)
    return {
        serial: device
        for device in dr.async_entries_for_config_entry(registry, entry.entry_id)
        for domain, serial in device.identifiers
        if domain == DOMAIN
    }


async def test_devices_have_core_lifx_mac_and_docs_link(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, fleet: Fleet
) -> None:
    devices = our_devices(hass, loaded_entry)
    assert set(devices) == set(fleet.serials)
    for serial, device in devices.items():
        # fleet_entry stores firmware 3.70, as the emulator reports.
        assert device.connections == {(dr.CONNECTION_NETWORK_MAC, mac_plus_one(serial))}
        assert device.configuration_url == DEVICE_DOCS_URL


async def test_device_without_firmware_has_no_connection(
    hass: HomeAssistant, socket_enabled: None, fleet_reset: Fleet
) -> None:
    bulb = fleet_reset.devices[0]
    entry = fleet_entry(fleet_reset, [bulb.serial])
    entry.add_to_hass(hass)
    devices = entry.data["devices"]
    unknown = {serial: {**device, "firmware": None} for serial, device in devices.items()}
    hass.config_entries.async_update_entry(entry, data={"devices": unknown})
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    device = our_devices(hass, entry)[bulb.serial]
    assert device.connections == set()
    assert device.configuration_url == DEVICE_DOCS_URL
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_bulb_also_in_core_lifx(
    hass: HomeAssistant, socket_enabled: None, fleet_reset: Fleet
) -> None:
    """A bulb core LIFX registered first: one device where Home Assistant merges, else two."""
    bulb = fleet_reset.of_kind("color")[0]
    core_entry = MockConfigEntry(domain="lifx", title=bulb.label)
    core_entry.add_to_hass(hass)
    registry = dr.async_get(hass)
    core_device = registry.async_get_or_create(
        config_entry_id=core_entry.entry_id,
        identifiers={("lifx", dr.format_mac(bulb.serial))},
        connections={(dr.CONNECTION_NETWORK_MAC, mac_plus_one(bulb.serial))},
        manufacturer="LIFX",
        name=bulb.label,
    )
    entry = fleet_entry(fleet_reset, [bulb.serial])
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()

    ours = our_devices(hass, entry)[bulb.serial]
    assert (dr.CONNECTION_NETWORK_MAC, mac_plus_one(bulb.serial)) in ours.connections
    if MERGES_BY_CONNECTION:
        assert ours.id == core_device.id
        assert ours.config_entries == {core_entry.entry_id, entry.entry_id}
        assert ours.identifiers == {("lifx", dr.format_mac(bulb.serial)), (DOMAIN, bulb.serial)}
        assert len(registry.devices) == 1
    else:
        assert ours.id != core_device.id
        assert len(registry.devices) == 2
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_bulbs_that_may_share_a_mac_get_no_connection(
    hass: HomeAssistant, socket_enabled: None, fleet_reset: Fleet
) -> None:
    """Serials one apart, the lower on 3.70 (MAC = serial + 1), the upper before 3.70 (MAC =
    serial): the same MAC. Registering it would merge the two bulbs into one device."""
    lower, upper = fleet_reset.devices[0], fleet_reset.devices[1]
    assert int(upper.serial, 16) == int(lower.serial, 16) + 1
    bystander = fleet_reset.devices[3]
    entry = fleet_entry(fleet_reset, [lower.serial, upper.serial, bystander.serial])
    entry.add_to_hass(hass)
    devices = dict(entry.data["devices"])
    devices[upper.serial] = {**devices[upper.serial], "firmware": "3.50"}
    hass.config_entries.async_update_entry(entry, data={"devices": devices})
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()

    ours = our_devices(hass, entry)
    assert set(ours) == {lower.serial, upper.serial, bystander.serial}
    assert len({device.id for device in ours.values()}) == 3
    assert ours[lower.serial].connections == set()
    assert ours[upper.serial].connections == set()
    assert ours[bystander.serial].connections == {
        (dr.CONNECTION_NETWORK_MAC, mac_plus_one(bystander.serial))
    }
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_core_lifx_device_of_another_bulb_with_the_same_mac(
    hass: HomeAssistant, socket_enabled: None, fleet_reset: Fleet
) -> None:
    """Core LIFX has the next bulb (before 3.70: MAC = its serial); ours must not join it.

    Where the registry merges entries by connection, ours gets no connection; elsewhere the
    connection cannot merge and stays."""
    bulb = fleet_reset.devices[0]
    next_serial = f"{int(bulb.serial, 16) + 1:012x}"
    core_entry = MockConfigEntry(domain="lifx", title="next bulb")
    core_entry.add_to_hass(hass)
    registry = dr.async_get(hass)
    core_device = registry.async_get_or_create(
        config_entry_id=core_entry.entry_id,
        identifiers={("lifx", dr.format_mac(next_serial))},
        connections={(dr.CONNECTION_NETWORK_MAC, dr.format_mac(next_serial))},
    )
    entry = fleet_entry(fleet_reset, [bulb.serial])
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()

    ours = our_devices(hass, entry)[bulb.serial]
    assert ours.id != core_device.id
    if MERGES_BY_CONNECTION:
        assert ours.connections == set()
    core_after = registry.async_get(core_device.id)
    assert core_after is not None
    assert core_after.identifiers == {("lifx", dr.format_mac(next_serial))}
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_join_devices_registered_apart(
    hass: HomeAssistant,
    socket_enabled: None,
    fleet_reset: Fleet,
    hass_ws_client: WebSocketGenerator,
) -> None:
    """The README's way to join two devices registered before the MAC connection existed:
    delete the LIFX Script device, then discover. One device where Home Assistant merges."""
    assert await async_setup_component(hass, "config", {})
    bulb = fleet_reset.of_kind("color")[0]
    registry = dr.async_get(hass)
    core_entry = MockConfigEntry(domain="lifx", title=bulb.label)
    core_entry.add_to_hass(hass)
    core_device = registry.async_get_or_create(
        config_entry_id=core_entry.entry_id,
        identifiers={("lifx", dr.format_mac(bulb.serial))},
        connections={(dr.CONNECTION_NETWORK_MAC, mac_plus_one(bulb.serial))},
    )
    entry = fleet_entry(
        fleet_reset, [bulb.serial], broadcast_addresses=[broadcasts_for(fleet_reset, [bulb.serial])]
    )
    entry.add_to_hass(hass)
    old_device = registry.async_get_or_create(  # as an earlier version registered it
        config_entry_id=entry.entry_id, identifiers={(DOMAIN, bulb.serial)}
    )
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert our_devices(hass, entry)[bulb.serial].id == old_device.id != core_device.id
    if MERGES_BY_CONNECTION:  # two devices with one connection would confuse lookups by it
        kept = registry.async_get(old_device.id)
        assert kept is not None and kept.connections == set()

    client = await hass_ws_client(hass)
    await client.send_json_auto_id(
        {
            "type": "config/device_registry/remove_config_entry",
            "config_entry_id": entry.entry_id,
            "device_id": old_device.id,
        }
    )
    assert (await client.receive_json())["success"]
    found = await hass.services.async_call(
        DOMAIN, "discover", {}, blocking=True, return_response=True
    )
    assert found is not None and bulb.serial in found["devices"]
    await hass.async_block_till_done()

    ours = our_devices(hass, entry)[bulb.serial]
    if MERGES_BY_CONNECTION:
        assert ours.id == core_device.id
        assert ours.identifiers == {("lifx", dr.format_mac(bulb.serial)), (DOMAIN, bulb.serial)}
    else:
        assert ours.id != core_device.id
    assert await hass.config_entries.async_unload(entry.entry_id)
