"""Diagnostics: engine statistics, devices and options, with serials and addresses redacted."""

from __future__ import annotations

from typing import Any

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.core import HomeAssistant

from .const import (
    CONF_BROADCAST_ADDRESSES,
    CONF_DEVICES,
    CONF_FIRMWARE,
    CONF_IP,
    CONF_LABEL,
    CONF_PRODUCT_ID,
    CONF_STATIC_HOSTS,
)
from .hub import LifxScriptConfigEntry, entry_options
from .products import capability_names, product_name

TO_REDACT = {"serial", CONF_IP, CONF_LABEL, CONF_BROADCAST_ADDRESSES, CONF_STATIC_HOSTS}


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: LifxScriptConfigEntry
) -> dict[str, Any]:
    """What a bug report needs: products, firmware, options and the engine's counters."""
    hub = entry.runtime_data
    devices = [
        {
            "serial": serial,
            CONF_IP: device.get(CONF_IP),
            "port": device.get("port"),
            CONF_LABEL: device.get(CONF_LABEL),
            CONF_PRODUCT_ID: device.get(CONF_PRODUCT_ID),
            "product": product_name(device.get(CONF_PRODUCT_ID)),
            CONF_FIRMWARE: device.get(CONF_FIRMWARE),
            "capabilities": capability_names(
                device.get(CONF_PRODUCT_ID), device.get(CONF_FIRMWARE)
            ),
        }
        for serial, device in sorted(entry.data.get(CONF_DEVICES, {}).items())
    ]
    return {
        "entry": {"title": entry.title, "version": entry.version},
        "options": async_redact_data(entry_options(entry.options), TO_REDACT),
        "devices": async_redact_data(devices, TO_REDACT),
        "hub": {
            "counters": dict(hub.counters),
            "last_discovery": hub.last_discovery,
            "engine": hub.engine_stats(),
            "known_devices": len(hub.devices),
        },
    }
