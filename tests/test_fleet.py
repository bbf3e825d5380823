"""The emulated fleet answers real UDP on 127.0.0.1, as bulbs would on a LAN.

This test builds its GetService by hand (the 36-byte header of script-semantics.md) so it
checks the fleet independently of the engine's codec.
"""

from __future__ import annotations

import socket
import struct

import pytest

from tests.support.fleet import Fleet

GET_SERVICE = 2
STATE_SERVICE = 3


def get_service_packet(source: int, sequence: int) -> bytes:
    # size, protocol 1024 | addressable | tagged, source, zero target, reserved, res flag, sequence,
    # reserved, pkt_type, reserved
    return struct.pack(
        "<HHI8s6sBB8sHH",
        36,
        0x3400,
        source,
        bytes(8),
        bytes(6),
        0x01,
        sequence,
        bytes(8),
        GET_SERVICE,
        0,
    )


@pytest.mark.usefixtures("socket_enabled")
def test_every_device_answers_get_service(fleet: Fleet) -> None:
    assert len(fleet.devices) == 11
    found: dict[str, tuple[int, int]] = {}
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.settimeout(5)
        for sequence, device in enumerate(fleet.devices, start=1):
            sock.sendto(get_service_packet(0xABCD, sequence), device.addr)
        while len(found) < len(fleet.devices):
            data, addr = sock.recvfrom(2048)
            size, _, source, target, _, _, _, _, pkt_type, _ = struct.unpack_from(
                "<HHI8s6sBB8sHH", data
            )
            assert size == len(data) == 41
            assert source == 0xABCD
            assert pkt_type == STATE_SERVICE
            service, port = struct.unpack_from("<BI", data, 36)
            found[target[:6].hex()] = (service, port)
            assert port == addr[1]
    assert found == {d.serial: (1, d.port) for d in fleet.devices}


def test_fleet_reports_packets_received(fleet: Fleet, socket_enabled: None) -> None:
    fleet.reset()
    device = fleet.devices[0]
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.settimeout(5)
        sock.sendto(get_service_packet(7, 1), device.addr)
        sock.recvfrom(2048)
    assert fleet.received(device.serial) == 1
    assert fleet.received() == 1
    state = fleet.state(device.serial)
    assert state["serial"] == device.serial
    assert state["power_level"] in (0, 65535)


def test_fleet_kinds() -> None:
    with Fleet("multizone:82", "tile:2", "switch") as small:
        kinds = {d.kind: d.product_id for d in small.devices}
    assert kinds == {"multizone": 32, "tile": 55, "switch": 70}
