"""Fixtures shared by every test: the emulated fleet and loopback sockets.

pytest-homeassistant-custom-component disables inet sockets in every test; tests that talk
UDP to emulated bulbs on 127.0.0.1 ask for the `socket_enabled` fixture (the marker does not
work with that plugin).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.fleet import Fleet

# A small mixed fleet, started once per session: colour bulbs, strips of 16, 82 and 164 zones,
# a 5-tile chain, a switch, an infrared and an HEV bulb, a white-to-warm bulb.
MIXED_FLEET = (
    "colorx3",
    "multizone:16",
    "multizone:82",
    "multizone:164",
    "tile:5",
    "switch",
    "infrared",
    "hev",
    "white",
)


@pytest.fixture(scope="session")
def fleet() -> Iterator[Fleet]:
    """The session's emulated fleet (one UDP port per device on 127.0.0.1)."""
    with Fleet(*MIXED_FLEET) as running:
        yield running
