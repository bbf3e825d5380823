"""MultiZoneMessages: legacy and extended zone colours, and the MOVE effect."""

from __future__ import annotations

from ..enums import MultiZoneApplicationRequest, MultiZoneExtendedApplicationRequest
from ..fields import COLOR, Array, CountOf, Enum
from ..message import MessageDef, msg
from .shared import DURATION, U8, U16, Spec, hsbk, multizone_effect_settings

_ZONES = ("StateZone", "StateMultiZone")

MESSAGES: tuple[MessageDef, ...] = (
    msg(
        "SetColorZones",
        501,
        Spec("start_index", U8),
        Spec("end_index", U8),
        *hsbk(),
        Spec("duration", DURATION, 0),
        Spec(
            "apply",
            Enum(MultiZoneApplicationRequest),
            MultiZoneApplicationRequest.APPLY,
        ),
        reply=_ZONES,
        multi="color_zones",
    ),
    msg(
        "GetColorZones",
        502,
        Spec("start_index", U8, 0),
        Spec("end_index", U8, 255),
        reply=_ZONES,
        multi="color_zones",
    ),
    msg(
        "StateZone",
        503,
        Spec("zones_count", U8),
        Spec("zone_index", U8),
        *hsbk(),
    ),
    msg(
        "StateMultiZone",
        506,
        Spec("zones_count", U8),
        Spec("zone_index", U8),
        Spec("colors", Array(COLOR, 8), ()),
    ),
    msg("GetMultiZoneEffect", 507, reply="StateMultiZoneEffect"),
    msg("SetMultiZoneEffect", 508, *multizone_effect_settings(), reply="StateMultiZoneEffect"),
    msg("StateMultiZoneEffect", 509, *multizone_effect_settings()),
    msg(
        "SetExtendedColorZones",
        510,
        Spec("duration", DURATION, 0),
        Spec(
            "apply",
            Enum(MultiZoneExtendedApplicationRequest),
            MultiZoneExtendedApplicationRequest.APPLY,
        ),
        Spec("zone_index", U16, 0),
        Spec("colors_count", U8, CountOf("colors")),
        Spec("colors", Array(COLOR, 82), ()),
        reply="StateExtendedColorZones",
        multi="extended",
    ),
    msg(
        "GetExtendedColorZones",
        511,
        reply="StateExtendedColorZones",
        multi="extended",
    ),
    msg(
        "StateExtendedColorZones",
        512,
        Spec("zones_count", U16),
        Spec("zone_index", U16),
        Spec("colors_count", U8, CountOf("colors")),
        Spec("colors", Array(COLOR, 82), ()),
    ),
)
