"""A forger on the LAN cannot steer discovery: nothing it says reaches the device registry.

The forger is a UDP socket on another port of 127.0.0.1 or on 127.0.0.2. While the discover
action runs it sweeps every sequence with the session's source: StateService claims that a
known bulb moved to it and that a bulb that does not exist lives there, and StateLabel
answers renaming both.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator

import pytest
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.lifx_script.const import DOMAIN
from custom_components.lifx_script.engine import DeviceMessages, DiscoveryMessages
from custom_components.lifx_script.engine.codec import serial_to_target
from tests.ha.conftest import fleet_entry
from tests.ha.helpers import registry_device
from tests.support.fleet import Fleet

INVENTED = "d073d5abcdef"


@pytest.fixture(params=["127.0.0.1", "127.0.0.2"], ids=["other-port", "other-ip"])
def forger(request: pytest.FixtureRequest, socket_enabled: None) -> Iterator[socket.socket]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind((request.param, 0))
    sock.setblocking(False)
    yield sock
    sock.close()


async def test_a_forged_discovery_changes_nothing_in_the_registry(
    hass: HomeAssistant,
    fleet_reset: Fleet,
    forger: socket.socket,
    hass_client: ClientSessionGenerator,
) -> None:
    fleet = fleet_reset
    known, other = fleet.devices[0], fleet.devices[1]
    addresses = [f"{d.ip}:{d.port}" for d in (known, other)]
    entry = fleet_entry(fleet, [known.serial], broadcast_addresses=addresses)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    hub = entry.runtime_data
    sender = hub.sender
    to = ("127.0.0.1", sender.link.endpoint.local_address[1])
    forger_port = forger.getsockname()[1]
    forged = [
        (DiscoveryMessages.StateService(service=1, port=forger_port), known.serial),
        (DiscoveryMessages.StateService(service=1, port=forger_port), INVENTED),
        (DeviceMessages.StateLabel(label="pwned"), known.serial),
        (DeviceMessages.StateLabel(label="pwned"), INVENTED),
        (DeviceMessages.StateLabel(label="pwned"), other.serial),
    ]

    discovery = hass.async_create_task(
        hass.services.async_call(DOMAIN, "discover", {}, blocking=True, return_response=True)
    )
    while not discovery.done():
        for pkt, serial in forged:
            for sequence in range(256):
                forger.sendto(pkt.pack_for(serial_to_target(serial), sender.source, sequence), to)
        await asyncio.sleep(0.02)
    response = await discovery

    assert sorted(response["devices"]) == sorted([known.serial, other.serial])
    assert INVENTED not in entry.data["devices"]
    assert registry_device(hass, INVENTED) is None
    stored = entry.data["devices"]
    assert (stored[known.serial]["ip"], stored[known.serial]["port"]) == known.addr
    assert (stored[other.serial]["ip"], stored[other.serial]["port"]) == other.addr
    for device in (known, other):
        assert stored[device.serial]["label"] == device.label
        entry_device = registry_device(hass, device.serial)
        assert entry_device is not None and entry_device.name == device.label
    assert sender.found[known.serial] == known.addr
    assert INVENTED not in sender.found
    # (forged labels hit a describe request only when its sequence is in flight at that
    # moment: counted in replies_from_wrong_address then; tests/engine covers the count)
    assert hub.engine_stats()["unconfirmed_devices"] >= 1
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)
    engine = diagnostics["hub"]["engine"]
    assert engine["unconfirmed_devices"] == hub.engine_stats()["unconfirmed_devices"]
    assert "replies_from_wrong_address" in engine
    assert await hass.config_entries.async_unload(entry.entry_id)
