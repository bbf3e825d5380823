"""Enums of the LIFX LAN protocol under photons' member names.

Member names follow photons (``Waveform.SAW``) so that decoded values match what
photons users know; the longer protocol.yml names (``LIGHT_WAVEFORM_SAW``) are
accepted as aliases on input. Values a device sends that no enum knows are kept
as plain ints (see :func:`to_enum`).
"""

from __future__ import annotations

from enum import IntEnum


class Services(IntEnum):
    """DeviceService: the transport a StateService advertises."""

    UDP = 1
    RESERVED1 = 2
    RESERVED2 = 3
    RESERVED3 = 4
    RESERVED4 = 5


class Waveform(IntEnum):
    """LightWaveform."""

    SAW = 0
    SINE = 1
    HALF_SINE = 2
    TRIANGLE = 3
    PULSE = 4


class LightLastHevCycleResult(IntEnum):
    """LightLastHevCycleResult."""

    SUCCESS = 0
    BUSY = 1
    INTERRUPTED_BY_RESET = 2
    INTERRUPTED_BY_HOMEKIT = 3
    INTERRUPTED_BY_LAN = 4
    INTERRUPTED_BY_CLOUD = 5
    NONE = 255


class MultiZoneApplicationRequest(IntEnum):
    """MultiZoneApplicationRequest (SetColorZones ``apply``)."""

    NO_APPLY = 0
    APPLY = 1
    APPLY_ONLY = 2


class MultiZoneExtendedApplicationRequest(IntEnum):
    """MultiZoneExtendedApplicationRequest (SetExtendedColorZones ``apply``)."""

    NO_APPLY = 0
    APPLY = 1
    APPLY_ONLY = 2


class MultiZoneEffectType(IntEnum):
    """MultiZoneEffectType."""

    OFF = 0
    MOVE = 1
    RESERVED1 = 2
    RESERVED2 = 3


class Direction(IntEnum):
    """Direction of the MultiZone MOVE effect (its ``speed_direction`` parameter)."""

    RIGHT = 0
    LEFT = 1
    BACKWARD = 0
    FORWARD = 1


class TileEffectType(IntEnum):
    """TileEffectType."""

    OFF = 0
    RESERVED1 = 1
    MORPH = 2
    FLAME = 3
    RESERVED2 = 4
    SKY = 5


class TileEffectSkyType(IntEnum):
    """TileEffectSkyType (SKY effect ``sky_type`` parameter)."""

    SUNRISE = 0
    SUNSET = 1
    CLOUDS = 2


class TileEffectSkyPalette(IntEnum):
    """TileEffectSkyPalette (not used by any field; kept for completeness)."""

    CLOUDS_SKY = 0
    NIGHT_SKY = 1
    DAWN_SKY = 2
    DAWN_SUN = 3
    FULL_SUN = 4
    FINAL_SUN = 5
    NUM_COLOURS = 6


class ButtonGesture(IntEnum):
    """ButtonGesture (photons knows 1-5; 6-12 come from protocol.yml)."""

    PRESS = 1
    HOLD = 2
    PRESS_PRESS = 3
    PRESS_HOLD = 4
    HOLD_HOLD = 5
    PRESS_RELEASE = 6
    HOLD_RELEASE = 7
    PRESS_TOUCH = 8
    HOLD_TOUCH = 9
    PRESS_TOUCH_REPEAT = 10
    HOLD_TOUCH_REPEAT = 11
    PRESS_FAST_REPEAT = 12


class ButtonTargetType(IntEnum):
    """ButtonTargetType (photons knows 0-7; 8-30 come from protocol.yml)."""

    RESERVED1 = 0
    RESERVED2 = 1
    RELAYS = 2
    DEVICE = 3
    LOCATION = 4
    GROUP = 5
    SCENE = 6
    DEVICE_RELAYS = 7
    BRIGHTNESS_DOWN_DEVICE = 8
    BRIGHTNESS_DOWN_GROUP = 9
    BRIGHTNESS_DOWN_LOCATION = 10
    BRIGHTNESS_UP_DEVICE = 11
    BRIGHTNESS_UP_GROUP = 12
    BRIGHTNESS_UP_LOCATION = 13
    DEMO_EFFECT_CYCLE = 14
    DEMO_EFFECT_CYCLE_STOP = 15
    DEMO_SUNRISE_SUNSET = 16
    POWER_ON_DEVICE = 17
    POWER_ON_LOCATION = 18
    POWER_ON_GROUP = 19
    POWER_ON_RELAYS = 20
    POWER_OFF_DEVICE = 21
    POWER_OFF_LOCATION = 22
    POWER_OFF_GROUP = 23
    POWER_OFF_RELAYS = 24
    RESERVED3 = 25
    RESERVED4 = 26
    RESERVED5 = 27
    POWER_TOGGLE_LOCAL_DEVICE = 28
    BRIGHTNESS_DOWN_LOCAL_DEVICE = 29
    BRIGHTNESS_UP_LOCAL_DEVICE = 30


# protocol.yml prefixes, stripped from input names so that either spelling works.
_PREFIXES: dict[type[IntEnum], str] = {
    Services: "DEVICE_SERVICE_",
    Waveform: "LIGHT_WAVEFORM_",
    LightLastHevCycleResult: "LIGHT_LAST_HEV_CYCLE_RESULT_",
    MultiZoneApplicationRequest: "MULTI_ZONE_APPLICATION_REQUEST_",
    MultiZoneExtendedApplicationRequest: "MULTI_ZONE_EXTENDED_APPLICATION_REQUEST_",
    MultiZoneEffectType: "MULTI_ZONE_EFFECT_TYPE_",
    TileEffectType: "TILE_EFFECT_TYPE_",
    TileEffectSkyType: "TILE_EFFECT_SKY_TYPE_",
    TileEffectSkyPalette: "TILE_EFFECT_SKY_PALETTE_",
    ButtonGesture: "BUTTON_GESTURE_",
    ButtonTargetType: "BUTTON_TARGET_TYPE_",
}

# protocol.yml names that photons spells differently.
_ALIASES: dict[type[IntEnum], dict[str, int]] = {
    ButtonTargetType: {
        "POWER_TOGGLE_RELAYS": 2,
        "POWER_TOGGLE_DEVICE": 3,
        "POWER_TOGGLE_LOCATION": 4,
        "POWER_TOGGLE_GROUP": 5,
        "POWER_TOGGLE_DEVICE_RELAYS": 7,
    },
}

ALL_ENUMS: tuple[type[IntEnum], ...] = (*_PREFIXES, Direction)


def enum_by_name(enum_cls: type[IntEnum], name: str) -> int | None:
    """Value of a member given by name, case-insensitive, either spelling; None if unknown."""
    key = name.strip().upper()
    member = enum_cls.__members__.get(key)
    if member is not None:
        return int(member)
    prefix = _PREFIXES.get(enum_cls)
    if prefix and key.startswith(prefix):
        key = key[len(prefix) :]
        member = enum_cls.__members__.get(key)
        if member is not None:
            return int(member)
    alias = _ALIASES.get(enum_cls, {}).get(key)
    return alias


def to_enum(enum_cls: type[IntEnum], value: int) -> IntEnum | int:
    """The member for ``value``, or the plain int when the enum does not know it."""
    try:
        return enum_cls(value)
    except ValueError:
        return value


def enum_json(value: int) -> str | int:
    """JSON form: a member's name, or the int itself for unknown values."""
    if isinstance(value, IntEnum):
        return value.name
    return int(value)
