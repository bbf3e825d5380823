"""Engine tests talk real UDP on 127.0.0.1 to emulated bulbs (and through a fault proxy).

Every test here gets loopback sockets (the Home Assistant test plugin disables them
otherwise), and nothing is ever sent beyond 127.0.0.1: targets get loopback broadcast lists.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from custom_components.lifx_script.engine import LanTarget
from tests.support.fleet import Fleet


@pytest.fixture(autouse=True)
def _loopback_sockets(socket_enabled: None) -> Iterator[None]:
    yield


@pytest.fixture
def silent_addr() -> Iterator[tuple[str, int]]:
    """A bound UDP port on 127.0.0.1 that never answers (a device that went away)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        host, port = sock.getsockname()
        yield (host, port)


def loopback_target(fleet: Fleet, **options: object) -> LanTarget:
    """A target that discovers the fleet by unicasting GetService to every device's port."""
    options.setdefault("broadcast", [d.addr for d in fleet.devices])
    return LanTarget(**options)  # type: ignore[arg-type]


def hard_coded_target(fleet: Fleet, **options: object) -> LanTarget:
    options.setdefault("broadcast", [("127.0.0.1", 9)])
    options.setdefault("hard_coded", fleet.hard_coded)
    return LanTarget(**options)  # type: ignore[arg-type]


def serials_of(fleet: Fleet, kind: str) -> list[str]:
    return [d.serial for d in fleet.devices if d.kind == kind]


def strip_with(fleet: Fleet, zones: int) -> str:
    """The serial of the multizone strip with that many zones."""
    for device in fleet.of_kind("multizone"):
        if len(fleet.state(device.serial)["zone_colors"]) == zones:
            return device.serial
    raise LookupError(zones)
