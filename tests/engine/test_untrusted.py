"""The LAN is not trusted: forged replies and forged discovery answers over real UDP.

A forger here is a plain UDP socket on another port of 127.0.0.1 or on 127.0.0.2 (also
loopback). It knows the session's source (every broadcast shows it) and sweeps all 256
sequences, as an attacker on the same network would.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator
from typing import Any

import pytest

from custom_components.lifx_script.engine import DeviceMessages, DiscoveryMessages, LanTarget
from custom_components.lifx_script.engine.codec import serial_to_target
from custom_components.lifx_script.engine.transport import discovery, matcher
from tests.engine.conftest import loopback_target
from tests.support.fault_proxy import FaultProxy, Faults
from tests.support.fleet import EmulatedDevice, Fleet

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


async def broadcast_then_forge(
    devices: list[EmulatedDevice], forger: Forger, forged: object, targets: list[bytes]
) -> tuple[list[Any], dict[str, int]]:
    """A broadcast GetPower to devices; once their real replies are in, the forger sweeps
    forged (for each of targets) into the quiet gap that follows. Results and stats."""
    target = LanTarget(broadcast=[d.addr for d in devices])
    async with target.session() as sender:
        to = session_addr(sender)

        async def forge_late() -> None:
            assert await wait_for(lambda: sender.stats["matched"] >= len(devices))
            for forged_target in targets:
                forger.sweep(forged, forged_target, sender.source, to)

        forging = asyncio.ensure_future(forge_late())
        results = await sender(DeviceMessages.GetPower(), None, broadcast=True)
        await forging
        return results, sender.stats


async def test_a_broadcast_takes_each_devices_reply_once(fleet: Fleet, forger: Forger) -> None:
    """After the real answers to a broadcast GetPower, forged ones for the same devices."""
    devices = fleet.devices[:3]
    forged = DeviceMessages.StatePower(level=4242)
    own_targets = [serial_to_target(d.serial) for d in devices]
    results, stats = await broadcast_then_forge(devices, forger, forged, own_targets)
    assert sorted(r.pkt.serial for r in results) == sorted(d.serial for d in devices)
    assert all(r.pkt.level != 4242 for r in results)
    assert stats["replies_from_wrong_address"] >= 3


async def test_a_flood_of_invented_devices_cannot_grow_a_broadcast_without_bound(
    fleet: Fleet, forger: Forger, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each forged StatePower names another target: at most MAX_BROADCAST_REPLIES are kept."""
    monkeypatch.setattr(matcher, "MAX_BROADCAST_REPLIES", 5)
    devices = fleet.devices[:2]
    invented = [serial_to_target(f"d073d5ee{i:04x}") for i in range(40)]
    forged = DeviceMessages.StatePower(level=7)
    results, stats = await broadcast_then_forge(devices, forger, forged, invented)
    heard = {r.pkt.serial for r in results}
    assert {d.serial for d in devices} <= heard  # the real ones, heard first
    assert len(results) == 5
    assert stats["replies_over_limit"] >= len(invented) - 3


async def test_a_flood_of_invented_services_cannot_grow_discovery_without_bound(
    fleet: Fleet, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(matcher, "MAX_BROADCAST_REPLIES", 4)
    forger = Forger("127.0.0.1")
    invented = [f"d073d5ef{i:04x}" for i in range(30)]
    try:
        target = loopback_target(fleet)
        async with target.session() as sender:
            found = await discover_while_forging(sender, forger, [(s, 0) for s in invented])
            stats = sender.stats
    finally:
        forger.close()
    assert set(found) <= set(fleet.serials)
    assert stats["replies_over_limit"] >= 1
    # what was kept and checked: at most the limit's worth of claims
    assert stats["unconfirmed_devices"] <= 4


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


# -- discovery a forger cannot steer ----------------------------------------------------------


def state_service(port: int) -> object:
    return DiscoveryMessages.StateService(service=1, port=port)


async def discover_while_forging(
    sender: object, forger: Forger, claims: list[tuple[str, int]]
) -> dict[str, Addr]:
    """sender.discover() while the forger claims (serial, advertised port) for each claim."""
    to = session_addr(sender)
    search = asyncio.ensure_future(sender.discover())  # type: ignore[attr-defined]
    while not search.done():
        for serial, port in claims:
            forger.sweep(state_service(port), serial_to_target(serial), sender.source, to)  # type: ignore[attr-defined]
        await asyncio.sleep(0.02)
    return await search  # type: ignore[no-any-return]


async def test_a_forged_state_service_neither_moves_nor_invents_a_device(
    fleet: Fleet, forger: Forger, silent_addr: Addr
) -> None:
    target = loopback_target(fleet)
    known = fleet.devices[0]
    async with target.session() as sender:
        assert await sender.discover() == fleet.hard_coded
        claims = [
            (known.serial, 0),  # "it is here, at my address"
            (known.serial, silent_addr[1]),  # "it moved to that (silent) port"
            (INVENTED, 0),  # "and here is a device that does not exist"
        ]
        found = await discover_while_forging(sender, forger, claims)
        assert found == fleet.hard_coded
        assert sender.found == fleet.hard_coded
        assert sender.stats["unconfirmed_devices"] >= 2
        # the known device still answers where it really is
        results = await sender(DeviceMessages.GetPower(), known.serial)
        assert [r.addr for r in results] == [known.addr]


async def test_a_flood_of_invented_devices_is_confirmed_only_so_far_at_once(
    fleet: Fleet, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(discovery, "MAX_CONFIRMING", 2, raising=False)
    forger = Forger("127.0.0.1")
    invented = [f"d073d5ab{i:04x}" for i in range(6)]
    try:
        target = loopback_target(fleet)
        async with target.session() as sender:
            found = await discover_while_forging(sender, forger, [(s, 0) for s in invented])
            stats = sender.stats
        asked: set[bytes] = set()
        while True:
            try:
                data = forger.sock.recv(1024)
            except BlockingIOError:
                break
            asked.add(data[8:16])
    finally:
        forger.close()
    assert found == fleet.hard_coded
    assert len(asked) == 2  # confirmations went out for two claims, no more
    assert stats["unconfirmed_devices"] == len(invented)


class Relay(asyncio.DatagramProtocol):
    """A stand-in for a broadcast address: passes requests to a device and its replies back
    unchanged, so the StateService names the device's own port, not the relay's (as a real
    broadcast's answers come from an address the GetService did not go to)."""

    def __init__(self, device: Addr) -> None:
        self.device = device
        self.client: Addr | None = None
        self.front: asyncio.DatagramTransport | None = None
        self.back: asyncio.DatagramTransport | None = None

    @classmethod
    async def start(cls, device: Addr) -> Relay:
        loop = asyncio.get_running_loop()
        relay = cls(device)
        relay.front, _ = await loop.create_datagram_endpoint(
            lambda: relay, local_addr=("127.0.0.1", 0)
        )
        back = _RelayBack(relay)
        relay.back, _ = await loop.create_datagram_endpoint(
            lambda: back, local_addr=("127.0.0.1", 0), remote_addr=device
        )
        return relay

    @property
    def addr(self) -> Addr:
        assert self.front is not None
        host, port = self.front.get_extra_info("sockname")[:2]
        return (str(host), int(port))

    def datagram_received(self, data: bytes, addr: tuple[str | int, ...]) -> None:
        self.client = (str(addr[0]), int(addr[1]))
        assert self.back is not None
        self.back.sendto(data)

    def close(self) -> None:
        for end in (self.front, self.back):
            if end is not None:
                end.close()


class _RelayBack(asyncio.DatagramProtocol):
    def __init__(self, relay: Relay) -> None:
        self.relay = relay

    def datagram_received(self, data: bytes, addr: tuple[str | int, ...]) -> None:
        relay = self.relay
        if relay.client is not None and relay.front is not None:
            relay.front.sendto(data, relay.client)


async def test_a_device_that_really_moved_is_confirmed_at_its_new_address(
    fleet: Fleet, silent_addr: Addr
) -> None:
    """Known at an address that went silent, heard of through a 'broadcast': confirmed, moved."""
    device = fleet.devices[2]
    relay = await Relay.start(device.addr)
    try:
        target = LanTarget(broadcast=[relay.addr])
        async with target.session() as sender:
            sender.add_device(device.serial, silent_addr)
            found = await sender.discover(timeout=5)
            assert found == {device.serial: device.addr}
            assert sender.found[device.serial] == device.addr
            results = await sender(DeviceMessages.GetPower(), device.serial)
            assert [r.addr for r in results] == [device.addr]
            assert sender.stats["unconfirmed_devices"] == 0
    finally:
        relay.close()


async def test_a_new_device_heard_through_a_broadcast_is_confirmed_first(fleet: Fleet) -> None:
    device = fleet.devices[3]
    relay = await Relay.start(device.addr)
    try:
        target = LanTarget(broadcast=[relay.addr])
        async with target.session() as sender:
            found = await sender.discover(serials=[device.serial], timeout=5)
            sent = sender.stats["sent"]
    finally:
        relay.close()
    assert found == {device.serial: device.addr}
    assert sent == 2  # the GetService to the relay, and the confirmation to the device


class ActiveForger(asyncio.DatagramProtocol):
    """A forger that also answers confirmations: any GetService gets "I am <serial>"."""

    def __init__(self, serial: str) -> None:
        self.target = serial_to_target(serial)
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.DatagramTransport)
        self.transport = transport

    def datagram_received(self, data: bytes, addr: tuple[str | int, ...]) -> None:
        if len(data) < 36 or int.from_bytes(data[32:34], "little") != 2 or self.transport is None:
            return
        source = int.from_bytes(data[4:8], "little")
        sequence = data[23]
        port = self.transport.get_extra_info("sockname")[1]
        reply = DiscoveryMessages.StateService(service=1, port=port)
        self.transport.sendto(reply.pack_for(self.target, source, sequence), addr)


async def test_a_device_that_still_answers_is_not_moved_by_a_forger_that_answers_too(
    fleet: Fleet,
) -> None:
    known = fleet.devices[4]
    loop = asyncio.get_running_loop()
    transport, forger = await loop.create_datagram_endpoint(
        lambda: ActiveForger(known.serial), local_addr=("127.0.0.1", 0)
    )
    try:
        target = loopback_target(fleet)
        async with target.session() as sender:
            assert await sender.discover() == fleet.hard_coded
            to = session_addr(sender)
            search = asyncio.ensure_future(sender.discover())
            while not search.done():
                for sequence in range(256):
                    pkt = state_service(0).pack_for(  # type: ignore[attr-defined]
                        serial_to_target(known.serial), sender.source, sequence
                    )
                    transport.sendto(pkt, to)
                await asyncio.sleep(0.02)
            assert await search == fleet.hard_coded
            assert sender.found[known.serial] == known.addr
            assert sender.stats["unconfirmed_devices"] >= 1
    finally:
        transport.close()
    assert forger.transport is not None


# -- discovery remembers (issue 13) -------------------------------------------------------------


async def wait_for(condition: object, within: float = 3.0) -> bool:
    deadline = asyncio.get_running_loop().time() + within
    while not condition():  # type: ignore[operator]
        if asyncio.get_running_loop().time() > deadline:
            return False
        await asyncio.sleep(0.02)
    return True


async def test_a_search_for_one_serial_remembers_every_device_that_answered(
    fleet: Fleet,
) -> None:
    devices = fleet.devices[:6]
    async with FaultProxy([(d.serial, d.addr) for d in devices], seed=5) as proxy:
        target = LanTarget(broadcast=proxy.fronts)
        async with target.session() as sender:
            results = await sender(DeviceMessages.GetPower(), devices[0].serial)
            assert [r.pkt.serial for r in results] == [devices[0].serial]
            assert await wait_for(lambda: sender.found == proxy.hard_coded), sender.found
            ages = [sender.found_age(d.serial) for d in devices]
            assert all(age is not None and 0 <= age < 10 for age in ages)
            broadcasts = len(proxy.log.requests_to(ZERO))
            assert broadcasts >= len(devices)  # a round (or more), to each front
            # a serial that already answered: no second broadcast
            results = await sender(DeviceMessages.GetPower(), devices[4].serial)
            assert [r.pkt.serial for r in results] == [devices[4].serial]
            assert len(proxy.log.requests_to(ZERO)) == broadcasts
            # and accept_found finds it without discovery
            errors: list[BaseException] = []
            results = await sender(
                DeviceMessages.GetPower(),
                devices[5].serial,
                accept_found=True,
                error_catcher=errors,
            )
            assert errors == []
            assert [r.pkt.serial for r in results] == [devices[5].serial]
            assert len(proxy.log.requests_to(ZERO)) == broadcasts


async def test_a_device_given_by_host_name_still_answers(fleet: Fleet) -> None:
    """Replies come from the resolved IP, not the name: a name is not held to one address."""
    device = fleet.devices[6]
    target = LanTarget(broadcast=[("127.0.0.1", 9)])
    async with target.session() as sender:
        sender.add_device(device.serial, f"localhost:{device.port}")
        results = await sender(DeviceMessages.GetPower(), device.serial)
    assert [r.addr for r in results] == [device.addr]
