"""Transformer and PowerToggle: reach a state from whatever state each device is in.

As photons_control.transform, built on the engine's FromGenerator and Pipeline (same limits,
retries and error reporting). Where photons differs, on purpose:
- the device's colour is read first whenever a colour is asked for, and the full colour is
  sent with SetColor (a SetWaveformOptional of period 0 is not applied by every device);
- the steps for one device form a Pipeline that stops at the first failure, so a device
  whose "colour at brightness 0" step failed is never powered on at its old colour;
- a light turned on from off whose brightness would end at 0 fades to full brightness
  instead (unless keep_brightness), rather than being "on" and dark;
- a device that does not answer the read is an error for that device, not silently skipped;
- bad input (unknown keys, out-of-range values, brightness with keep_brightness) is an
  InvalidScript before anything is sent.
"""

from __future__ import annotations

import math
from collections.abc import AsyncGenerator, Mapping
from dataclasses import dataclass
from typing import Any

from ..codec import DeviceMessages, LightMessages, Message
from ..errors import InvalidScript
from ..script import FromGenerator, Pipeline
from ..script.nodes import Node, to_node
from .colour import ColourParser, PartialColour, check_kelvin

POWER_CHOICES = ("on", "off", "toggle")
STATE_KEYS = frozenset(
    {"power", "color", "colour", "hue", "saturation", "brightness", "kelvin", "duration"}
)
MAX_DURATION = 86400.0
ON, OFF = 65535, 0


def _number(key: str, value: Any, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidScript(f"{key} must be a number, not {value!r}")
    number = float(value)
    if math.isnan(number) or not low <= number <= high:
        raise InvalidScript(f"{key} must be {low:g}..{high:g}, not {value!r}")
    return number


def _power(value: Any) -> str:
    if value is True:
        return "on"
    if value is False:
        return "off"
    if isinstance(value, str) and value.strip().lower() in POWER_CHOICES:
        return value.strip().lower()
    raise InvalidScript(f"power must be on, off or toggle, not {value!r}")


@dataclass(frozen=True, slots=True)
class TransformState:
    """A validated transform request: power (None: leave), colour parts, fade seconds."""

    power: str | None
    colour: PartialColour
    duration: float
    keep_brightness: bool = False
    transition_color: bool = False

    @property
    def has_colour(self) -> bool:
        return not self.colour.empty

    @classmethod
    def parse(
        cls,
        state: Mapping[str, Any],
        *,
        keep_brightness: bool = False,
        transition_color: bool = False,
    ) -> TransformState:
        """Check everything now: InvalidScript names the first thing that is wrong."""
        if not isinstance(state, Mapping):
            raise InvalidScript(f"a transform state is a mapping, not {state!r}")
        unknown = set(state) - STATE_KEYS
        if unknown:
            raise InvalidScript(
                f"unknown transform key(s) {', '.join(sorted(map(str, unknown)))}; "
                f"known: {', '.join(sorted(STATE_KEYS))}"
            )
        if "color" in state and "colour" in state:
            raise InvalidScript("give color or colour, not both")
        colour = PartialColour()
        text = state.get("color", state.get("colour"))
        if text is not None:
            colour = ColourParser.hsbk(text)
        overrides = PartialColour(
            hue=_number("hue", state["hue"], 0, 360) if state.get("hue") is not None else None,
            saturation=(
                _number("saturation", state["saturation"], 0, 1)
                if state.get("saturation") is not None
                else None
            ),
            brightness=(
                _number("brightness", state["brightness"], 0, 1)
                if state.get("brightness") is not None
                else None
            ),
            kelvin=(
                check_kelvin(int(_number("kelvin", state["kelvin"], 0, 65535)))
                if state.get("kelvin") is not None
                else None
            ),
        )
        colour = colour.merged(overrides)
        if keep_brightness and overrides.brightness is not None:
            raise InvalidScript("brightness and keep_brightness contradict each other")
        if keep_brightness:
            colour = colour._replace(brightness=None)
        power = _power(state["power"]) if state.get("power") is not None else None
        duration = 0.0
        if state.get("duration") is not None:
            duration = _number("duration", state["duration"], 0, MAX_DURATION)
        if power is None and colour.empty:
            raise InvalidScript("nothing to do: give power or a colour (or brightness, kelvin...)")
        return cls(power, colour, duration, bool(keep_brightness), bool(transition_color))


def _power_message(level: int, duration: float, serial: str) -> Message:
    """SetLightPower when fading (lights only), SetPower otherwise (any device)."""
    if duration > 0:
        return LightMessages.SetLightPower(
            level=level, duration=duration, target=serial, res_required=False
        )
    return DeviceMessages.SetPower(level=level, target=serial, res_required=False)


COMPONENTS = ("hue", "saturation", "brightness", "kelvin")


def _set_color(colour: PartialColour, duration: float, serial: str, current: Message) -> Message:
    """SetColor to colour; a component still as current (a LightState) has it goes back
    unchanged.

    Decoded, a hue has two decimals and a fraction four (photons' units): encoded again they
    can land on a neighbouring wire value (hue 1 reads 0.01 degrees and goes back as 2), so
    changing brightness alone would nudge hue and saturation a little every time. Those
    components are sent as the device's own wire values instead.
    """
    hue, saturation, brightness, kelvin = colour
    asked = LightMessages.SetColor(
        hue=hue,
        saturation=saturation,
        brightness=brightness,
        kelvin=kelvin,
        duration=duration,
        target=serial,
        res_required=False,
    )
    wire = asked.raw_dict()
    for name, value in zip(COMPONENTS, colour, strict=True):
        if value == getattr(current, name):
            wire[name] = current.raw(name)
    return LightMessages.SetColor.from_raw(target=serial, res_required=False, **wire)


def plan_for(request: TransformState, serial: str, current: Message) -> list[Message]:
    """The messages, in order, that take this device from ``current`` to the request.

    ``current`` is the device's LightState (when a colour is asked for) or StatePower.
    """
    level = current.power if current | LightMessages.LightState else current.level
    is_on = level > 0
    wanted = request.power
    if wanted == "toggle":
        wanted = "off" if is_on else "on"
    duration = request.duration
    if not request.has_colour:
        if wanted is None:
            return []
        return [_power_message(ON if wanted == "on" else OFF, duration, serial)]

    now = PartialColour(current.hue, current.saturation, current.brightness, current.kelvin)
    final = now.merged(request.colour)
    steps: list[Message] = []
    if wanted == "on" and not is_on:
        if final.brightness == 0 and not request.keep_brightness:
            final = final._replace(brightness=1.0)
        # dark first: the new colour (or the old one, to transition) at brightness 0 ...
        dark = (now if request.transition_color else final)._replace(brightness=0.0)
        steps.append(_set_color(dark, 0, serial, current))
        # ... then on, still dark, then the fade to the final colour
        steps.append(_power_message(ON, 0, serial))
        steps.append(_set_color(final, duration, serial, current))
        return steps
    if wanted == "off":
        steps.append(_power_message(OFF, duration, serial))
        steps.append(_set_color(final, 0 if is_on else duration, serial, current))
        return steps
    steps.append(_set_color(final, duration, serial, current))
    return steps


class Transformer:
    """``target.script(Transformer.using({"power": "on", "color": "red"})).run_with(serials)``."""

    @classmethod
    def using(
        cls,
        state: Mapping[str, Any],
        keep_brightness: bool = False,
        transition_color: bool = False,
    ) -> Node:
        """A script node for this state; InvalidScript now for bad input (nothing is sent)."""
        request = TransformState.parse(
            state, keep_brightness=keep_brightness, transition_color=transition_color
        )
        return transform_node(request)


def transform_node(request: TransformState) -> Node:
    """Power alone (on or off) needs no read; anything else reads each device first."""
    if not request.has_colour and request.power in ("on", "off"):
        level = ON if request.power == "on" else OFF
        if request.duration > 0:
            return to_node(
                LightMessages.SetLightPower(
                    level=level, duration=request.duration, res_required=False
                )
            )
        return to_node(DeviceMessages.SetPower(level=level, res_required=False))

    read: Message = LightMessages.GetColor() if request.has_colour else DeviceMessages.GetPower()

    async def gen(reference: Any, sender: Any, **kwargs: Any) -> AsyncGenerator[Any, Any]:
        async for pkt, _, _ in sender(read, reference, **kwargs):
            if pkt | LightMessages.LightState or pkt | DeviceMessages.StatePower:
                steps = plan_for(request, pkt.serial, pkt)
                if steps:
                    yield Pipeline(*steps, short_circuit_on_error=True)

    return FromGenerator(gen)


def PowerToggle(duration: float = 1, group: bool = False) -> Node:
    """Toggle each device's power (group=True: all off if any is on, else all on)."""
    seconds = _number("duration", duration, 0, MAX_DURATION)
    if not group:
        return transform_node(TransformState("toggle", PartialColour(), seconds))

    async def gen(reference: Any, sender: Any, **kwargs: Any) -> AsyncGenerator[Any, Any]:
        levels = [
            pkt.level async for pkt, _, _ in sender(DeviceMessages.GetPower(), reference, **kwargs)
        ]
        level = OFF if any(levels) else ON
        yield _power_message(level, seconds, "000000000000")

    return FromGenerator(gen)


__all__ = ["PowerToggle", "TransformState", "Transformer", "plan_for", "transform_node"]
