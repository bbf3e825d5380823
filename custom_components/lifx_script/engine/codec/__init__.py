"""Layer 1 of the engine: bytes <-> LIFX LAN messages, in photons' human units.

Public API (see the README for the catalogue of messages)::

    from custom_components.lifx_script.engine.codec import LightMessages, Messages

    msg = LightMessages.SetColor(hue=120, saturation=1, brightness=0.5, kelvin=3500,
                                 duration=1.5, target="d073d5001337", source=42)
    data = msg.pack()
    pkt = Messages.unpack(data)
    pkt | LightMessages.SetColor   # True
    pkt.hue, pkt.raw("hue")        # 120.0, 21845
    pkt.as_dict()                  # payload fields, JSON-serialisable
    pkt.header_dict()              # header values

Human units follow photons: hue in degrees (read back to 2 places),
saturation/brightness 0..1 (4 places), durations in seconds (ms on the wire,
effect durations and uptimes ns), skew_ratio 0..1, kelvin as is. ``from_raw``
builds from wire values and ``raw(field)`` reads them.
"""

from __future__ import annotations

from . import enums
from .enums import (
    ButtonGesture,
    ButtonTargetType,
    Direction,
    LightLastHevCycleResult,
    MultiZoneApplicationRequest,
    MultiZoneEffectType,
    MultiZoneExtendedApplicationRequest,
    Services,
    TileEffectSkyPalette,
    TileEffectSkyType,
    TileEffectType,
    Waveform,
)
from .errors import CodecError, DecodeError, UnknownMessageError, ValidationError
from .fields import Color
from .header import (
    HEADER_SIZE,
    Header,
    serial_to_target,
    target_to_serial,
    unpack_header,
)
from .message import Message, UnknownPacket
from .registry import MessageRegistry, Namespace
from .tables import TABLES
from .tables.shared import Button, ButtonAction, TileDevice

Messages = MessageRegistry(TABLES)

CoreMessages: Namespace = Messages.namespaces["CoreMessages"]
DiscoveryMessages: Namespace = Messages.namespaces["DiscoveryMessages"]
DeviceMessages: Namespace = Messages.namespaces["DeviceMessages"]
LightMessages: Namespace = Messages.namespaces["LightMessages"]
MultiZoneMessages: Namespace = Messages.namespaces["MultiZoneMessages"]
TileMessages: Namespace = Messages.namespaces["TileMessages"]
RelayMessages: Namespace = Messages.namespaces["RelayMessages"]
ButtonMessages: Namespace = Messages.namespaces["ButtonMessages"]

__all__ = [
    "HEADER_SIZE",
    "Button",
    "ButtonAction",
    "ButtonGesture",
    "ButtonMessages",
    "ButtonTargetType",
    "CodecError",
    "Color",
    "CoreMessages",
    "DecodeError",
    "DeviceMessages",
    "Direction",
    "DiscoveryMessages",
    "Header",
    "LightLastHevCycleResult",
    "LightMessages",
    "Message",
    "MessageRegistry",
    "Messages",
    "MultiZoneApplicationRequest",
    "MultiZoneEffectType",
    "MultiZoneExtendedApplicationRequest",
    "MultiZoneMessages",
    "Namespace",
    "RelayMessages",
    "Services",
    "TileDevice",
    "TileEffectSkyPalette",
    "TileEffectSkyType",
    "TileEffectType",
    "TileMessages",
    "UnknownMessageError",
    "UnknownPacket",
    "ValidationError",
    "Waveform",
    "enums",
    "serial_to_target",
    "target_to_serial",
    "unpack_header",
]
