"""Home Assistant test fixtures.

The one thing that cannot run here is the network integration's adapter list (it would give this
machine's real broadcast addresses), so interface broadcasts are patched to 127.0.0.1 in every
test; everything else is real UDP on loopback to the emulated fleet or to test bulbs.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from ipaddress import IPv4Address
from typing import Any
from unittest.mock import patch

import pytest
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.lifx_script.const import DOMAIN
from tests.ha.helpers import SlowBulbs, fleet_devices, make_options
from tests.support.fleet import Fleet


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Load custom_components/ in every Home Assistant test."""


@pytest.fixture(autouse=True)
def loopback_interfaces() -> Iterator[None]:
    """Interface broadcasts go to 127.0.0.1 only: never to this machine's real networks."""
    with patch(
        "homeassistant.components.network.async_get_ipv4_broadcast_addresses",
        return_value={IPv4Address("127.0.0.1")},
    ):
        yield


@pytest.fixture(autouse=True)
def short_scans() -> Iterator[None]:
    """Scans listen 0.5 s instead of 3 s: loopback answers in milliseconds."""
    with (
        patch("custom_components.lifx_script.hub.DISCOVERY_TIMEOUT", 0.5),
        patch("custom_components.lifx_script.hub.INFO_TIMEOUT", 1.0),
    ):
        yield


@pytest.fixture
def fleet_reset(fleet: Fleet) -> Fleet:
    """The session fleet with its packet counters at zero."""
    fleet.reset()
    return fleet


@pytest.fixture
async def slow_bulbs(socket_enabled: None) -> AsyncIterator[SlowBulbs]:
    """Test bulbs on loopback that answer late (or never), counting messages in flight."""
    bulbs = SlowBulbs()
    yield bulbs
    await bulbs.close()


def fleet_entry(fleet: Fleet, serials: list[str] | None = None, **options: Any) -> MockConfigEntry:
    """An entry that already knows (some of) the fleet, with scan settings off by default."""
    return MockConfigEntry(
        domain=DOMAIN,
        title="LIFX Script",
        data={"devices": fleet_devices(fleet, serials)},
        options=make_options(**options),
    )


@pytest.fixture
async def loaded_entry(
    hass: HomeAssistant, socket_enabled: None, fleet_reset: Fleet
) -> AsyncIterator[MockConfigEntry]:
    """The entry set up with the whole fleet known and background discovery off."""
    entry = fleet_entry(fleet_reset)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    yield entry
    if entry.state is ConfigEntryState.LOADED:
        assert await hass.config_entries.async_unload(entry.entry_id)
