"""DeviceMessages: power, label, versions, location/group, echo."""

from __future__ import annotations

from ..fields import Bytes, String
from ..message import MessageDef, msg
from .shared import F32, NANO_SECONDS, U16, U32, U64, Spec, reserved

_FIRMWARE = (
    Spec("build", U64),
    reserved(8),
    Spec("version_minor", U16),
    Spec("version_major", U16),
)


def _place(kind: str) -> tuple[Spec, ...]:
    return (Spec(kind, Bytes(16)), Spec("label", String(32)), Spec("updated_at", U64))


MESSAGES: tuple[MessageDef, ...] = (
    msg("GetHostFirmware", 14, reply="StateHostFirmware"),
    msg("StateHostFirmware", 15, *_FIRMWARE),
    msg("GetWifiInfo", 16, reply="StateWifiInfo"),
    msg("StateWifiInfo", 17, Spec("signal", F32), reserved(4), reserved(4), reserved(2)),
    msg("GetWifiFirmware", 18, reply="StateWifiFirmware"),
    msg("StateWifiFirmware", 19, *_FIRMWARE),
    msg("GetPower", 20, reply="StatePower"),
    msg("SetPower", 21, Spec("level", U16), reply="StatePower"),
    msg("StatePower", 22, Spec("level", U16)),
    msg("GetLabel", 23, reply="StateLabel"),
    msg("SetLabel", 24, Spec("label", String(32)), reply="StateLabel"),
    msg("StateLabel", 25, Spec("label", String(32))),
    msg("GetVersion", 32, reply="StateVersion"),
    msg("StateVersion", 33, Spec("vendor", U32), Spec("product", U32), reserved(4)),
    msg("GetInfo", 34, reply="StateInfo"),
    msg(
        "StateInfo",
        35,
        Spec("time", U64),
        Spec("uptime", NANO_SECONDS),
        Spec("downtime", NANO_SECONDS),
    ),
    msg("SetReboot", 38),
    msg("GetLocation", 48, reply="StateLocation"),
    msg("SetLocation", 49, *_place("location"), reply="StateLocation"),
    msg("StateLocation", 50, *_place("location")),
    msg("GetGroup", 51, reply="StateGroup"),
    msg("SetGroup", 52, *_place("group"), reply="StateGroup"),
    msg("StateGroup", 53, *_place("group")),
    msg("EchoRequest", 58, Spec("echoing", Bytes(64)), reply="EchoResponse"),
    msg("EchoResponse", 59, Spec("echoing", Bytes(64))),
)
