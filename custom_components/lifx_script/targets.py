"""Turn an action call's targets into LIFX serials: the one entry point every action uses.

A call may name devices in Home Assistant's own terms (the standard `target`: areas, floors,
labels, devices, entities) and by raw `serials`. A LIFX device is one of this integration's
devices or a device of the core LIFX integration (domain `lifx`, which registers the serial,
written as a MAC address, as the device identifier); a LIFX entity is a `light` entity of
the core LIFX integration, standing for its device.

What is named explicitly (a device or an entity) must be LIFX, or the call is refused naming
it. An area, floor or label stands for the LIFX devices in it; its other devices are ignored,
and one with no LIFX device at all is refused, so that "the kitchen" never silently means
nothing. The registries are read with their `async_entries_for_*` helpers (the same in every
supported version), not with Home Assistant's `async_extract_*` target helpers, whose
signature changed between them, nor by iterating `registry.devices` (a mapping in 2025.4, a
deprecated one in 2026.10).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

import voluptuous as vol
from homeassistant.const import (
    ATTR_AREA_ID,
    ATTR_DEVICE_ID,
    ATTR_ENTITY_ID,
    ATTR_FLOOR_ID,
    ATTR_LABEL_ID,
)
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import area_registry as ar
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers import floor_registry as fr
from homeassistant.helpers import label_registry as lr

from .build import invalid, show
from .const import CORE_LIFX_DOMAIN, DOMAIN, MAX_SERIALS_PER_CALL

ATTR_SERIALS = "serials"
TARGET_FIELDS = (ATTR_AREA_ID, ATTR_FLOOR_ID, ATTR_LABEL_ID, ATTR_DEVICE_ID, ATTR_ENTITY_ID)
LIFX_DOMAINS = frozenset({DOMAIN, CORE_LIFX_DOMAIN})
LIGHT_DOMAIN = "light"

SERIAL_RE = re.compile(r"^[0-9a-f]{12}$")
# The all-zero target means "every device" on the wire; an action names its devices.
ZERO_SERIAL = "000000000000"


def _text_list(value: Any) -> list[str]:
    """One text or a list of texts (what a target field holds); anything else is refused."""
    if not isinstance(value, list):
        if not isinstance(value, str):
            raise vol.Invalid("expected a text or a list of texts")
        return [value]
    for index, item in enumerate(value):
        if not isinstance(item, str):
            raise vol.Invalid("expected text", path=[index])
    return value


# The schema fragment for every action that takes targets: Home Assistant's target fields and
# `serials`. Each is one text or a list of texts; the values are checked by resolve_serials.
TARGET_SCHEMA_FIELDS: dict[Any, Any] = {
    **{vol.Optional(name): _text_list for name in TARGET_FIELDS},
    vol.Optional(ATTR_SERIALS): _text_list,
}


def normalise_serial(text: str) -> str:
    """Accept "D0:73:D5:00:00:01" as well as "d073d5000001"; refuse the all-zero serial."""
    serial = text.strip().lower().replace(":", "").replace("-", "")
    if not SERIAL_RE.match(serial):
        raise invalid("invalid_serial", value=show(text))
    if serial == ZERO_SERIAL:
        raise invalid("zero_serial", value=show(text))
    return serial


def device_serials(device: Any) -> list[str]:
    """The serials a device's identifiers give, for this integration and for core LIFX.

    Any registry entry is accepted (newer Home Assistant also has child devices).
    """
    serials: list[str] = []
    for domain, identifier in getattr(device, "identifiers", ()):
        if domain not in LIFX_DOMAINS:
            continue
        serial = identifier.strip().lower().replace(":", "")
        if SERIAL_RE.match(serial) and serial != ZERO_SERIAL:
            serials.append(serial)
    return serials


class _Walk:
    """One resolution: the registries, read once, and the serials found in order."""

    def __init__(self, hass: HomeAssistant) -> None:
        self.devices = dr.async_get(hass)
        self.entities = er.async_get(hass)
        self.areas = ar.async_get(hass)
        self.floors = fr.async_get(hass)
        self.labels = lr.async_get(hass)
        self.serials: list[str] = []

    def device(self, device_id: str) -> None:
        """A device named explicitly: it must be LIFX."""
        device = self.devices.async_get(device_id)
        found = device_serials(device) if device else []
        if not found:
            raise invalid("unknown_device", value=show(device_id))
        self.serials.extend(found)

    def entity(self, entity_id: str) -> None:
        """An entity named explicitly: a light of the core LIFX integration."""
        entry = self.entities.async_get(entity_id)
        device = None
        if (
            entry is not None
            and entry.domain == LIGHT_DOMAIN
            and entry.platform == CORE_LIFX_DOMAIN
            and entry.device_id
        ):
            device = self.devices.async_get(entry.device_id)
        found = device_serials(device) if device else []
        if not found:
            raise invalid("not_lifx_entity", value=show(entity_id))
        self.serials.extend(found)

    def _lifx_devices(self, devices: Iterable[Any]) -> dict[str, dr.DeviceEntry]:
        """The LIFX ones of these devices, by id."""
        return {device.id: device for device in devices if device_serials(device)}

    def _owners(self, entries: Iterable[er.RegistryEntry]) -> dict[str, dr.DeviceEntry]:
        """The LIFX devices these entities belong to, by id."""
        owners = (self.devices.async_get(entry.device_id) for entry in entries if entry.device_id)
        return self._lifx_devices(owner for owner in owners if owner is not None)

    def _devices_in_areas(self, area_ids: Iterable[str]) -> dict[str, dr.DeviceEntry]:
        """LIFX devices in these areas, or whose entity is placed in one of them."""
        found: dict[str, dr.DeviceEntry] = {}
        for area_id in area_ids:
            found.update(self._lifx_devices(dr.async_entries_for_area(self.devices, area_id)))
            found.update(self._owners(er.async_entries_for_area(self.entities, area_id)))
        return found

    def _add(self, devices: dict[str, dr.DeviceEntry]) -> bool:
        """Add the devices' serials, in a stable order (by name); whether there was any."""
        before = len(self.serials)
        for device in sorted(devices.values(), key=lambda d: (d.name_by_user or d.name or "")):
            self.serials.extend(device_serials(device))
        return len(self.serials) > before

    def area(self, area_id: str) -> None:
        if self.areas.async_get_area(area_id) is None:
            raise invalid("unknown_area", value=show(area_id))
        if not self._add(self._devices_in_areas([area_id])):
            raise invalid("no_lifx_in_area", value=show(area_id))

    def floor(self, floor_id: str) -> None:
        if self.floors.async_get_floor(floor_id) is None:
            raise invalid("unknown_floor", value=show(floor_id))
        areas = ar.async_entries_for_floor(self.areas, floor_id)
        if not self._add(self._devices_in_areas(area.id for area in areas)):
            raise invalid("no_lifx_on_floor", value=show(floor_id))

    def label(self, label_id: str) -> None:
        if self.labels.async_get_label(label_id) is None:
            raise invalid("unknown_label", value=show(label_id))
        devices = self._lifx_devices(dr.async_entries_for_label(self.devices, label_id))
        devices.update(self._owners(er.async_entries_for_label(self.entities, label_id)))
        areas = ar.async_entries_for_label(self.areas, label_id)
        devices.update(self._devices_in_areas(area.id for area in areas))
        if not self._add(devices):
            raise invalid("no_lifx_with_label", value=show(label_id))


def _texts(data: Mapping[str, Any], name: str) -> list[str]:
    """A target field as a list; callers may pass data no schema has checked."""
    value = data.get(name)
    if value is None:
        return []
    try:
        return _text_list(value)
    except vol.Invalid as err:
        field = ".".join(str(part) for part in [name, *err.path])
        shown = value[err.path[0]] if err.path else value
        raise invalid(
            "invalid_action_data", field=field, value=show(shown), reason=err.msg
        ) from None


@callback
def resolve_serials(hass: HomeAssistant, data: Mapping[str, Any]) -> list[str]:
    """The serials a call names, in order and each once; refused if none or any is not LIFX."""
    walk = _Walk(hass)
    for area_id in _texts(data, ATTR_AREA_ID):
        walk.area(area_id)
    for floor_id in _texts(data, ATTR_FLOOR_ID):
        walk.floor(floor_id)
    for label_id in _texts(data, ATTR_LABEL_ID):
        walk.label(label_id)
    for device_id in _texts(data, ATTR_DEVICE_ID):
        walk.device(device_id)
    for entity_id in _texts(data, ATTR_ENTITY_ID):
        walk.entity(entity_id)
    walk.serials.extend(normalise_serial(text) for text in _texts(data, ATTR_SERIALS))
    serials = list(dict.fromkeys(walk.serials))
    if not serials:
        raise invalid("no_target")
    if len(serials) > MAX_SERIALS_PER_CALL:
        raise invalid("too_many_serials", count=str(len(serials)), limit=str(MAX_SERIALS_PER_CALL))
    return serials
