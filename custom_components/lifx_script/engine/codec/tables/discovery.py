"""DiscoveryMessages: GetService broadcast and its StateService replies."""

from __future__ import annotations

from ..enums import Services
from ..fields import Enum
from ..message import MessageDef, msg
from .shared import U32, Spec

MESSAGES: tuple[MessageDef, ...] = (
    msg("GetService", 2, reply="StateService", multi="unbounded"),
    msg("StateService", 3, Spec("service", Enum(Services)), Spec("port", U32)),
)
