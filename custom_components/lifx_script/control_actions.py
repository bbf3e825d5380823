"""The actions `lifx_script.transform` and `lifx_script.query` (photons' transform and gatherer).

Same targets and shared limits as `run`. Everything is checked before anything is sent: a bad
call raises a translated ServiceValidationError. Device failures are per device: transform
raises for them unless raise_on_error is off; query returns them in the response.
"""

from __future__ import annotations

import json
import time
import weakref
from typing import Any

import voluptuous as vol
from homeassistant.components import persistent_notification
from homeassistant.core import (
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
    callback,
)
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import config_validation as cv

from .build import invalid
from .const import DOMAIN
from .engine import InvalidScript, LightMessages, SessionClosed
from .engine.control import Gatherer, TransformState
from .engine.control.planner import ALIASES, PLAN_NAMES, SUMMARY_PLANS, plan_values_jsonable
from .engine.control.transform import MAX_DURATION, transform_node
from .hub import LifxScriptHub
from .services import (
    ATTR_LIMIT,
    ATTR_RAISE_ON_ERROR,
    ATTR_TIMEOUT,
    CALL_DATA_SCHEMA,
    TARGET_AND_LIMIT_FIELDS,
    describe_error,
    describe_packet,
    loaded_hub,
    raise_for_errors,
    resolve_serials,
    validate,
)

SERVICE_TRANSFORM = "transform"
SERVICE_QUERY = "query"

ATTR_POWER = "power"
ATTR_COLOR = "color"
ATTR_HUE = "hue"
ATTR_SATURATION = "saturation"
ATTR_BRIGHTNESS = "brightness"
ATTR_KELVIN = "kelvin"
ATTR_DURATION = "duration"
ATTR_KEEP_BRIGHTNESS = "keep_brightness"
ATTR_TRANSITION_COLOR = "transition_color"
ATTR_PLANS = "plans"
ATTR_NOTIFY = "notify"
NOTIFY_VALUE_CHARS = 240

# run's targets, timeout and limit, validators and all; raise_on_error as run has it for transform
TARGET_AND_LIMITS: dict[Any, Any] = {
    **TARGET_AND_LIMIT_FIELDS,
    vol.Optional(ATTR_RAISE_ON_ERROR, default=True): cv.boolean,
}

_FRACTION = vol.All(vol.Coerce(float), vol.Range(min=0, max=1))
POWER_CHOICES = ("on", "off", "toggle")


def power_choice(value: Any) -> str:
    """on, off or toggle; YAML's unquoted on/off arrive as booleans."""
    if isinstance(value, bool):
        return "on" if value else "off"
    text = cv.string(value).strip().lower()
    if text not in POWER_CHOICES:
        raise vol.Invalid("expected on, off or toggle")
    return text


TRANSFORM_SCHEMA = vol.Schema(
    {
        **TARGET_AND_LIMITS,
        vol.Optional(ATTR_POWER): power_choice,
        vol.Optional(ATTR_COLOR): cv.string,
        vol.Optional(ATTR_HUE): vol.All(vol.Coerce(float), vol.Range(min=0, max=360)),
        vol.Optional(ATTR_SATURATION): _FRACTION,
        vol.Optional(ATTR_BRIGHTNESS): _FRACTION,
        vol.Optional(ATTR_KELVIN): vol.All(vol.Coerce(int), vol.Range(min=1500, max=9000)),
        vol.Optional(ATTR_DURATION): vol.All(vol.Coerce(float), vol.Range(min=0, max=MAX_DURATION)),
        vol.Optional(ATTR_KEEP_BRIGHTNESS, default=False): cv.boolean,
        vol.Optional(ATTR_TRANSITION_COLOR, default=False): cv.boolean,
    }
)

PLAN_CHOICES = sorted({*PLAN_NAMES, *ALIASES})
QUERY_SCHEMA = vol.Schema(
    {
        **{k: v for k, v in TARGET_AND_LIMITS.items() if str(k) != ATTR_RAISE_ON_ERROR},
        vol.Optional(ATTR_PLANS, default=list(SUMMARY_PLANS)): vol.All(
            cv.ensure_list, vol.Length(min=1), [vol.All(cv.string, vol.Lower, vol.In(PLAN_CHOICES))]
        ),
        # a query reports device errors in its response unless asked to fail
        vol.Optional(ATTR_RAISE_ON_ERROR, default=False): cv.boolean,
        # also (or instead of a response) show the results as a notification (the demo)
        vol.Optional(ATTR_NOTIFY, default=False): cv.boolean,
    }
)

_STATE_KEYS = (
    ATTR_POWER,
    ATTR_COLOR,
    ATTR_HUE,
    ATTR_SATURATION,
    ATTR_BRIGHTNESS,
    ATTR_KELVIN,
    ATTR_DURATION,
)

# one gatherer per hub, so each device's product and firmware are read once
_GATHERERS: weakref.WeakKeyDictionary[LifxScriptHub, Gatherer] = weakref.WeakKeyDictionary()


def gatherer_for(hub: LifxScriptHub) -> Gatherer:
    gatherer = _GATHERERS.get(hub)
    if gatherer is None or gatherer.target is not hub.sender.target:
        gatherer = _GATHERERS[hub] = Gatherer(hub.sender.target)
    return gatherer


def _errors_by_serial(errors: list[BaseException]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for error in errors:
        serial = str(getattr(error, "serial", None) or "unknown")
        out.setdefault(serial, []).append(describe_error(error))
    return out


def _check_session(errors: list[BaseException]) -> None:
    if any(isinstance(error, SessionClosed) for error in errors):
        raise HomeAssistantError(translation_domain=DOMAIN, translation_key="session_closed")


async def _gather(
    hub: LifxScriptHub,
    plans: list[str],
    serials: list[str],
    message_timeout: float,
    limit: int | None,
    errors: list[BaseException],
) -> dict[str, dict[str, Any]]:
    try:
        gathered = await gatherer_for(hub).gather_all(
            plans,
            serials,
            sender=hub.sender,
            limit=(hub.semaphore, limit),
            message_timeout=message_timeout,
            find_timeout=message_timeout,
            error_catcher=errors,
        )
    except SessionClosed as err:
        raise HomeAssistantError(
            translation_domain=DOMAIN, translation_key="session_closed"
        ) from err
    # a device that answered nothing is in the errors only
    return {serial: info for serial, (_, info) in gathered.items() if info}


async def async_transform(call: ServiceCall) -> ServiceResponse:
    """Reach a power and colour state on each device without a flash of its old colour."""
    data = validate(TRANSFORM_SCHEMA, call.data)
    state = {key: data[key] for key in _STATE_KEYS if key in data}
    try:
        request = TransformState.parse(
            state,
            keep_brightness=data[ATTR_KEEP_BRIGHTNESS],
            transition_color=data[ATTR_TRANSITION_COLOR],
        )
    except InvalidScript as err:
        raise invalid("invalid_transform", reason=str(err)) from None
    serials = resolve_serials(call.hass, data)
    hub = loaded_hub(call.hass)
    timeout = data.get(ATTR_TIMEOUT) or hub.message_timeout
    results, errors, elapsed = await hub.async_run(
        transform_node(request), serials, message_timeout=timeout, limit=data.get(ATTR_LIMIT)
    )
    _check_session(errors)
    if errors and data[ATTR_RAISE_ON_ERROR]:
        raise_for_errors(errors, len(results))
    if not call.return_response:
        return None
    sent: dict[str, list[dict[str, Any]]] = {serial: [] for serial in serials}
    for result in results:
        if result.original | LightMessages.GetColor:
            continue
        sent.setdefault(str(result.pkt.serial), []).append(describe_packet(result.original))
    failed = {str(getattr(error, "serial", None)) for error in errors}
    done = [serial for serial in serials if serial not in failed]
    read_errors: list[BaseException] = []
    final = (
        await _gather(hub, ["power", "color"], done, timeout, data.get(ATTR_LIMIT), read_errors)
        if done
        else {}
    )
    _check_session(read_errors)
    response: dict[str, Any] = {
        "results": {
            serial: {"sent": sent.get(serial, []), "state": final.get(serial)} for serial in serials
        },
        "errors": _errors_by_serial(errors + read_errors),
        "stats": {
            "devices": len(serials),
            "messages": sum(len(items) for items in sent.values()),
            "errors": len(errors),
            "seconds": round(elapsed, 3),
        },
    }
    return response


async def async_query(call: ServiceCall) -> ServiceResponse:
    """Named facts per device (photons' gatherer plans), in human units, JSON-friendly."""
    data = validate(QUERY_SCHEMA, call.data)
    if not call.return_response and not data[ATTR_NOTIFY]:
        raise invalid("query_needs_response")
    serials = resolve_serials(call.hass, data)
    hub = loaded_hub(call.hass)
    timeout = data.get(ATTR_TIMEOUT) or hub.message_timeout
    errors: list[BaseException] = []
    started = time.monotonic()
    found = await _gather(hub, data[ATTR_PLANS], serials, timeout, data.get(ATTR_LIMIT), errors)
    elapsed = time.monotonic() - started
    _check_session(errors)
    if errors and data[ATTR_RAISE_ON_ERROR]:
        raise_for_errors(errors, len(found))
    results = {serial: plan_values_jsonable(found[serial]) for serial in serials if serial in found}
    response: dict[str, Any] = {
        "results": results,
        "errors": _errors_by_serial(errors),
        "stats": {
            "devices": len(serials),
            "answered": len(results),
            "errors": len(errors),
            "seconds": round(elapsed, 3),
        },
    }
    if data[ATTR_NOTIFY]:
        persistent_notification.async_create(
            call.hass,
            notification_text(response),
            title="LIFX Script query",
            notification_id=f"{DOMAIN}_query",
        )
    return response if call.return_response else None


def notification_text(response: dict[str, Any]) -> str:
    """The query's results as short Markdown lines, each value cut to a readable length."""
    lines: list[str] = []
    for serial, values in response["results"].items():
        lines.append(f"**{serial}**")
        for plan, value in values.items():
            text = value if isinstance(value, str) else json.dumps(value)
            if len(text) > NOTIFY_VALUE_CHARS:
                text = text[: NOTIFY_VALUE_CHARS - 1] + "…"
            lines.append(f"- {plan}: `{text}`")
    for serial, errors in response["errors"].items():
        lines.append(f"**{serial}**: " + "; ".join(e["message"] for e in errors))
    return "\n".join(lines) or "No device answered."


@callback
def async_setup_control_actions(hass: HomeAssistant) -> None:
    """Register both; query needs a response (or notify) to be of any use."""
    hass.services.async_register(
        DOMAIN,
        SERVICE_TRANSFORM,
        async_transform,
        schema=CALL_DATA_SCHEMA,
        supports_response=SupportsResponse.OPTIONAL,
    )
    hass.services.async_register(
        DOMAIN,
        SERVICE_QUERY,
        async_query,
        schema=CALL_DATA_SCHEMA,
        supports_response=SupportsResponse.OPTIONAL,
    )
