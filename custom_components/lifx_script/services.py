"""The actions: `lifx_script.run` (any message, any devices) and `lifx_script.discover`.

Registered once in async_setup. Every check happens before the engine is called: the
targets (targets.py), the messages (build.py) and the call limits (const.py). A bad call
raises build.RefusedCall, a translated ServiceValidationError that the REST API answers with
HTTP 400, and sends nothing; device failures raise a translated HomeAssistantError unless the
caller asked for them in the response. `discover` changes the configuration: admins only.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from enum import Enum
from typing import Any

import voluptuous as vol
from homeassistant.auth.permissions.const import POLICY_CONTROL
from homeassistant.core import (
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
    callback,
)
from homeassistant.exceptions import HomeAssistantError, Unauthorized, UnknownUser
from homeassistant.helpers import config_validation as cv

from .build import (
    PipelineOptions,
    async_build_script,
    did_you_mean,
    invalid,
    reply_fields,
    show,
)
from .const import (
    CONF_FIRMWARE,
    CONF_IP,
    CONF_LABEL,
    CONF_PORT,
    CONF_PRODUCT_ID,
    DOMAIN,
    MAX_MESSAGES_PER_CALL,
    MAX_RESPONSE_REPLIES,
    MAX_SENDS_PER_CALL,
    SERVICE_DISCOVER,
    SERVICE_RUN,
)
from .engine import DeviceNotFound, Result, ScriptError, SessionClosed, TimedOut, Unsupported
from .hub import LifxScriptHub
from .products import capability_names, product_name
from .targets import TARGET_SCHEMA_FIELDS, normalise_serial, resolve_serials

# resolve_serials is the one way from call data to serials, for every action of this domain.
__all__ = ["normalise_serial", "resolve_serials"]

ATTR_MESSAGES = "messages"
ATTR_PIPELINE = "pipeline"
ATTR_SPREAD = "spread"
ATTR_SYNCHRONIZED = "synchronized"
ATTR_SHORT_CIRCUIT = "short_circuit_on_error"
ATTR_TIMEOUT = "timeout"
ATTR_LIMIT = "limit"
ATTR_RAISE_ON_ERROR = "raise_on_error"

MAX_ERRORS_SHOWN = 5
RESPONSE_CHUNK = 250


def _anything(value: Any) -> Any:
    """Messages are checked item by item by build.py, with errors that name the item."""
    return value


# The fields every action of this domain shares: where to send, how long, how many at once.
TARGET_AND_LIMIT_FIELDS: dict[Any, Any] = {
    **TARGET_SCHEMA_FIELDS,
    vol.Optional(ATTR_TIMEOUT): vol.All(vol.Coerce(float), vol.Range(min=0.05, max=3600)),
    vol.Optional(ATTR_LIMIT): vol.All(vol.Coerce(int), vol.Range(min=1, max=10000)),
}

RUN_SCHEMA = vol.Schema(
    {
        **TARGET_AND_LIMIT_FIELDS,
        vol.Optional(ATTR_MESSAGES): _anything,
        vol.Optional(ATTR_PIPELINE): _anything,
        vol.Optional(ATTR_SPREAD, default=0.0): vol.All(
            vol.Coerce(float), vol.Range(min=0, max=3600)
        ),
        vol.Optional(ATTR_SYNCHRONIZED, default=False): cv.boolean,
        vol.Optional(ATTR_SHORT_CIRCUIT, default=False): cv.boolean,
        vol.Optional(ATTR_RAISE_ON_ERROR, default=True): cv.boolean,
    }
)
DISCOVER_SCHEMA = vol.Schema({})


def call_data(data: Any) -> dict[str, Any]:
    """The schema Home Assistant applies before the action runs: call data is a mapping.

    Registered as the actions' schema so that a REST body such as ``[1, 2]`` is refused with
    this integration's words (HTTP 400) instead of failing inside Home Assistant (HTTP 500).
    The fields themselves are checked in the action, where errors can name them.
    """
    if not isinstance(data, Mapping):
        raise invalid("call_data_not_mapping", value=show(data))
    return dict(data)


CALL_DATA_SCHEMA = vol.Schema(call_data)


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
        reason = str(getattr(err, "msg", err))
        known = [str(key) for key in schema.schema] if isinstance(schema.schema, Mapping) else []
        if len(path) == 1 and known and field not in known:
            # an extra key, whatever the validation library calls it ("extra keys not
            # allowed"; newer: "not a valid option, did you mean ...")
            reason = f"not a field of this action{did_you_mean(field, known)}"
        raise invalid(
            "invalid_action_data", field=field, value=show(value), reason=reason
        ) from None
    return result


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


async def build_response(
    serials: list[str],
    results: list[Result],
    errors: list[BaseException],
    stats: dict[str, Any],
) -> dict[str, Any]:
    """{"results": {serial: [...]}, "errors": {serial: [...]}, "stats": {...}}.

    At most MAX_RESPONSE_REPLIES replies are returned; stats count them all and say how
    many were left out, so the response stays a bounded size. Decoding thousands of replies
    takes a while: the event loop gets a turn every RESPONSE_CHUNK replies.
    """
    by_serial: dict[str, list[dict[str, Any]]] = {serial: [] for serial in serials}
    for index, result in enumerate(results[:MAX_RESPONSE_REPLIES], start=1):
        by_serial.setdefault(str(result.pkt.serial), []).append(describe_packet(result.pkt))
        if index % RESPONSE_CHUNK == 0:
            await asyncio.sleep(0)
    errors_by_serial: dict[str, list[dict[str, Any]]] = {}
    for error in errors[:MAX_RESPONSE_REPLIES]:
        serial = getattr(error, "serial", None) or "unknown"
        errors_by_serial.setdefault(str(serial), []).append(describe_error(error))
    left_out = max(0, len(results) - MAX_RESPONSE_REPLIES) + max(
        0, len(errors) - MAX_RESPONSE_REPLIES
    )
    if left_out:
        stats = {**stats, "left_out": left_out}
    return {"results": by_serial, "errors": errors_by_serial, "stats": stats}


def summarise_errors(errors: list[BaseException]) -> tuple[list[str], str]:
    """The failing serials, each once, and "serial: reason, reason; ..." with each reason once."""
    reasons: dict[str, dict[str, None]] = {}
    for error in errors:
        serial = str(getattr(error, "serial", None) or "unknown")
        reasons.setdefault(serial, {})[_reason(error)] = None
    lines = [f"{serial}: {', '.join(found)}" for serial, found in reasons.items()]
    shown = "; ".join(lines[:MAX_ERRORS_SHOWN])
    if len(lines) > MAX_ERRORS_SHOWN:
        shown += f"; and {len(lines) - MAX_ERRORS_SHOWN} more"
    return list(reasons), shown


def raise_for_errors(errors: list[BaseException], replies: int) -> None:
    """One HomeAssistantError naming each failing serial once, and why.

    When some replies did arrive, the message says how to get them: with the default
    raise_on_error they are lost with the failed call.
    """
    serials, shown = summarise_errors(errors)
    key = "device_error" if len(serials) == 1 else "device_errors"
    if replies:
        key += "_with_replies"
    raise HomeAssistantError(
        translation_domain=DOMAIN,
        translation_key=key,
        translation_placeholders={
            "count": str(len(serials)),
            "errors": shown,
            "replies": str(replies),
        },
    )


def check_limits(messages: int, devices: int) -> None:
    """Refuse, before anything is sent, a call bigger than a home needs (see const.py)."""
    if messages > MAX_MESSAGES_PER_CALL:
        raise invalid("too_many_messages", count=str(messages), limit=str(MAX_MESSAGES_PER_CALL))
    if messages * devices > MAX_SENDS_PER_CALL:
        raise invalid(
            "too_many_sends",
            messages=str(messages),
            devices=str(devices),
            count=str(messages * devices),
            limit=str(MAX_SENDS_PER_CALL),
        )


async def async_run(call: ServiceCall) -> ServiceResponse:
    """Validate and build everything, then send it and report per serial."""
    data = validate(RUN_SCHEMA, call.data)
    serials = resolve_serials(call.hass, data)
    built = await async_build_script(
        data.get(ATTR_MESSAGES),
        data.get(ATTR_PIPELINE),
        PipelineOptions(
            spread=data[ATTR_SPREAD],
            short_circuit_on_error=data[ATTR_SHORT_CIRCUIT],
            synchronized=data[ATTR_SYNCHRONIZED],
        ),
        max_messages=MAX_MESSAGES_PER_CALL,
    )
    check_limits(built.count, len(serials))
    hub = loaded_hub(call.hass)
    results, errors, elapsed = await hub.async_run(
        built.script, serials, message_timeout=data.get(ATTR_TIMEOUT), limit=data.get(ATTR_LIMIT)
    )
    if any(isinstance(error, SessionClosed) for error in errors):
        raise HomeAssistantError(translation_domain=DOMAIN, translation_key="session_closed")
    if errors and data[ATTR_RAISE_ON_ERROR]:
        raise_for_errors(errors, len(results))
    if not call.return_response:
        return None
    stats = {
        "devices": len(serials),
        "messages": built.count * len(serials),
        "replies": len(results),
        "errors": len(errors),
        "seconds": round(elapsed, 3),
    }
    return await build_response(serials, results, errors, stats)


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


async def require_admin(call: ServiceCall) -> None:
    """Refuse a non-administrator: the action changes the configuration.

    The check of Home Assistant's admin service helper, which cannot register an action
    that returns a response. Calls without a user (automations, scripts) are the system's.
    """
    user_id = call.context.user_id
    if user_id is None:
        return
    user = await call.hass.auth.async_get_user(user_id)
    if user is None:
        raise UnknownUser(context=call.context, user_id=user_id, permission=POLICY_CONTROL)
    if not user.is_admin:
        raise Unauthorized(context=call.context, user_id=user_id, permission=POLICY_CONTROL)


async def async_discover(call: ServiceCall) -> ServiceResponse:
    """Scan now; new devices join the registry and the config entry at once (admins only)."""
    await require_admin(call)
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
        DOMAIN,
        SERVICE_RUN,
        async_run,
        schema=CALL_DATA_SCHEMA,
        supports_response=SupportsResponse.OPTIONAL,
    )
    hass.services.async_register(
        DOMAIN,
        SERVICE_DISCOVER,
        async_discover,
        schema=CALL_DATA_SCHEMA,
        supports_response=SupportsResponse.OPTIONAL,
    )
    from .control_actions import async_setup_control_actions  # here: it imports this module

    async_setup_control_actions(hass)
