"""Setup, unload, the device registry, background discovery, the discover action, diagnostics."""

from __future__ import annotations

import asyncio
import json
import socket
import time
from datetime import timedelta
from unittest.mock import patch

import pytest
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import device_registry as dr
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator, WebSocketGenerator

from custom_components.lifx_script.const import DOMAIN
from tests.ha.conftest import fleet_entry
from tests.ha.helpers import (
    SlowBulbs,
    action_texts,
    broadcasts_for,
    dead_port,
    fleet_devices,
    make_options,
    registry_device,
)
from tests.support.fleet import Fleet


async def test_integration_sets_up(hass: HomeAssistant) -> None:
    """async_setup registers both actions, with no entry at all."""
    assert await async_setup_component(hass, DOMAIN, {})
    await hass.async_block_till_done()
    assert DOMAIN in hass.config.components
    assert hass.services.has_service(DOMAIN, "run")
    assert hass.services.has_service(DOMAIN, "discover")


async def test_registry_devices(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, fleet: Fleet
) -> None:
    """One registry device per known bulb: label, LIFX, product name, firmware."""
    registry = dr.async_get(hass)
    devices = dr.async_entries_for_config_entry(registry, loaded_entry.entry_id)
    assert len(devices) == len(fleet.devices)
    for emulated in fleet.devices:
        device = registry_device(hass, emulated.serial)
        assert device is not None
        assert device.name == emulated.label
        assert device.manufacturer == "LIFX"
        assert device.model and device.model.startswith("LIFX")
        assert device.model_id == str(emulated.product_id)
        assert device.sw_version == "3.70"
        assert device.serial_number == emulated.serial
    strip = registry_device(hass, fleet.of_kind("multizone")[0].serial)
    assert strip is not None and strip.model == "LIFX Z"


async def test_unload_closes_everything(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, fleet: Fleet
) -> None:
    """Unload closes the session; actions stay registered and explain why they cannot run."""
    hub = loaded_entry.runtime_data
    assert await hass.config_entries.async_unload(loaded_entry.entry_id)
    assert loaded_entry.state is ConfigEntryState.NOT_LOADED
    assert hub.sender.closed
    assert hub.sender.link.endpoint is None  # the socket is closed
    assert hub._discovery_task is None
    assert hub._unsub_timer is None
    assert hass.services.has_service(DOMAIN, "run")
    with pytest.raises(ServiceValidationError) as caught:
        await hass.services.async_call(
            DOMAIN, "run", {"serials": fleet.serials[:1], "messages": "GetPower"}, blocking=True
        )
    assert caught.value.translation_key == "not_loaded"
    # and it loads again
    assert await hass.config_entries.async_setup(loaded_entry.entry_id)
    assert loaded_entry.state is ConfigEntryState.LOADED
    assert await hass.config_entries.async_unload(loaded_entry.entry_id)


@pytest.mark.parametrize("raise_on_error", [True, False])
async def test_unload_during_running_action(
    hass: HomeAssistant, slow_bulbs: SlowBulbs, raise_on_error: bool
) -> None:
    """A call waiting on a silent bulb ends with an error as soon as the entry unloads."""
    await slow_bulbs.add("d073d5bb0001", None)
    entry = MockConfigEntry(
        domain=DOMAIN,
        data={"devices": slow_bulbs.devices()},
        options=make_options(message_timeout=30),
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    task = hass.async_create_task(
        hass.services.async_call(
            DOMAIN,
            "run",
            {
                "serials": ["d073d5bb0001"],
                "pipeline": ["GetPower", "GetPower"],
                "raise_on_error": raise_on_error,
            },
            blocking=True,
            return_response=True,
        )
    )
    for _ in range(100):
        if slow_bulbs.tracker.total:
            break
        await asyncio.sleep(0.01)
    assert slow_bulbs.tracker.total == 1
    started = time.monotonic()
    assert await hass.config_entries.async_unload(entry.entry_id)
    with pytest.raises(HomeAssistantError) as caught:
        await asyncio.wait_for(task, 5)
    assert time.monotonic() - started < 2
    assert caught.value.translation_key == "session_closed"
    assert slow_bulbs.tracker.total == 1  # the second step never went out


@pytest.mark.usefixtures("socket_enabled")
async def test_setup_retries_when_socket_cannot_bind(hass: HomeAssistant, fleet: Fleet) -> None:
    entry = fleet_entry(fleet, fleet.serials[:1])
    entry.add_to_hass(hass)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as taken:
        taken.bind(("127.0.0.1", 0))
        with patch("custom_components.lifx_script.hub.BIND_ADDRESS", taken.getsockname()):
            await hass.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.SETUP_RETRY
    assert await hass.config_entries.async_unload(entry.entry_id)


@pytest.mark.usefixtures("socket_enabled")
async def test_setup_without_anywhere_to_look(hass: HomeAssistant) -> None:
    entry = MockConfigEntry(domain=DOMAIN, data={"devices": {}}, options=make_options())
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.SETUP_ERROR


@pytest.mark.usefixtures("socket_enabled")
async def test_background_discovery(hass: HomeAssistant, fleet: Fleet) -> None:
    """Setup does not wait; discovery then adds new devices and fixes a changed port."""
    known, new = fleet.devices[0], fleet.devices[4]
    devices = fleet_devices(fleet, [known.serial])
    devices[known.serial]["port"] = dead_port()  # the bulb "moved"
    entry = MockConfigEntry(
        domain=DOMAIN,
        data={"devices": devices},
        options=make_options(
            broadcast_addresses=broadcasts_for(fleet, [known.serial, new.serial]).split(", "),
            discovery_interval=60,
        ),
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    hub = entry.runtime_data
    first = hub._discovery_task
    assert first is not None and not first.done()  # setup returned before discovery finished
    assert registry_device(hass, new.serial) is None

    await first
    assert entry.data["devices"][known.serial]["port"] == known.port
    assert entry.data["devices"][new.serial]["label"] == new.label
    assert entry.data["devices"][new.serial]["product_id"] == new.product_id
    device = registry_device(hass, new.serial)
    assert device is not None
    assert device.name == new.label
    assert device.sw_version == entry.data["devices"][new.serial]["firmware"]
    assert entry.state is ConfigEntryState.LOADED
    assert entry.runtime_data is hub  # the hub's own saves do not reload the entry

    # the known bulb answers at its new address
    response = await hass.services.async_call(
        DOMAIN,
        "run",
        {"serials": [known.serial], "messages": "GetPower"},
        blocking=True,
        return_response=True,
    )
    assert response["results"][known.serial][0]["type"] == "StatePower"

    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=61))
    await asyncio.sleep(0)
    second = hub._discovery_task
    assert second is not None and second is not first
    await second
    assert hub.counters["discoveries"] == 2
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_discover_action(hass: HomeAssistant, socket_enabled: None, fleet: Fleet) -> None:
    """discover returns what answered, with product names and capabilities."""
    strip = fleet.of_kind("multizone")[0]
    entry = fleet_entry(fleet, [], static_hosts=[f"127.0.0.1:{strip.port}"])
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    response = await hass.services.async_call(
        DOMAIN, "discover", {}, blocking=True, return_response=True
    )
    json.dumps(response)
    assert response["count"] == 1
    found = response["devices"][strip.serial]
    assert found["ip"] == "127.0.0.1"
    assert found["port"] == strip.port
    assert found["label"] == strip.label
    assert found["product"] == "LIFX Z"
    assert "multizone" in found["capabilities"]
    assert strip.serial in entry.data["devices"]
    assert registry_device(hass, strip.serial)
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_remove_stale_device(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    fleet: Fleet,
    hass_ws_client: WebSocketGenerator,
) -> None:
    """Users can delete a bulb that is gone; it leaves the entry and the engine's cache."""
    assert await async_setup_component(hass, "config", {})
    serial = fleet.serials[-1]
    device = registry_device(hass, serial)
    assert device is not None
    client = await hass_ws_client(hass)
    await client.send_json_auto_id(
        {
            "type": "config/device_registry/remove_config_entry",
            "config_entry_id": loaded_entry.entry_id,
            "device_id": device.id,
        }
    )
    answer = await client.receive_json()
    assert answer["success"], answer
    assert registry_device(hass, serial) is None
    assert serial not in loaded_entry.data["devices"]
    assert serial not in loaded_entry.runtime_data.sender.found
    await hass.async_block_till_done()
    assert loaded_entry.state is ConfigEntryState.LOADED
    assert await hass.config_entries.async_unload(loaded_entry.entry_id)


async def test_remove_device_while_unloaded(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    fleet: Fleet,
    hass_ws_client: WebSocketGenerator,
) -> None:
    """Deleting a device of an unloaded entry still drops it from the known devices."""
    assert await async_setup_component(hass, "config", {})
    assert await hass.config_entries.async_unload(loaded_entry.entry_id)
    serial = fleet.serials[0]
    device = registry_device(hass, serial)
    assert device is not None
    client = await hass_ws_client(hass)
    await client.send_json_auto_id(
        {
            "type": "config/device_registry/remove_config_entry",
            "config_entry_id": loaded_entry.entry_id,
            "device_id": device.id,
        }
    )
    assert (await client.receive_json())["success"]
    assert serial not in loaded_entry.data["devices"]
    assert len(loaded_entry.data["devices"]) == len(fleet.devices) - 1


async def test_diagnostics_redacts(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    fleet: Fleet,
    hass_client: ClientSessionGenerator,
) -> None:
    """Engine statistics, devices and options, without serials, addresses or labels."""
    await hass.services.async_call(
        DOMAIN,
        "run",
        {"serials": fleet.serials[:2], "messages": "GetPower"},
        blocking=True,
    )
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, loaded_entry)
    text = json.dumps(diagnostics)
    for device in fleet.devices:
        assert device.serial not in text
        assert device.label not in text
    assert "127.0.0.1" not in text
    assert len(diagnostics["devices"]) == len(fleet.devices)
    assert diagnostics["devices"][0]["serial"] == "**REDACTED**"
    assert diagnostics["hub"]["counters"]["runs"] == 1
    assert diagnostics["hub"]["engine"]["sent"] >= 2
    assert diagnostics["options"]["limit"] == 30
    assert await hass.config_entries.async_unload(loaded_entry.entry_id)


async def test_action_descriptions(hass: HomeAssistant) -> None:
    """services.yaml parses, and every field has a translated name and description."""
    from homeassistant.helpers.service import async_get_all_descriptions

    assert await async_setup_component(hass, DOMAIN, {})
    descriptions = (await async_get_all_descriptions(hass))[DOMAIN]
    texts = await action_texts(hass)
    run = descriptions["run"]
    assert texts["run.name"] == "Run a LIFX script"
    assert run["response"] == {"optional": True}
    assert set(run["fields"]) == {
        "device_id",
        "serials",
        "messages",
        "pipeline",
        "spread",
        "synchronized",
        "short_circuit_on_error",
        "timeout",
        "limit",
        "raise_on_error",
    }
    for name in run["fields"]:
        assert texts.get(f"run.fields.{name}.name"), name
        assert texts.get(f"run.fields.{name}.description"), name
    assert run["fields"]["device_id"]["selector"] == {
        "device": {"integration": DOMAIN, "multiple": True}
    }
    assert texts["discover.name"] == "Discover devices"
