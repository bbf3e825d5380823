"""ButtonMessages: the buttons of a LIFX Switch (photons cannot pack these; we can)."""

from __future__ import annotations

from ..fields import Array, CountOf
from ..message import MessageDef, msg
from .shared import BUTTON, U8, U16, Spec


def _buttons() -> tuple[Spec, ...]:
    return (
        Spec("buttons_count", U8, CountOf("buttons")),
        Spec("buttons", Array(BUTTON, 8), ()),
    )


def _config() -> tuple[Spec, ...]:
    # ButtonBacklightHsbk kept as raw uint16s under photons' flattened names
    names = ("hue", "saturation", "brightness", "kelvin")
    return (
        Spec("haptic_duration_ms", U16),
        *(Spec(f"backlight_on_color_{n}", U16) for n in names),
        *(Spec(f"backlight_off_color_{n}", U16) for n in names),
    )


MESSAGES: tuple[MessageDef, ...] = (
    msg("GetButton", 905, reply="ButtonState"),
    msg("SetButton", 906, Spec("button_index", U8, 0), *_buttons(), reply="ButtonState"),
    msg(
        "ButtonState",
        907,
        Spec("total_count", U8),
        Spec("button_index", U8),
        *_buttons(),
    ),
    msg("GetConfig", 909, reply="StateConfig"),
    msg("SetConfig", 910, *_config(), reply="StateConfig"),
    msg("StateConfig", 911, *_config()),
)
