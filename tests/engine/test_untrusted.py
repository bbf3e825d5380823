"""The LAN is not trusted: forged replies and forged discovery answers over real UDP.

A forger here is a plain UDP socket on another port of 127.0.0.1 or on 127.0.0.2 (also
loopback). It knows the session's source (every broadcast shows it) and sweeps all 256
sequences, as an attacker on the same network would.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator

import pytest

from custom_components.lifx_script.engine import DeviceMessages, DiscoveryMessages, LanTarget
from custom_components.lifx_script.engine.codec import serial_to_target
from tests.engine.conftest import loopback_target
from tests.support.fault_proxy import FaultProxy, Faults
from tests.support.fleet import Fleet

Addr = tuple[str, int]
ZERO = bytes(8)
INVENTED = "d073d5abcdef"


class Forger:
    """A socket that sends forged packets to the session from its own address."""

    def __init__(self, host: str) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((host, 0))
        self.sock.setblocking(False)

    @property
    def addr(self) -> Addr:
        host, port = self.sock.getsockname()[:2]
        return (str(host), int(port))

    def sweep(self, pkt: object, target: bytes, source: int, to: Addr) -> None:
        """The packet with every sequence: one of them matches whatever is in flight."""
        for sequence in range(256):
            self.sock.sendto(pkt.pack_for(target, source, sequence), to)  # type: ignore[attr-defined]

    def close(self) -> None:
        self.sock.close()


@pytest.fixture(params=["127.0.0.1", "127.0.0.2"], ids=["other-port", "other-ip"])
def forger(request: pytest.FixtureRequest) -> Iterator[Forger]:
    forger = Forger(request.param)
    yield forger
    forger.close()


def session_addr(sender: object) -> Addr:
    """Where the session's socket listens (it binds every interface)."""
    endpoint = sender.link.endpoint  # type: ignore[attr-defined]
    return ("127.0.0.1", endpoint.local_address[1])


async def sweep_while(forger: Forger, task: asyncio.Future[object], *args: object) -> None:
    """Keep sweeping until the request being attacked has finished."""
    while not task.done():
        forger.sweep(*args)  # type: ignore[arg-type]
        await asyncio.sleep(0.02)


# -- replies only from where the request went ------------------------------------------------


async def test_a_forged_reply_to_a_unicast_request_is_never_the_answer(
    fleet: Fleet, forger: Forger
) -> None:
    """The device answers 0.3 s late; the forger's StatePower arrives first, every sequence."""
    device = fleet.devices[0]
    slow = Faults(delay=0.3)
    async with FaultProxy([(device.serial, device.addr)], seed=3, to_client=slow) as proxy:
        target = LanTarget(broadcast=proxy.fronts, hard_coded=proxy.hard_coded)
        async with target.session() as sender:
            forged = DeviceMessages.StatePower(level=12345)
            to = session_addr(sender)
            real_level = fleet.state(device.serial)["power_level"]
            request = asyncio.ensure_future(sender(DeviceMessages.GetPower(), device.serial))
            await sweep_while(
                forger, request, forged, serial_to_target(device.serial), sender.source, to
            )
            results = await request
            stats = sender.stats
    assert [(r.pkt.level, r.addr) for r in results] == [(real_level, proxy.fronts[0])]
    assert stats["replies_from_wrong_address"] >= 1


async def test_a_reply_from_the_right_ip_but_another_port_is_not_the_device(
    fleet: Fleet,
) -> None:
    """Same host, other port: still not the device (the forger is on 127.0.0.1 too)."""
    device = fleet.devices[1]
    forger = Forger("127.0.0.1")
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as silent:
            silent.bind(("127.0.0.1", 0))
            target = LanTarget(broadcast=[("127.0.0.1", 9)])
            async with target.session() as sender:
                sender.add_device(device.serial, silent.getsockname())
                errors: list[BaseException] = []
                request = asyncio.ensure_future(
                    sender(
                        DeviceMessages.GetPower(),
                        device.serial,
                        message_timeout=0.5,
                        error_catcher=errors,
                    )
                )
                forged = DeviceMessages.StatePower(level=1)
                to = session_addr(sender)
                await sweep_while(
                    forger, request, forged, serial_to_target(device.serial), sender.source, to
                )
                assert await request == []
                stats = sender.stats
    finally:
        forger.close()
    assert [type(e).__name__ for e in errors] == ["TimedOut"]
    assert stats["replies_from_wrong_address"] >= 1
    assert stats["matched"] == 0


async def test_a_broadcast_takes_each_devices_reply_once(fleet: Fleet, forger: Forger) -> None:
    """After the real answers to a broadcast GetPower, forged ones for the same devices."""
    devices = fleet.devices[:3]
    target = LanTarget(broadcast=[d.addr for d in devices])
    async with target.session() as sender:
        to = session_addr(sender)
        forged = DeviceMessages.StatePower(level=4242)

        async def forge_late() -> None:
            await asyncio.sleep(0.05)  # the real replies are in: these come in the quiet gap
            for device in devices:
                forger.sweep(forged, serial_to_target(device.serial), sender.source, to)

        forging = asyncio.ensure_future(forge_late())
        results = await sender(DeviceMessages.GetPower(), None, broadcast=True)
        await forging
        stats = sender.stats
    assert sorted(r.pkt.serial for r in results) == sorted(d.serial for d in devices)
    assert all(r.pkt.level != 4242 for r in results)
    assert stats["replies_from_wrong_address"] >= 3


async def test_a_device_behind_a_shared_port_still_answers() -> None:
    """Several devices behind one address: each answers from that address, all accepted."""
    with Fleet("colorx3", shared_port=True, serial_prefix="d073d6") as shared:
        assert len({d.addr for d in shared.devices}) == 1
        target = loopback_target(shared)
        async with target.session() as sender:
            results = await sender(DeviceMessages.GetPower(), shared.serials)
            found = await sender.discover()
            stats = sender.stats
    assert sorted(r.pkt.serial for r in results) == sorted(shared.serials)
    assert found == shared.hard_coded
    assert stats["replies_from_wrong_address"] == 0


__all__ = ["INVENTED", "ZERO", "DiscoveryMessages"]
