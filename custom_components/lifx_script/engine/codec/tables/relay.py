"""RelayMessages: the relays of a LIFX Switch."""

from __future__ import annotations

from ..message import MessageDef, msg
from .shared import U8, U16, Spec

MESSAGES: tuple[MessageDef, ...] = (
    msg("GetRPower", 816, Spec("relay_index", U8, 0), reply="StateRPower"),
    msg(
        "SetRPower",
        817,
        Spec("relay_index", U8),
        Spec("level", U16),
        reply="StateRPower",
    ),
    msg("StateRPower", 818, Spec("relay_index", U8), Spec("level", U16)),
)
