"""Action call data that tests and benchmarks both send to `lifx_script.run`."""

from __future__ import annotations

from typing import Any


def tile_frames(frames: int, tiles: int) -> list[list[dict[str, Any]]]:
    """A chain painted frame by frame: each frame a Set64 of 64 colours per tile, together."""
    return [
        [
            {
                "type": "Set64",
                "tile_index": tile,
                "width": 8,
                "colors": [
                    {"hue": (frame * 7 + pixel) % 360, "saturation": 1, "brightness": 0.5}
                    for pixel in range(64)
                ],
            }
            for tile in range(tiles)
        ]
        for frame in range(frames)
    ]
