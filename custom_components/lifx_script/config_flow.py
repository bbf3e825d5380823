"""Config flow: scan the network (broadcasts and typed hosts), show what answered, create the hub.

Tested before configuring: the user step really sends GetService and only offers to create the
entry when a device answered, so a wrong VLAN broadcast or a typo shows up here, not later.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import voluptuous as vol
from homeassistant.config_entries import ConfigFlow, ConfigFlowResult, OptionsFlow
from homeassistant.core import callback
from homeassistant.helpers.selector import (
    BooleanSelector,
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    TextSelector,
    TextSelectorConfig,
)

from .addresses import InvalidAddress, join_addresses, split_addresses
from .const import (
    CONF_BROADCAST_ADDRESSES,
    CONF_DEVICES,
    CONF_DISCOVERY_INTERVAL,
    CONF_INTERFACE_BROADCASTS,
    CONF_IP,
    CONF_LABEL,
    CONF_LIMIT,
    CONF_MESSAGE_TIMEOUT,
    CONF_PORT,
    CONF_PRODUCT_ID,
    CONF_RATE_LIMIT,
    CONF_STATIC_HOSTS,
    DOMAIN,
    TITLE,
)
from .engine import ScriptError
from .hub import (
    CannotBind,
    DeviceData,
    LifxScriptConfigEntry,
    NowhereToLook,
    async_scan_network,
    entry_options,
)
from .products import product_name

ADDRESS_FIELDS = (CONF_BROADCAST_ADDRESSES, CONF_STATIC_HOSTS)
MULTILINE = TextSelector(TextSelectorConfig(multiline=True))


def _number(minimum: float, maximum: float, step: float, unit: str | None = None) -> NumberSelector:
    config = NumberSelectorConfig(min=minimum, max=maximum, step=step, mode=NumberSelectorMode.BOX)
    if unit is not None:
        config["unit_of_measurement"] = unit
    return NumberSelector(config)


def scan_schema(defaults: Mapping[str, Any]) -> vol.Schema:
    """The fields that decide where to look: interfaces, extra broadcasts, unicast hosts."""
    return vol.Schema(
        {
            vol.Required(
                CONF_INTERFACE_BROADCASTS, default=defaults[CONF_INTERFACE_BROADCASTS]
            ): BooleanSelector(),
            vol.Optional(
                CONF_BROADCAST_ADDRESSES,
                default=join_addresses(defaults[CONF_BROADCAST_ADDRESSES]),
            ): MULTILINE,
            vol.Optional(
                CONF_STATIC_HOSTS, default=join_addresses(defaults[CONF_STATIC_HOSTS])
            ): MULTILINE,
        }
    )


def options_schema(defaults: Mapping[str, Any]) -> vol.Schema:
    """Every option: where to look, plus the engine's limits and timings."""
    return scan_schema(defaults).extend(
        {
            vol.Required(CONF_LIMIT, default=defaults[CONF_LIMIT]): vol.All(
                _number(1, 1000, 1), vol.Coerce(int)
            ),
            vol.Required(CONF_MESSAGE_TIMEOUT, default=defaults[CONF_MESSAGE_TIMEOUT]): vol.All(
                _number(0.1, 600, 0.1, "s"), vol.Coerce(float)
            ),
            vol.Required(
                CONF_DISCOVERY_INTERVAL, default=defaults[CONF_DISCOVERY_INTERVAL]
            ): vol.All(_number(0, 86400, 1, "s"), vol.Coerce(int)),
            vol.Required(CONF_RATE_LIMIT, default=defaults[CONF_RATE_LIMIT]): vol.All(
                _number(0, 1000, 0.1), vol.Coerce(float)
            ),
        }
    )


def parse_scan_input(
    user_input: Mapping[str, Any],
) -> tuple[dict[str, Any], dict[str, str], dict[str, str]]:
    """The typed addresses as lists; or errors per field with the bad value to show."""
    parsed: dict[str, Any] = dict(user_input)
    errors: dict[str, str] = {}
    placeholders: dict[str, str] = {"invalid": ""}
    for field in ADDRESS_FIELDS:
        try:
            parsed[field] = split_addresses(user_input.get(field, ""))
        except InvalidAddress as err:
            errors[field] = "invalid_address"
            placeholders["invalid"] = err.value
    if not errors and not (
        parsed[CONF_INTERFACE_BROADCASTS]
        or parsed[CONF_BROADCAST_ADDRESSES]
        or parsed[CONF_STATIC_HOSTS]
    ):
        errors["base"] = "nowhere_to_look"
    return parsed, errors, placeholders


def describe_found(devices: Mapping[str, DeviceData]) -> str:
    """A Markdown list of what answered: label, product name, serial, IP."""
    lines = []
    for serial, device in sorted(devices.items(), key=lambda item: (item[1][CONF_LABEL], item[0])):
        product = product_name(device.get(CONF_PRODUCT_ID)) or "unknown product"
        label = device.get(CONF_LABEL) or "(no label)"
        lines.append(f"- {label}: {product}, {serial}, {device[CONF_IP]}:{device[CONF_PORT]}")
    return "\n".join(lines)


class LifxScriptConfigFlow(ConfigFlow, domain=DOMAIN):
    """Scan, confirm, create the single hub entry; reconfigure rescans with new addresses."""

    VERSION = 1

    def __init__(self) -> None:
        self._options: dict[str, Any] = entry_options({})
        self._found: dict[str, DeviceData] = {}

    @staticmethod
    @callback
    def async_get_options_flow(config_entry: LifxScriptConfigEntry) -> LifxScriptOptionsFlow:
        """Limits, timings and addresses are options: changing them reloads the entry."""
        return LifxScriptOptionsFlow()

    async def _async_scan(
        self, user_input: Mapping[str, Any]
    ) -> tuple[dict[str, str], dict[str, str]]:
        """Parse and scan; errors and placeholders for the form, or self._found filled."""
        parsed, errors, placeholders = parse_scan_input(user_input)
        if errors:
            return errors, placeholders
        options = {**self._options, **parsed}
        try:
            found = await async_scan_network(self.hass, options)
        except CannotBind as err:
            placeholders["error"] = str(err)
            return {"base": "cannot_bind"}, placeholders
        except NowhereToLook:
            return {"base": "nowhere_to_look"}, placeholders
        except ScriptError as err:
            placeholders["error"] = str(err)
            return {"base": "scan_failed"}, placeholders
        if not found:
            return {"base": "no_devices_found"}, placeholders
        self._options = options
        self._found = found
        return {}, placeholders

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Where to look; submitting scans for a few seconds."""
        errors: dict[str, str] = {}
        placeholders: dict[str, str] = {"invalid": "", "error": ""}
        defaults = self._options
        if user_input is not None:
            errors, found_placeholders = await self._async_scan(user_input)
            placeholders.update(found_placeholders)
            if not errors:
                return await self.async_step_confirm()
            defaults = {**self._options, **_as_typed(user_input)}
        return self.async_show_form(
            step_id="user",
            data_schema=scan_schema(defaults),
            errors=errors,
            description_placeholders=placeholders,
        )

    async def async_step_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Show what answered; an empty submit creates the entry."""
        if user_input is not None:
            return self.async_create_entry(
                title=TITLE, data={CONF_DEVICES: self._found}, options=self._options
            )
        return self.async_show_form(
            step_id="confirm",
            description_placeholders={
                "count": str(len(self._found)),
                "devices": describe_found(self._found),
            },
        )

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Rescan with other addresses; found devices join the known ones, then reload."""
        entry = self._get_reconfigure_entry()
        current = entry_options(entry.options)
        errors: dict[str, str] = {}
        placeholders: dict[str, str] = {"invalid": "", "error": ""}
        defaults = current
        if user_input is not None:
            self._options = current
            errors, found_placeholders = await self._async_scan(user_input)
            placeholders.update(found_placeholders)
            if not errors:
                devices = {**entry.data.get(CONF_DEVICES, {}), **self._found}
                # The entry's update listener reloads it when options or devices changed.
                self.hass.config_entries.async_update_entry(
                    entry, data={**entry.data, CONF_DEVICES: devices}, options=self._options
                )
                return self.async_abort(reason="reconfigure_successful")
            defaults = {**current, **_as_typed(user_input)}
        return self.async_show_form(
            step_id="reconfigure",
            data_schema=scan_schema(defaults),
            errors=errors,
            description_placeholders=placeholders,
        )


def _as_typed(user_input: Mapping[str, Any]) -> dict[str, Any]:
    """Keep what the user typed (even if invalid) as the form's defaults after an error."""
    typed = dict(user_input)
    for field in ADDRESS_FIELDS:
        if field in typed:
            typed[field] = [typed[field]] if typed[field] else []
    return typed


class LifxScriptOptionsFlow(OptionsFlow):
    """All options in one form; addresses are checked, not scanned (discovery will)."""

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Show and save the options."""
        current = entry_options(self.config_entry.options)
        errors: dict[str, str] = {}
        placeholders: dict[str, str] = {"invalid": ""}
        defaults = current
        if user_input is not None:
            parsed, errors, placeholders = parse_scan_input(user_input)
            if not errors:
                return self.async_create_entry(data={**current, **parsed})
            defaults = {**current, **_as_typed(user_input)}
        return self.async_show_form(
            step_id="init",
            data_schema=options_schema(defaults),
            errors=errors,
            description_placeholders=placeholders,
        )
