"""A seeded, fault-injecting UDP proxy between the engine and emulated bulbs (127.0.0.1 only).

One front port per device: the engine talks to the front (give it ``proxy.hard_coded`` or
``proxy.fronts`` as broadcast addresses), the proxy forwards from a back socket of its own
to the device and sends replies back to whoever last wrote to that front. Each direction
has its own ``Faults``: drop, delay, duplicate, reorder and corrupt, decided by one
``random.Random(seed)`` so a failing run can be replayed decision for decision.

Corruption produces malformed packets (truncated, garbage, a wrong size field, a wrong
protocol): UDP's checksum makes a well-formed but silently altered packet unrealistic.
StateService replies have their port rewritten to the front's, so discovery through the
proxy finds the proxy.
"""

from __future__ import annotations

import asyncio
import random
import struct
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

Addr = tuple[str, int]

TO_DEVICE = "to_device"
TO_CLIENT = "to_client"


@dataclass
class Faults:
    """Probabilities (0..1) per packet, and delays in seconds."""

    drop: float = 0.0
    duplicate: float = 0.0
    reorder: float = 0.0
    corrupt: float = 0.0
    delay: float | tuple[float, float] = 0.0  # fixed, or uniform between the two
    reorder_delay: float = 0.08  # how long a reordered packet is held back

    def pick_delay(self, rng: random.Random) -> float:
        if isinstance(self.delay, tuple):
            low, high = self.delay
            return rng.uniform(low, high)
        return float(self.delay)


@dataclass
class Log:
    """What passed through, per direction: counts and the header of each forwarded packet."""

    counts: Counter[str] = field(default_factory=Counter)
    # (time, direction, source, sequence, target, pkt_type) of every packet received ...
    packets: list[tuple[float, str, int, int, bytes, int]] = field(default_factory=list)
    # ... and of every packet passed on (after drops and delays)
    delivered: list[tuple[float, str, int, int, bytes, int]] = field(default_factory=list)

    def requests_to(self, target: bytes) -> list[tuple[float, int, int, int]]:
        """(time, source, sequence, pkt_type) of packets the proxy received for one device."""
        return [
            (t, src, seq, typ)
            for t, d, src, seq, tgt, typ in self.packets
            if d == TO_DEVICE and tgt == target
        ]


_HEADER = struct.Struct("<HHI8s6xBB8xH2x")


def header_of(data: bytes) -> tuple[int, int, bytes, int] | None:
    """(source, sequence, target, pkt_type) or None for anything not header-shaped."""
    if len(data) < 36:
        return None
    _, _, source, target, _, sequence, pkt_type = _HEADER.unpack_from(data)
    return source, sequence, target, pkt_type


class _Front(asyncio.DatagramProtocol):
    def __init__(self, proxy: FaultProxy, index: int) -> None:
        self.proxy = proxy
        self.index = index
        self.transport: asyncio.DatagramTransport | None = None
        self.client: Addr | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.DatagramTransport)
        self.transport = transport

    def datagram_received(self, data: bytes, addr: tuple[str | int, ...]) -> None:
        self.client = (str(addr[0]), int(addr[1]))
        self.proxy._forward(TO_DEVICE, self.index, data)


class _Back(asyncio.DatagramProtocol):
    def __init__(self, proxy: FaultProxy, index: int) -> None:
        self.proxy = proxy
        self.index = index
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.DatagramTransport)
        self.transport = transport

    def datagram_received(self, data: bytes, addr: tuple[str | int, ...]) -> None:
        self.proxy._forward(TO_CLIENT, self.index, data)


class FaultProxy:
    """``async with FaultProxy(devices, seed=1, to_device=Faults(drop=.3)) as proxy``."""

    def __init__(
        self,
        upstream: Iterable[tuple[str, Addr]],
        *,
        seed: int = 0,
        to_device: Faults | None = None,
        to_client: Faults | None = None,
    ) -> None:
        self.upstream = list(upstream)  # (serial, device address)
        self.rng = random.Random(seed)
        self.faults = {TO_DEVICE: to_device or Faults(), TO_CLIENT: to_client or Faults()}
        self.log = Log()
        self.silenced: set[str] = set()
        self.on_packet: Callable[[str, bytes], None] | None = None
        # drop exactly the packets this says (direction, data): a loss a test chooses
        self.drop_if: Callable[[str, bytes], bool] | None = None
        self._fronts: list[_Front] = []
        self._backs: list[_Back] = []
        self._handles: set[asyncio.TimerHandle] = set()
        self._loop: asyncio.AbstractEventLoop | None = None

    async def __aenter__(self) -> FaultProxy:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def start(self) -> None:
        loop = self._loop = asyncio.get_running_loop()
        for index, (_, device) in enumerate(self.upstream):
            front = _Front(self, index)
            await loop.create_datagram_endpoint(lambda f=front: f, local_addr=("127.0.0.1", 0))
            back = _Back(self, index)
            await loop.create_datagram_endpoint(
                lambda b=back: b, local_addr=("127.0.0.1", 0), remote_addr=device
            )
            self._fronts.append(front)
            self._backs.append(back)

    async def close(self) -> None:
        for handle in self._handles:
            handle.cancel()
        self._handles.clear()
        for end in (*self._fronts, *self._backs):
            if end.transport is not None:
                end.transport.close()
        await asyncio.sleep(0)  # let the transports finish closing

    # -- addresses for the engine ---------------------------------------------------------

    @property
    def fronts(self) -> list[Addr]:
        out = []
        for front in self._fronts:
            assert front.transport is not None
            host, port = front.transport.get_extra_info("sockname")[:2]
            out.append((str(host), int(port)))
        return out

    @property
    def hard_coded(self) -> dict[str, Addr]:
        """serial -> the proxy's front for it."""
        return {
            serial: front for (serial, _), front in zip(self.upstream, self.fronts, strict=True)
        }

    def silence(self, serial: str) -> None:
        """Drop everything to this device from now on (a device that went away)."""
        self.silenced.add(serial)

    # -- forwarding -----------------------------------------------------------------------

    def _forward(self, direction: str, index: int, data: bytes) -> None:
        assert self._loop is not None
        log = self.log
        now = self._loop.time()
        header = header_of(data)
        if header is not None:
            log.packets.append((now, direction, *header))
        log.counts[f"{direction}.received"] += 1
        if self.on_packet is not None:
            self.on_packet(direction, data)
        if direction == TO_DEVICE and self.upstream[index][0] in self.silenced:
            log.counts[f"{direction}.silenced"] += 1
            return
        if self.drop_if is not None and self.drop_if(direction, data):
            log.counts[f"{direction}.dropped"] += 1
            return
        faults = self.faults[direction]
        rng = self.rng
        if rng.random() < faults.drop:
            log.counts[f"{direction}.dropped"] += 1
            return
        if direction == TO_CLIENT and header is not None and header[3] == 3 and len(data) == 41:
            data = data[:37] + struct.pack("<I", self.fronts[index][1])
        if rng.random() < faults.corrupt:
            data = self._corrupt(data)
            log.counts[f"{direction}.corrupted"] += 1
        delay = faults.pick_delay(rng)
        if rng.random() < faults.reorder:
            delay += faults.reorder_delay
            log.counts[f"{direction}.reordered"] += 1
        self._send_later(direction, index, data, delay)
        if rng.random() < faults.duplicate:
            log.counts[f"{direction}.duplicated"] += 1
            self._send_later(direction, index, data, delay + rng.uniform(0, 0.05))

    def _corrupt(self, data: bytes) -> bytes:
        rng = self.rng
        kind = rng.randrange(4)
        if kind == 0:  # truncated
            return data[: rng.randrange(0, len(data))]
        if kind == 1:  # garbage of the same length
            return bytes(rng.randrange(256) for _ in data)
        if kind == 2:  # size field disagrees with the length
            return data + b"\x00" * rng.randint(1, 8)
        # protocol number broken
        return data[:2] + bytes([data[2] ^ 0x01]) + data[3:] if len(data) > 3 else b""

    def _send_later(self, direction: str, index: int, data: bytes, delay: float) -> None:
        assert self._loop is not None
        if delay <= 0:
            self._send(direction, index, data)
            return
        handle: asyncio.TimerHandle

        def fire() -> None:
            self._handles.discard(handle)
            self._send(direction, index, data)

        handle = self._loop.call_later(delay, fire)
        self._handles.add(handle)

    def _send(self, direction: str, index: int, data: bytes) -> None:
        self.log.counts[f"{direction}.sent"] += 1
        header = header_of(data)
        if header is not None and self._loop is not None:
            self.log.delivered.append((self._loop.time(), direction, *header))
        if direction == TO_DEVICE:
            back = self._backs[index].transport
            if back is not None and not back.is_closing():
                back.sendto(data)
        else:
            front = self._fronts[index]
            if front.transport is not None and not front.transport.is_closing() and front.client:
                front.transport.sendto(data, front.client)
