"""Message tables, one module per namespace, each a tuple of ``msg(...)`` entries."""

from __future__ import annotations

from ..message import MessageDef
from . import button, core, device, discovery, light, multizone, relay, tile

#: (namespace name, entries), in photons' order
TABLES: tuple[tuple[str, tuple[MessageDef, ...]], ...] = (
    ("CoreMessages", core.MESSAGES),
    ("DiscoveryMessages", discovery.MESSAGES),
    ("DeviceMessages", device.MESSAGES),
    ("LightMessages", light.MESSAGES),
    ("MultiZoneMessages", multizone.MESSAGES),
    ("TileMessages", tile.MESSAGES),
    ("RelayMessages", relay.MESSAGES),
    ("ButtonMessages", button.MESSAGES),
)
