"""The config flow over real UDP: scan, confirm, create; errors; options; reconfigure."""

from __future__ import annotations

import socket
from ipaddress import IPv4Address
from unittest.mock import patch

import pytest
from homeassistant import config_entries
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.lifx_script.const import DOMAIN
from tests.ha.conftest import fleet_entry
from tests.ha.helpers import broadcasts_for, dead_port, make_options
from tests.support.fleet import Fleet

pytestmark = pytest.mark.usefixtures("socket_enabled")


async def start(hass: HomeAssistant) -> dict:
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": config_entries.SOURCE_USER}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "user"
    assert result["errors"] == {}
    return result


async def test_discovery_confirm_creates_entry(hass: HomeAssistant, fleet: Fleet) -> None:
    """Broadcasts (interfaces patched to loopback, plus the user's) find the fleet."""
    wanted = fleet.serials[:4]
    result = await start(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            "interface_broadcasts": True,
            "broadcast_addresses": broadcasts_for(fleet, wanted).replace(", ", "\n"),
            "static_hosts": "",
        },
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "confirm"
    listing = result["description_placeholders"]["devices"]
    for serial in wanted:
        device = fleet.by_serial(serial)
        assert serial in listing
        assert device.label in listing
        assert f"127.0.0.1:{device.port}" in listing
    assert "LIFX" in listing  # product names from the products table

    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "LIFX Script"
    devices = result["data"]["devices"]
    assert set(wanted) <= set(devices)
    for serial in wanted:
        device = fleet.by_serial(serial)
        stored = devices[serial]
        assert stored["ip"] == "127.0.0.1"
        assert stored["port"] == device.port
        assert stored["label"] == device.label
        assert stored["product_id"] == device.product_id
        assert stored["firmware"] and "." in stored["firmware"]
    options = result["options"]
    assert options["interface_broadcasts"] is True
    assert options["broadcast_addresses"] == [
        f"127.0.0.1:{fleet.by_serial(s).port}" for s in wanted
    ]
    assert options["static_hosts"] == []
    assert options["limit"] == 30
    assert options["message_timeout"] == 10.0
    assert options["discovery_interval"] == 300
    assert options["rate_limit"] == 0.0
    entry = hass.config_entries.async_entries(DOMAIN)[0]
    assert entry.state is config_entries.ConfigEntryState.LOADED
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_interface_broadcasts_come_from_network_integration(
    hass: HomeAssistant, fleet: Fleet
) -> None:
    """With no user addresses, the network integration's broadcast list is what is scanned."""
    device = fleet.devices[0]
    with patch(
        "homeassistant.components.network.async_get_ipv4_broadcast_addresses",
        return_value={IPv4Address("127.0.0.1")},
    ) as adapters:
        result = await start(hass)
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"],
            {"interface_broadcasts": True, "broadcast_addresses": "", "static_hosts": ""},
        )
    adapters.assert_called()
    # Nothing of the fleet listens on 127.0.0.1:56700: nothing found (unless something else does).
    if result["step_id"] == "user":
        assert result["errors"] == {"base": "no_devices_found"}
    else:
        assert device.serial not in result["description_placeholders"]["devices"]


async def test_manual_host_unicast(hass: HomeAssistant, fleet: Fleet) -> None:
    """A typed IP:port is asked with unicast GetService; only that device is found."""
    device = fleet.devices[1]
    result = await start(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            "interface_broadcasts": False,
            "broadcast_addresses": "",
            "static_hosts": f"{device.ip}:{device.port}",
        },
    )
    assert result["step_id"] == "confirm"
    assert result["description_placeholders"]["count"] == "1"
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert list(result["data"]["devices"]) == [device.serial]
    assert result["options"]["static_hosts"] == [f"{device.ip}:{device.port}"]
    assert result["options"]["interface_broadcasts"] is False
    entry = hass.config_entries.async_entries(DOMAIN)[0]
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_none_found_then_fixed(hass: HomeAssistant, fleet: Fleet) -> None:
    """Nobody answers: the form says so; fixing the address continues the same flow."""
    result = await start(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            "interface_broadcasts": False,
            "broadcast_addresses": f"127.0.0.1:{dead_port()}",
            "static_hosts": f"127.0.0.1:{dead_port()}",
        },
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "user"
    assert result["errors"] == {"base": "no_devices_found"}

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            "interface_broadcasts": False,
            "broadcast_addresses": broadcasts_for(fleet, fleet.serials[:1]),
            "static_hosts": "",
        },
    )
    assert result["step_id"] == "confirm"
    assert hass.config_entries.flow.async_abort(result["flow_id"]) is None


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("broadcast_addresses", "192.168.1.300"),
        ("broadcast_addresses", "lights.local"),
        ("static_hosts", "127.0.0.1:70000"),
        ("static_hosts", "127.0.0.1:port"),
        ("static_hosts", "127.0.0.1, 10.0.0.1:0"),
    ],
)
async def test_bad_address(hass: HomeAssistant, fleet: Fleet, field: str, value: str) -> None:
    """A bad address is named on its field and nothing is scanned."""
    fleet.reset()
    result = await start(hass)
    data = {"interface_broadcasts": False, "broadcast_addresses": "", "static_hosts": ""}
    data[field] = value
    result = await hass.config_entries.flow.async_configure(result["flow_id"], data)
    assert result["step_id"] == "user"
    assert result["errors"] == {field: "invalid_address"}
    assert result["description_placeholders"]["invalid"] in value
    assert result["description_placeholders"]["invalid"]
    assert fleet.received() == 0


async def test_nowhere_to_look(hass: HomeAssistant) -> None:
    result = await start(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {"interface_broadcasts": False, "broadcast_addresses": " ", "static_hosts": ""},
    )
    assert result["errors"] == {"base": "nowhere_to_look"}


async def test_cannot_bind(hass: HomeAssistant) -> None:
    """The OS refusing the engine's UDP socket is a form error, not a crash."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as taken:
        taken.bind(("127.0.0.1", 0))
        result = await start(hass)
        with patch("custom_components.lifx_script.hub.BIND_ADDRESS", taken.getsockname()):
            result = await hass.config_entries.flow.async_configure(
                result["flow_id"],
                {"interface_broadcasts": True, "broadcast_addresses": "", "static_hosts": ""},
            )
    assert result["errors"] == {"base": "cannot_bind"}
    assert "in use" in result["description_placeholders"]["error"]


async def test_single_entry(hass: HomeAssistant, fleet: Fleet) -> None:
    """The hub owns every device: a second entry is refused."""
    entry = fleet_entry(fleet, fleet.serials[:1])
    entry.add_to_hass(hass)
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": config_entries.SOURCE_USER}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "single_instance_allowed"


async def test_options_flow_reloads(hass: HomeAssistant, fleet: Fleet) -> None:
    """Options are saved, parsed and applied by a reload (new semaphore, new timeout)."""
    entry = fleet_entry(fleet, fleet.serials[:1])
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    hub = entry.runtime_data

    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "init"
    user_input = {
        "interface_broadcasts": False,
        "broadcast_addresses": "10.1.2.255, 10.1.3.255:56701",
        "static_hosts": "10.1.2.7\n10.1.2.8:56700",
        "limit": 7,
        "message_timeout": 2.5,
        "discovery_interval": 0,
        "rate_limit": 20,
    }
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {**user_input, "broadcast_addresses": "10.1.2.256"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"broadcast_addresses": "invalid_address"}

    result = await hass.config_entries.options.async_configure(result["flow_id"], user_input)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert dict(entry.options) == {
        "interface_broadcasts": False,
        "broadcast_addresses": ["10.1.2.255", "10.1.3.255:56701"],
        "static_hosts": ["10.1.2.7", "10.1.2.8"],
        "limit": 7,
        "message_timeout": 2.5,
        "discovery_interval": 0,
        "rate_limit": 20.0,
    }
    assert entry.state is config_entries.ConfigEntryState.LOADED
    assert entry.runtime_data is not hub
    assert entry.runtime_data.message_timeout == 2.5
    assert entry.runtime_data.options["limit"] == 7
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_reconfigure_adds_devices(hass: HomeAssistant, fleet: Fleet) -> None:
    """Reconfigure rescans with new addresses, keeps known devices, adds found ones, reloads."""
    first, second = fleet.devices[0], fleet.devices[2]
    entry = fleet_entry(fleet, [first.serial])
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()

    result = await entry.start_reconfigure_flow(hass)
    assert result["step_id"] == "reconfigure"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            "interface_broadcasts": False,
            "broadcast_addresses": "",
            "static_hosts": f"127.0.0.1:{dead_port()}",
        },
    )
    assert result["errors"] == {"base": "no_devices_found"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {"interface_broadcasts": False, "broadcast_addresses": "", "static_hosts": "127.0.0.1:x"},
    )
    assert result["errors"] == {"static_hosts": "invalid_address"}

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            "interface_broadcasts": False,
            "broadcast_addresses": "",
            "static_hosts": f"127.0.0.1:{second.port}",
        },
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done()
    assert set(entry.data["devices"]) == {first.serial, second.serial}
    assert entry.options["static_hosts"] == [f"127.0.0.1:{second.port}"]
    assert entry.state is config_entries.ConfigEntryState.LOADED
    assert set(entry.runtime_data.devices) == {first.serial, second.serial}
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_reconfigure_keeps_other_options(hass: HomeAssistant, fleet: Fleet) -> None:
    """Reconfigure touches only where to look; limits set in options stay."""
    device = fleet.devices[3]
    entry = MockConfigEntry(
        domain=DOMAIN,
        data={"devices": {}},
        options=make_options(limit=5, message_timeout=1.5),
    )
    entry.add_to_hass(hass)
    result = await entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            "interface_broadcasts": False,
            "broadcast_addresses": f"127.0.0.1:{device.port}",
            "static_hosts": "",
        },
    )
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done()
    assert entry.options["limit"] == 5
    assert entry.options["message_timeout"] == 1.5
    assert list(entry.data["devices"]) == [device.serial]
    if entry.state is config_entries.ConfigEntryState.LOADED:
        assert await hass.config_entries.async_unload(entry.entry_id)


async def test_rest_contract(
    hass: HomeAssistant, fleet: Fleet, hass_client: ClientSessionGenerator
) -> None:
    """The demo's path: create the entry and run an action through HA's REST API."""
    assert await async_setup_component(hass, DOMAIN, {})
    assert await async_setup_component(hass, "config", {})
    assert await async_setup_component(hass, "api", {})
    client = await hass_client()
    device = fleet.devices[0]
    answer = await client.post("/api/config/config_entries/flow", json={"handler": DOMAIN})
    flow = await answer.json()
    assert flow["step_id"] == "user"
    answer = await client.post(
        f"/api/config/config_entries/flow/{flow['flow_id']}",
        json={
            "interface_broadcasts": False,
            "broadcast_addresses": f"127.0.0.1:{device.port}",
            "static_hosts": "",
        },
    )
    flow = await answer.json()
    assert flow["step_id"] == "confirm", flow
    assert device.serial in flow["description_placeholders"]["devices"]
    answer = await client.post(f"/api/config/config_entries/flow/{flow['flow_id']}", json={})
    flow = await answer.json()
    assert flow["type"] == "create_entry"
    assert flow["title"] == "LIFX Script"

    answer = await client.post(
        f"/api/services/{DOMAIN}/run?return_response",
        json={"serials": [device.serial], "messages": ["GetPower"]},
    )
    assert answer.status == 200, await answer.text()
    body = await answer.json()
    reply = body["service_response"]["results"][device.serial][0]
    assert reply["type"] == "StatePower"
    assert reply["pkt_type"] == 22

    answer = await client.post(
        f"/api/services/{DOMAIN}/run?return_response",
        json={"serials": [device.serial], "messages": ["GetNothing"]},
    )
    # HA 2025.4's REST API answers 400 only for voluptuous errors; a ServiceValidationError
    # (what the UI and websocket show translated) becomes a 500 there.
    assert answer.status in (400, 500)
    entry = hass.config_entries.async_entries(DOMAIN)[0]
    assert await hass.config_entries.async_unload(entry.entry_id)
