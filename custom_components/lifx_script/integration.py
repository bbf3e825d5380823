"""LIFX Script: send any LIFX LAN message to any set of bulbs from Home Assistant."""

from __future__ import annotations

from homeassistant.core import HomeAssistant
from homeassistant.helpers.typing import ConfigType

from .const import DOMAIN


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Set up the integration-wide data; actions are registered here (see services)."""
    hass.data.setdefault(DOMAIN, {})
    return True
