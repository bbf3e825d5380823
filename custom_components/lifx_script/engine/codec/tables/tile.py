"""TileMessages: device chain, 64-zone frames, frame-buffer copy, effects."""

from __future__ import annotations

from ..fields import COLOR, Array, CountOf
from ..message import MessageDef, msg
from .shared import (
    DURATION,
    F32,
    TILE,
    U8,
    Spec,
    reserved,
    tile_buffer_rect,
    tile_effect_settings,
)

MESSAGES: tuple[MessageDef, ...] = (
    msg("GetDeviceChain", 701, reply="StateDeviceChain"),
    msg(
        "StateDeviceChain",
        702,
        Spec("start_index", U8, 0),
        Spec("tile_devices", Array(TILE, 16), ()),
        Spec("tile_devices_count", U8, CountOf("tile_devices")),
    ),
    msg(
        "SetUserPosition",
        703,
        Spec("tile_index", U8),
        reserved(1),
        reserved(1),
        Spec("user_x", F32),
        Spec("user_y", F32),
    ),
    msg(
        "Get64",
        707,
        Spec("tile_index", U8, 0),
        Spec("length", U8, 255),
        *tile_buffer_rect(),
        reply="State64",
        multi="get64",
    ),
    msg(
        "State64",
        711,
        Spec("tile_index", U8),
        *tile_buffer_rect(),
        Spec("colors", Array(COLOR, 64), ()),
    ),
    msg(
        "Set64",
        715,
        Spec("tile_index", U8),
        Spec("length", U8, 1),
        *tile_buffer_rect(),
        Spec("duration", DURATION, 0),
        Spec("colors", Array(COLOR, 64), ()),
    ),
    msg(
        "CopyFrameBuffer",
        716,
        Spec("tile_index", U8),
        Spec("length", U8, 1),
        Spec("src_fb_index", U8, 0),
        Spec("dst_fb_index", U8, 0),
        Spec("src_x", U8, 0),
        Spec("src_y", U8, 0),
        Spec("dst_x", U8, 0),
        Spec("dst_y", U8, 0),
        Spec("width", U8, 8),
        Spec("height", U8, 8),
        Spec("duration", DURATION, 0),
        reserved(1),
    ),
    msg("GetTileEffect", 718, reserved(1), reserved(1), reply="StateTileEffect"),
    msg(
        "SetTileEffect",
        719,
        reserved(1),
        reserved(1),
        *tile_effect_settings(),
        reply="StateTileEffect",
    ),
    msg("StateTileEffect", 720, reserved(1), *tile_effect_settings()),
)
