"""Turn the `messages` / `pipeline` of an action call into engine messages, or refuse it.

Everything is validated and built here before anything is sent, so a bad item anywhere in a
long pipeline means no packet at all; the error names the item (its path in the call), the
field and the value so the user can fix it without reading a log.

Nesting alternates: `messages` is sent in parallel and a list inside it is a pipeline (in
order); `pipeline` is sent in order and a list inside it is sent in parallel; and so on down.
"""

from __future__ import annotations

import asyncio
import difflib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError

from .const import (
    ACTION_HEADER_FIELDS,
    ACTION_TO_PAYLOAD_FIELD,
    DOMAIN,
    PAYLOAD_TO_ACTION_FIELD,
)
from .engine import Message, Messages, Pipeline, UnknownMessageError, ValidationError

MAX_DEPTH = 8
# Messages built between two turns of the event loop: a Set64 of 64 colours takes about
# 0.1 ms, and a 5-tile chain painted for 100 frames is 500 of them (50 ms in one go).
BUILD_SLICE = 50

# The codec names a scaled field's range by its unit and adds the wire value it computed;
# the user wrote human units, so the reason is said in those.
_WIRE_RANGE = re.compile(r"out of range for (?P<unit>.+?) \(wire value -?\d+\)")
_HUMAN_RANGES = {
    "fraction 0..1": "must be from 0 to 1",
    "skew ratio 0..1": "must be from 0 to 1",
    "hue degrees": "must be a hue in degrees",
    "seconds (uint32 ms)": "must be from 0 to 4294967.295 seconds (about 49 days)",
    "seconds (uint64 ns)": "must be from 0 to about 18 billion seconds",
}


@dataclass(frozen=True, slots=True)
class PipelineOptions:
    """The call's pipeline options, applied to every pipeline it builds."""

    spread: float = 0.0
    short_circuit_on_error: bool = False
    synchronized: bool = False


@dataclass(slots=True)
class Built:
    """What the engine is given, and how many messages it holds (per device)."""

    script: Any
    count: int


def show(value: Any, limit: int = 80) -> str:
    """A value as the user wrote it (JSON-ish), cut short so an error stays readable."""
    if isinstance(value, str | bytes) and len(value) > limit * 2:
        value = value[: limit * 2]  # a 10 MB label is not serialised whole to show 80 characters
    try:
        text = json.dumps(value, default=str, ensure_ascii=False)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= limit else f"{text[: limit - 1]}…"


class RefusedCall(ServiceValidationError, web.HTTPBadRequest):
    """A call refused before anything is sent: translated for the UI, HTTP 400 over REST.

    The websocket API (Developer Tools, the automation editor) shows a ServiceValidationError
    with its translation. Home Assistant 2025.4's REST API turns only ``vol.Invalid`` into 400,
    and then with a bare "400: Bad Request" body; anything else becomes 500 with a logged
    traceback. An aiohttp HTTP exception that leaves the view is sent as the answer instead,
    unlogged, so the error is also an ``HTTPBadRequest`` carrying the same English text as JSON
    (``{"message": ...}``, the body Home Assistant's own 400 answers use). Home Assistant 2026.10
    answers a ServiceValidationError with that same 400 body itself, before it leaves the view.
    """

    def __init__(self, key: str, placeholders: dict[str, str]) -> None:
        # The two bases do not share __init__ cooperatively: set up each one by hand.
        web.HTTPBadRequest.__init__(self, content_type="application/json")
        self.translation_domain = DOMAIN
        self.translation_key = key
        self.translation_placeholders = placeholders
        self.generate_message = True
        self.args = (key,)
        try:
            message = str(self)
        except HomeAssistantError:  # no running Home Assistant to translate with
            message = key
        self.text = json.dumps({"message": message}, ensure_ascii=False)

    def __str__(self) -> str:
        """The translated English message (HTTPException's own __str__ is the reason)."""
        return ServiceValidationError.__str__(self)


def invalid(key: str, **placeholders: str) -> RefusedCall:
    """A translated validation error of this integration (HTTP 400 over REST)."""
    return RefusedCall(key, placeholders)


def human_reason(reason: str) -> str:
    """The codec's reason without wire values: "out of range ... (wire value 131070)" -> units."""
    match = _WIRE_RANGE.search(reason)
    if not match:
        return reason
    unit = match["unit"]
    return _HUMAN_RANGES.get(unit, f"out of range for {unit}")


def did_you_mean(word: str, known: Iterable[str]) -> str:
    """ " (did you mean SetColor?)" for a near miss, else ""; case is ignored."""
    by_lower = {name.lower(): name for name in known}
    close = difflib.get_close_matches(word.lower(), list(by_lower), n=1, cutoff=0.6)
    return f" (did you mean {by_lower[close[0]]}?)" if close else ""


def message_names() -> list[str]:
    """Every message name the codec knows."""
    return [cls.name for cls in Messages.all()]


def action_field(cls: Any, field: str) -> str:
    """A payload field's name as the action spells it (``type`` -> ``effect_type``)."""
    head, dot, rest = field.partition(".")
    if head in PAYLOAD_TO_ACTION_FIELD and head in cls.field_names:
        return PAYLOAD_TO_ACTION_FIELD[head] + dot + rest
    return field


def reply_fields(pkt: Message) -> dict[str, Any]:
    """A decoded packet's fields under the names the action uses."""
    fields = pkt.as_dict()
    for payload_name, action_name in PAYLOAD_TO_ACTION_FIELD.items():
        if payload_name in fields:
            fields[action_name] = fields.pop(payload_name)
    return fields


def build_message(item: Any, path: str) -> Message:
    """One message: a name ("GetPower"), a pkt_type (101) or a mapping with `type`."""
    if isinstance(item, Mapping):
        fields = dict(item)
        if "type" not in fields:
            raise invalid("missing_message_type", item=path, value=show(item))
        kind = fields.pop("type")
    elif isinstance(item, str | int) and not isinstance(item, bool):
        kind, fields = item, {}
    else:
        raise invalid("invalid_message_item", item=path, value=show(item))
    bad_keys = [key for key in fields if not isinstance(key, str)]
    if bad_keys:
        raise invalid(
            "invalid_message_field",
            item=path,
            message=show(kind),
            field=show(bad_keys[0]),
            value=show(fields[bad_keys[0]]),
            reason="field names are text",
        )
    try:
        cls = Messages.lookup(kind)
    except UnknownMessageError:
        hint = did_you_mean(kind, message_names()) if isinstance(kind, str) else ""
        raise invalid("unknown_message_type", item=path, value=show(kind), hint=hint) from None
    payload_names = set(cls.field_names)
    for action_name, payload_name in ACTION_TO_PAYLOAD_FIELD.items():
        if payload_name in payload_names and action_name in fields:
            fields[payload_name] = fields.pop(action_name)
    for key in fields:
        if key not in payload_names and key not in ACTION_HEADER_FIELDS:
            known = [
                *(action_field(cls, name) for name in cls.field_names),
                "ack_required",
                "res_required",
            ]
            raise invalid(
                "invalid_message_field",
                item=path,
                message=cls.name,
                field=key,
                value=show(fields[key]),
                reason=f"unknown field{did_you_mean(key, known)}; the fields are "
                + ", ".join(known),
            )
    try:
        return cls(**fields)
    except ValidationError as err:
        field = action_field(cls, err.field) if err.field else "type"
        value = err.value if err.field else kind
        raise invalid(
            "invalid_message_field",
            item=path,
            message=cls.name,
            field=field,
            value=show(value),
            reason=human_reason(err.reason),
        ) from None
    except (TypeError, ValueError) as err:
        # Defensive: the codec promises ValidationError; never let bad input escape untranslated.
        raise invalid(
            "invalid_message_field",
            item=path,
            message=cls.name,
            field="?",
            value=show(item),
            reason=str(err),
        ) from None


def _build_node(
    item: Any,
    path: str,
    parallel: bool,
    opts: PipelineOptions,
    depth: int,
    prebuilt: Mapping[str, Message],
) -> Built:
    """A message, or a nested list whose kind (parallel or in order) alternates with depth."""
    if isinstance(item, list | tuple):
        return _build_group(list(item), path, not parallel, opts, depth + 1, prebuilt)
    msg = prebuilt.get(path)
    return Built(build_message(item, path) if msg is None else msg, 1)


def _build_group(
    items: list[Any],
    path: str,
    parallel: bool,
    opts: PipelineOptions,
    depth: int,
    prebuilt: Mapping[str, Message],
) -> Built:
    """A parallel list or a Pipeline of the built children."""
    if depth > MAX_DEPTH:
        raise invalid("nesting_too_deep", item=path, depth=str(MAX_DEPTH))
    if not items:
        raise invalid("empty_message_list", item=path)
    children = [
        _build_node(child, f"{path}[{index}]", parallel, opts, depth, prebuilt)
        for index, child in enumerate(items)
    ]
    count = sum(child.count for child in children)
    scripts = [child.script for child in children]
    if parallel:
        return Built(scripts, count)
    return Built(
        Pipeline(
            *scripts,
            spread=opts.spread,
            short_circuit_on_error=opts.short_circuit_on_error,
            synchronized=opts.synchronized,
        ),
        count,
    )


def count_messages(items: Any, stop_after: int) -> int:
    """How many messages a call holds, counting no further than stop_after (cheap, unbuilt)."""
    count = 0
    stack = [items]
    while stack and count <= stop_after:
        item = stack.pop()
        if isinstance(item, list | tuple):
            stack.extend(item)
        else:
            count += 1
    return count


def _checked_root(
    messages: Any | None, pipeline: Any | None, max_messages: int | None
) -> tuple[list[Any], str, bool]:
    """The call's top-level items, their path and whether they run in parallel.

    Over max_messages the call is refused here, before any message is built.
    """
    if messages is not None and pipeline is not None:
        raise invalid("messages_and_pipeline")
    if messages is None and pipeline is None:
        raise invalid("no_messages")
    if max_messages is not None:
        count = count_messages(messages if messages is not None else pipeline, max_messages)
        if count > max_messages:
            raise invalid(
                "too_many_messages", count=f"more than {max_messages}", limit=str(max_messages)
            )
    if messages is not None:
        items = messages if isinstance(messages, list | tuple) else [messages]
        return list(items), "messages", True
    items = pipeline if isinstance(pipeline, list | tuple) else [pipeline]
    return list(items), "pipeline", False


def build_script(
    messages: Any | None,
    pipeline: Any | None,
    opts: PipelineOptions | None = None,
    max_messages: int | None = None,
) -> Built:
    """Build the call's script: `messages` (parallel) or `pipeline` (in order), not both.

    Over max_messages the call is refused before any message is built.
    """
    items, path, parallel = _checked_root(messages, pipeline, max_messages)
    return _build_group(items, path, parallel, opts or PipelineOptions(), 1, {})


def _leaves(items: list[Any], path: str) -> Iterable[tuple[Any, str]]:
    """Each message item of the call with its path, in build order (lists too deep left out)."""
    stack: list[tuple[Iterable[tuple[int, Any]], str, int]] = [(enumerate(items), path, 1)]
    while stack:
        group, group_path, depth = stack[-1]
        for index, item in group:
            item_path = f"{group_path}[{index}]"
            if not isinstance(item, list | tuple):
                yield item, item_path
            elif depth < MAX_DEPTH:
                stack.append((enumerate(item), item_path, depth + 1))
                break
        else:
            stack.pop()


async def async_build_script(
    messages: Any | None,
    pipeline: Any | None,
    opts: PipelineOptions | None = None,
    max_messages: int | None = None,
) -> Built:
    """build_script for the event loop: the messages are built BUILD_SLICE at a time, the
    loop getting a turn between slices, then assembled as build_script does.

    A message that cannot be built stops the slices; the assembly then refuses the call with
    the same error, in the same order, as build_script.
    """
    items, path, parallel = _checked_root(messages, pipeline, max_messages)
    prebuilt: dict[str, Message] = {}
    for item, item_path in _leaves(items, path):
        if prebuilt and len(prebuilt) % BUILD_SLICE == 0:
            await asyncio.sleep(0)
        try:
            prebuilt[item_path] = build_message(item, item_path)
        except RefusedCall:
            break
    return _build_group(items, path, parallel, opts or PipelineOptions(), 1, prebuilt)
