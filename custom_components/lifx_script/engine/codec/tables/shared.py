"""Field groups and records shared by several tables (photons' ``fields.py``)."""

from __future__ import annotations

from typing import Any, NamedTuple

from ..enums import (
    ButtonGesture,
    ButtonTargetType,
    Direction,
    MultiZoneEffectType,
    TileEffectSkyType,
    TileEffectType,
)
from ..fields import (
    BOOL,
    COLOR,
    DURATION,
    F32,
    FRACTION,
    HUE,
    I16,
    NANO_SECONDS,
    SKEW_RATIO,
    U8,
    U16,
    U32,
    U64,
    Array,
    Bytes,
    CountOf,
    Enum,
    RandomId,
    Spec,
    Struct,
    Union,
    reserved,
)

__all__ = [
    "BOOL",
    "BUTTON",
    "COLOR",
    "DURATION",
    "F32",
    "FRACTION",
    "HUE",
    "I16",
    "NANO_SECONDS",
    "SKEW_RATIO",
    "TILE",
    "U8",
    "U16",
    "U32",
    "U64",
    "Button",
    "ButtonAction",
    "Spec",
    "TileDevice",
    "hsbk",
    "multizone_effect_settings",
    "reserved",
    "tile_buffer_rect",
    "tile_effect_settings",
]  # fmt: skip


def hsbk(required: bool = True) -> tuple[Spec, ...]:
    """A LightHsbk laid out as four top-level fields (photons ``*fields.hsbk``).

    hue/saturation/brightness are required and kelvin defaults to 3500, as in
    photons; with ``required=False`` (SetWaveformOptional) all default to 0.
    """
    if required:
        return (
            Spec("hue", HUE),
            Spec("saturation", FRACTION),
            Spec("brightness", FRACTION),
            Spec("kelvin", U16, 3500),
        )
    return (
        Spec("hue", HUE, 0),
        Spec("saturation", FRACTION, 0),
        Spec("brightness", FRACTION, 0),
        Spec("kelvin", U16, 0),
    )


def tile_buffer_rect() -> tuple[Spec, ...]:
    """TileBufferRect: fb_index (photons' reserved6, named since spec 0.8), x, y, width."""
    return (
        Spec("fb_index", U8, 0),
        Spec("x", U8, 0),
        Spec("y", U8, 0),
        Spec("width", U8, 8),
    )


# -- effects -------------------------------------------------------------------------


def _generic_parameters() -> tuple[Spec, ...]:
    return tuple(Spec(f"parameter{i}", U32, 0) for i in range(8))


def multizone_effect_settings() -> tuple[Spec, ...]:
    """MultiZoneEffectSettings; ``parameters`` is a union on ``type`` (MOVE: speed_direction)."""
    parameters = Union(
        "MultiZoneEffectParameter",
        "type",
        32,
        {
            int(MultiZoneEffectType.MOVE): (
                reserved(4),
                Spec("speed_direction", Enum(Direction, "I"), Direction.RIGHT),
                reserved(24),
            ),
        },
        _generic_parameters(),
    )
    return (
        Spec("instanceid", U32, RandomId()),
        Spec("type", Enum(MultiZoneEffectType), MultiZoneEffectType.MOVE),
        reserved(2),
        Spec("speed", DURATION, 5),
        Spec("duration", NANO_SECONDS, 0),
        reserved(4),
        reserved(4),
        Spec("parameters", parameters, None),
    )


def tile_effect_settings() -> tuple[Spec, ...]:
    """TileEffectSettings; ``parameters`` is a union on ``type`` (SKY: sky type, clouds)."""
    parameters = Union(
        "TileEffectParameter",
        "type",
        32,
        {
            int(TileEffectType.SKY): (
                Spec("sky_type", Enum(TileEffectSkyType), TileEffectSkyType.CLOUDS),
                reserved(3),
                Spec("cloud_saturation_min", U8, 51),
                reserved(3),
                Spec("cloud_saturation_max", U8, 178),
                reserved(23),
            ),
        },
        _generic_parameters(),
    )
    return (
        Spec("instanceid", U32, RandomId()),
        Spec("type", Enum(TileEffectType), TileEffectType.OFF),
        Spec("speed", DURATION, 5),
        Spec("duration", NANO_SECONDS, 0),
        reserved(4),
        reserved(4),
        Spec("parameters", parameters, None),
        Spec("palette_count", U8, CountOf("palette")),
        Spec("palette", Array(COLOR, 16), ()),
    )


# -- tiles ---------------------------------------------------------------------------


class TileDevice(NamedTuple):
    """One TileStateDevice of a StateDeviceChain (photons' flattened names)."""

    accel_meas_x: int
    accel_meas_y: int
    accel_meas_z: int
    user_x: float
    user_y: float
    width: int
    height: int
    device_version_vendor: int
    device_version_product: int
    firmware_build: int
    firmware_version_minor: int
    firmware_version_major: int


TILE = Struct(
    "TileStateDevice",
    TileDevice,
    (
        Spec("accel_meas_x", I16, 0),
        Spec("accel_meas_y", I16, 0),
        Spec("accel_meas_z", I16, 0),
        reserved(1),
        reserved(1),
        Spec("user_x", F32, 0.0),
        Spec("user_y", F32, 0.0),
        Spec("width", U8, 8),
        Spec("height", U8, 8),
        reserved(1),
        Spec("device_version_vendor", U32, 0),
        Spec("device_version_product", U32, 0),
        reserved(4),
        Spec("firmware_build", U64, 0),
        reserved(8),
        Spec("firmware_version_minor", U16, 0),
        Spec("firmware_version_major", U16, 0),
        reserved(4),
    ),
)


# -- buttons -------------------------------------------------------------------------


class ButtonAction(NamedTuple):
    """One action of a button: gesture, target type and the target (a dict by type)."""

    gesture: Any
    target_type: Any
    target: Any


class Button(NamedTuple):
    """One button: how many of its five actions are valid, and the actions."""

    actions_count: int
    actions: tuple[ButtonAction, ...]


def _relays(count: int) -> tuple[Spec, ...]:
    return (Spec("relays_count", U8, CountOf("relays")), Spec("relays", Array(U8, count), ()))


_DEVICE = (Spec("serial", Bytes(6)), reserved(10))
_DEVICE_RELAYS = (Spec("serial", Bytes(6)), *_relays(9))
_T = ButtonTargetType

_TARGETS: dict[int, tuple[Spec, ...]] = {
    _T.RESERVED1: (reserved(16),),
    _T.RESERVED2: (reserved(16),),
    _T.RELAYS: _relays(15),
    _T.DEVICE: _DEVICE,
    _T.LOCATION: (Spec("location", Bytes(16)),),
    _T.GROUP: (Spec("group", Bytes(16)),),
    _T.SCENE: (Spec("scene", Bytes(16)),),
    _T.DEVICE_RELAYS: _DEVICE_RELAYS,
    _T.BRIGHTNESS_DOWN_DEVICE: _DEVICE,
    _T.BRIGHTNESS_DOWN_GROUP: (Spec("group", Bytes(16)),),
    _T.BRIGHTNESS_DOWN_LOCATION: (Spec("location", Bytes(16)),),
    _T.BRIGHTNESS_UP_DEVICE: _DEVICE,
    _T.BRIGHTNESS_UP_GROUP: (Spec("group", Bytes(16)),),
    _T.BRIGHTNESS_UP_LOCATION: (Spec("location", Bytes(16)),),
    _T.DEMO_SUNRISE_SUNSET: (reserved(16),),
    _T.POWER_ON_DEVICE: _DEVICE,
    _T.POWER_ON_LOCATION: (Spec("location", Bytes(16)),),
    _T.POWER_ON_GROUP: (Spec("group", Bytes(16)),),
    _T.POWER_ON_RELAYS: _DEVICE_RELAYS,
    _T.POWER_OFF_DEVICE: _DEVICE,
    _T.POWER_OFF_LOCATION: (Spec("location", Bytes(16)),),
    _T.POWER_OFF_GROUP: (Spec("group", Bytes(16)),),
    _T.POWER_OFF_RELAYS: _DEVICE_RELAYS,
    _T.RESERVED3: (reserved(16),),
    _T.RESERVED4: (reserved(16),),
    _T.RESERVED5: (reserved(16),),
}
# DEMO_EFFECT_CYCLE(_STOP), *_LOCAL_DEVICE and unknown types: 16 opaque bytes as "data"

BUTTON_ACTION = Struct(
    "ButtonAction",
    ButtonAction,
    (
        Spec("gesture", Enum(ButtonGesture, "H", empty_slot=True)),
        Spec("target_type", Enum(ButtonTargetType, "H")),
        Spec(
            "target",
            Union("ButtonTarget", "target_type", 16, _TARGETS, (Spec("data", Bytes(16), b""),)),
            None,
        ),
    ),
)

BUTTON = Struct(
    "Button",
    Button,
    (
        Spec("actions_count", U8, CountOf("actions")),
        Spec("actions", Array(BUTTON_ACTION, 5), ()),
    ),
)
