"""CoreMessages: acknowledgement and "unhandled" replies."""

from __future__ import annotations

from ..message import MessageDef, msg
from .shared import U16, Spec

MESSAGES: tuple[MessageDef, ...] = (
    msg("Acknowledgement", 45),
    msg("StateUnhandled", 223, Spec("unhandled_type", U16)),
)
