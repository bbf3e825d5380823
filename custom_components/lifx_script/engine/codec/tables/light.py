"""LightMessages: colour, waveforms, power, infrared, HEV."""

from __future__ import annotations

from ..enums import LightLastHevCycleResult, Waveform
from ..fields import Enum, FlagFor, String
from ..message import MessageDef, msg
from .shared import (
    BOOL,
    DURATION,
    F32,
    SKEW_RATIO,
    U16,
    U32,
    Spec,
    hsbk,
    reserved,
)


def _waveform(optional: bool) -> tuple[Spec, ...]:
    return (
        reserved(1),
        Spec("transient", BOOL, False),
        *hsbk(required=not optional),
        Spec("period", DURATION, 0),
        Spec("cycles", F32, 1.0),
        Spec("skew_ratio", SKEW_RATIO, 0),
        Spec("waveform", Enum(Waveform), Waveform.SAW),
    )


_STATE = "LightState"

MESSAGES: tuple[MessageDef, ...] = (
    msg("GetColor", 101, reply=_STATE),
    msg(
        "SetColor",
        102,
        reserved(1),
        *hsbk(),
        Spec("duration", DURATION, 0),
        reply=_STATE,
    ),
    msg("SetWaveform", 103, *_waveform(optional=False), reply=_STATE),
    msg(
        "LightState",
        107,
        *hsbk(),
        reserved(2),
        Spec("power", U16),
        Spec("label", String(32)),
        reserved(8),
    ),
    msg("GetLightPower", 116, reply="StateLightPower"),
    msg(
        "SetLightPower",
        117,
        Spec("level", U16),
        Spec("duration", DURATION, 0),
        reply="StateLightPower",
    ),
    msg("StateLightPower", 118, Spec("level", U16)),
    msg(
        "SetWaveformOptional",
        119,
        *_waveform(optional=True),
        Spec("set_hue", BOOL, FlagFor("hue")),
        Spec("set_saturation", BOOL, FlagFor("saturation")),
        Spec("set_brightness", BOOL, FlagFor("brightness")),
        Spec("set_kelvin", BOOL, FlagFor("kelvin")),
        reply=_STATE,
    ),
    msg("GetInfrared", 120, reply="StateInfrared"),
    msg("StateInfrared", 121, Spec("brightness", U16)),
    msg("SetInfrared", 122, Spec("brightness", U16), reply="StateInfrared"),
    msg("GetHevCycle", 142, reply="StateHevCycle"),
    msg(
        "SetHevCycle",
        143,
        Spec("enable", BOOL),
        Spec("duration_s", U32),
        reply="StateHevCycle",
    ),
    msg(
        "StateHevCycle",
        144,
        Spec("duration_s", U32),
        Spec("remaining_s", U32),
        Spec("last_power", BOOL),
    ),
    msg("GetHevCycleConfiguration", 145, reply="StateHevCycleConfiguration"),
    msg(
        "SetHevCycleConfiguration",
        146,
        Spec("indication", BOOL),
        Spec("duration_s", U32),
        reply="StateHevCycleConfiguration",
    ),
    msg(
        "StateHevCycleConfiguration",
        147,
        Spec("indication", BOOL),
        Spec("duration_s", U32),
    ),
    msg("GetLastHevCycleResult", 148, reply="StateLastHevCycleResult"),
    msg("StateLastHevCycleResult", 149, Spec("result", Enum(LightLastHevCycleResult))),
)
