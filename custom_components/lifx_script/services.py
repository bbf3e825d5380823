"""The actions: `lifx_script.run` (any message, any devices) and `lifx_script.discover`.

Registered once in async_setup. Every check happens before the engine is called: a bad call
raises a translated ServiceValidationError and sends nothing; device failures raise a
translated HomeAssistantError unless the caller asked for them in the response.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from enum import Enum
from typing import Any

import voluptuous as vol
from homeassistant.const import ATTR_DEVICE_ID
from homeassistant.core import (
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
    callback,
)
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers import device_registry as dr

from .build import PipelineOptions, build_script, invalid, reply_fields, show
from .const import (
    CONF_FIRMWARE,
    CONF_IP,
    CONF_LABEL,
    CONF_PORT,
    CONF_PRODUCT_ID,
    DOMAIN,
    SERVICE_DISCOVER,
    SERVICE_RUN,
)
from .engine import DeviceNotFound, Result, ScriptError, SessionClosed, TimedOut, Unsupported
from .hub import LifxScriptHub
from .products import capability_names, product_name

ATTR_SERIALS = "serials"
ATTR_MESSAGES = "messages"
ATTR_PIPELINE = "pipeline"
ATTR_SPREAD = "spread"
ATTR_SYNCHRONIZED = "synchronized"
ATTR_SHORT_CIRCUIT = "short_circuit_on_error"
ATTR_TIMEOUT = "timeout"
ATTR_LIMIT = "limit"
ATTR_RAISE_ON_ERROR = "raise_on_error"

SERIAL_RE = re.compile(r"^[0-9a-f]{12}$")
MAX_ERRORS_SHOWN = 5


def _anything(value: Any) -> Any:
    """Messages are checked item by item by build.py, with errors that name the item."""
    return value


RUN_SCHEMA = vol.Schema(
    {
        vol.Optional(ATTR_DEVICE_ID): vol.All(cv.ensure_list, [cv.string]),
        vol.Optional(ATTR_SERIALS): vol.All(cv.ensure_list, [cv.string]),
        vol.Optional(ATTR_MESSAGES): _anything,
        vol.Optional(ATTR_PIPELINE): _anything,
        vol.Optional(ATTR_SPREAD, default=0.0): vol.All(
            vol.Coerce(float), vol.Range(min=0, max=3600)
        ),
        vol.Optional(ATTR_SYNCHRONIZED, default=False): cv.boolean,
        vol.Optional(ATTR_SHORT_CIRCUIT, default=False): cv.boolean,
        vol.Optional(ATTR_TIMEOUT): vol.All(vol.Coerce(float), vol.Range(min=0.05, max=3600)),
        vol.Optional(ATTR_LIMIT): vol.All(vol.Coerce(int), vol.Range(min=1, max=10000)),
        vol.Optional(ATTR_RAISE_ON_ERROR, default=True): cv.boolean,
    }
)
DISCOVER_SCHEMA = vol.Schema({})


def validate(schema: vol.Schema, data: Mapping[str, Any]) -> dict[str, Any]:
    """Apply a schema, turning voluptuous' error into a translated one naming the field."""
    try:
        result: dict[str, Any] = schema(dict(data))
    except vol.Invalid as err:
        path = getattr(err, "path", None) or []
        field = ".".join(str(part) for part in path) or "?"
        value: Any = data
        for part in path:
            if isinstance(value, Mapping):
                value = value.get(part)
            elif isinstance(value, list | tuple) and isinstance(part, int) and part < len(value):
                value = value[part]
            else:
                value = None
        raise invalid(
            "invalid_action_data",
            field=field,
            value=show(value),
            reason=str(getattr(err, "msg", err)),
        ) from None
    return result


def normalise_serial(text: str) -> str:
    """Accept "D0:73:D5:00:00:01" as well as "d073d5000001"."""
    serial = text.strip().lower().replace(":", "").replace("-", "")
    if not SERIAL_RE.match(serial):
        raise invalid("invalid_serial", value=show(text))
    return serial


@callback
def resolve_serials(hass: HomeAssistant, data: Mapping[str, Any]) -> list[str]:
    """The call's devices and serials as one ordered list; unknown devices are refused."""
    registry = dr.async_get(hass)
    serials: list[str] = []
    for device_id in data.get(ATTR_DEVICE_ID, []):
        device = registry.async_get(device_id)
        ours = [ident for domain, ident in device.identifiers if domain == DOMAIN] if device else []
        if not ours:
            raise invalid("unknown_device", value=show(device_id))
        serials.extend(ours)
    serials.extend(normalise_serial(text) for text in data.get(ATTR_SERIALS, []))
    if not serials:
        raise invalid("no_target")
    return list(dict.fromkeys(serials))


@callback
def loaded_hub(hass: HomeAssistant) -> LifxScriptHub:
    """The loaded entry's hub; actions exist before and after, so say why they cannot run."""
    entries = hass.config_entries.async_loaded_entries(DOMAIN)
    if not entries:
        raise invalid("not_loaded")
    hub: LifxScriptHub = entries[0].runtime_data
    return hub


def jsonable(value: Any) -> Any:
    """Make engine values safe for response_variable and Developer Tools."""
    if isinstance(value, Enum):
        return value.name
    if isinstance(value, Mapping):
        return {str(key): jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(item) for item in value]
    if isinstance(value, bytes | bytearray):
        return value.hex()
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def describe_packet(pkt: Any) -> dict[str, Any]:
    """A reply as the response shows it: its type, pkt_type and human fields."""
    return {"type": pkt.name, "pkt_type": int(pkt.pkt_type), **jsonable(reply_fields(pkt))}


def error_kind(error: BaseException) -> str:
    """A stable machine-readable reason for automations to test."""
    if isinstance(error, TimedOut):
        return "timed_out"
    if isinstance(error, DeviceNotFound):
        return "not_found"
    if isinstance(error, Unsupported):
        return "unsupported"
    if isinstance(error, SessionClosed):
        return "session_closed"
    return "failed"


def _reason(error: BaseException) -> str:
    """The short reason used in the raised error's text."""
    kind = error_kind(error)
    name = getattr(error, "name", None)
    if kind == "timed_out":
        return f"{name or 'message'} timed out"
    if kind == "not_found":
        return "not found"
    if kind == "unsupported":
        return f"{name or 'message'} unsupported"
    return str(error)


def describe_error(error: BaseException) -> dict[str, Any]:
    """An error as the response shows it."""
    described: dict[str, Any] = {"error": error_kind(error), "message": str(error)}
    name = getattr(error, "name", None)
    pkt_type = getattr(error, "pkt_type", None)
    if name:
        described["type"] = name
    if pkt_type is not None:
        described["pkt_type"] = int(pkt_type)
    return described


def build_response(
    serials: list[str],
    results: list[Result],
    errors: list[BaseException],
    stats: dict[str, Any],
) -> dict[str, Any]:
    """{"results": {serial: [...]}, "errors": {serial: [...]}, "stats": {...}}."""
    by_serial: dict[str, list[dict[str, Any]]] = {serial: [] for serial in serials}
    for result in results:
        by_serial.setdefault(str(result.pkt.serial), []).append(describe_packet(result.pkt))
    errors_by_serial: dict[str, list[dict[str, Any]]] = {}
    for error in errors:
        serial = getattr(error, "serial", None) or "unknown"
        errors_by_serial.setdefault(str(serial), []).append(describe_error(error))
    return {"results": by_serial, "errors": errors_by_serial, "stats": stats}


def raise_for_errors(errors: list[BaseException]) -> None:
    """One HomeAssistantError naming the failing serials and why."""
    lines = [f"{getattr(e, 'serial', None) or 'unknown'}: {_reason(e)}" for e in errors]
    shown = "; ".join(lines[:MAX_ERRORS_SHOWN])
    if len(lines) > MAX_ERRORS_SHOWN:
        shown += f"; and {len(lines) - MAX_ERRORS_SHOWN} more"
    serials = sorted({str(getattr(e, "serial", None) or "unknown") for e in errors})
    raise HomeAssistantError(
        translation_domain=DOMAIN,
        translation_key="device_errors",
        translation_placeholders={
            "count": str(len(errors)),
            "serials": ", ".join(serials),
            "errors": shown,
        },
    )


async def async_run(call: ServiceCall) -> ServiceResponse:
    """Validate and build everything, then send it and report per serial."""
    data = validate(RUN_SCHEMA, call.data)
    serials = resolve_serials(call.hass, data)
    built = build_script(
        data.get(ATTR_MESSAGES),
        data.get(ATTR_PIPELINE),
        PipelineOptions(
            spread=data[ATTR_SPREAD],
            short_circuit_on_error=data[ATTR_SHORT_CIRCUIT],
            synchronized=data[ATTR_SYNCHRONIZED],
        ),
    )
    hub = loaded_hub(call.hass)
    results, errors, elapsed = await hub.async_run(
        built.script, serials, message_timeout=data.get(ATTR_TIMEOUT), limit=data.get(ATTR_LIMIT)
    )
    if any(isinstance(error, SessionClosed) for error in errors):
        raise HomeAssistantError(translation_domain=DOMAIN, translation_key="session_closed")
    if errors and data[ATTR_RAISE_ON_ERROR]:
        raise_for_errors(errors)
    if not call.return_response:
        return None
    stats = {
        "devices": len(serials),
        "messages": built.count * len(serials),
        "replies": len(results),
        "errors": len(errors),
        "seconds": round(elapsed, 3),
    }
    return build_response(serials, results, errors, stats)


def describe_devices(devices: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """Found devices as the discover action returns them."""
    return {
        serial: {
            "label": device.get(CONF_LABEL, ""),
            "ip": device[CONF_IP],
            "port": device[CONF_PORT],
            "product_id": device.get(CONF_PRODUCT_ID),
            "product": product_name(device.get(CONF_PRODUCT_ID)),
            "firmware": device.get(CONF_FIRMWARE),
            "capabilities": capability_names(
                device.get(CONF_PRODUCT_ID), device.get(CONF_FIRMWARE)
            ),
        }
        for serial, device in sorted(devices.items())
    }


async def async_discover(call: ServiceCall) -> ServiceResponse:
    """Scan now; new devices join the registry at once."""
    validate(DISCOVER_SCHEMA, call.data)
    hub = loaded_hub(call.hass)
    try:
        found = await hub.async_discover()
    except SessionClosed as err:
        raise HomeAssistantError(
            translation_domain=DOMAIN, translation_key="session_closed"
        ) from err
    except (ScriptError, OSError) as err:
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="discovery_failed",
            translation_placeholders={"error": str(err)},
        ) from err
    if not call.return_response:
        return None
    return {"count": len(found), "devices": describe_devices(found)}


@callback
def async_setup_services(hass: HomeAssistant) -> None:
    """Register both actions; they raise a clear error while no entry is loaded."""
    hass.services.async_register(
        DOMAIN, SERVICE_RUN, async_run, supports_response=SupportsResponse.OPTIONAL
    )
    hass.services.async_register(
        DOMAIN, SERVICE_DISCOVER, async_discover, supports_response=SupportsResponse.OPTIONAL
    )
    from .control_actions import async_setup_control_actions  # here: it imports this module

    async_setup_control_actions(hass)
