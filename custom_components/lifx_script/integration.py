"""Home Assistant entry points of lifx_script: set-up, unload, device removal."""

from __future__ import annotations

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.typing import ConfigType

from .const import CONF_DEVICES, DOMAIN
from .hub import LifxScriptConfigEntry, LifxScriptHub, entry_options
from .services import async_setup_services

CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Register the actions once, so automations validate even before the entry loads."""
    hass.data.setdefault(DOMAIN, {})
    async_setup_services(hass)
    return True


async def async_setup_entry(hass: HomeAssistant, entry: LifxScriptConfigEntry) -> bool:
    """Open the engine session; known devices work at once, discovery runs in background."""
    hub = LifxScriptHub(hass, entry)
    await hub.async_start()
    entry.runtime_data = hub
    entry.async_on_unload(entry.add_update_listener(_async_options_updated))
    return True


async def async_unload_entry(hass: HomeAssistant, entry: LifxScriptConfigEntry) -> bool:
    """Close everything the entry owns: timer, discovery task, socket; running sends fail."""
    await entry.runtime_data.async_stop()
    return True


async def _async_options_updated(hass: HomeAssistant, entry: LifxScriptConfigEntry) -> None:
    """Reload when options or devices changed from outside; the hub's own saves do not."""
    hub = entry.runtime_data
    if (
        entry_options(entry.options) != hub.options
        or entry.data.get(CONF_DEVICES, {}) != hub.devices
    ):
        hass.config_entries.async_schedule_reload(entry.entry_id)


async def async_remove_config_entry_device(
    hass: HomeAssistant, entry: LifxScriptConfigEntry, device: dr.DeviceEntry
) -> bool:
    """Let users delete stale bulbs; discovery adds them back if they answer again."""
    serials = [serial for domain, serial in device.identifiers if domain == DOMAIN]
    if entry.state is ConfigEntryState.LOADED:
        for serial in serials:
            entry.runtime_data.async_forget(serial)
        return True
    devices = {
        serial: known
        for serial, known in entry.data.get(CONF_DEVICES, {}).items()
        if serial not in serials
    }
    hass.config_entries.async_update_entry(entry, data={**entry.data, CONF_DEVICES: devices})
    return True
