"""The one UDP socket a session owns: datagrams in go to a callback, datagrams out are queued."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import Callable

from .addresses import Addr

_LOG = logging.getLogger(__name__)

OnDatagram = Callable[[bytes, Addr], None]

RECEIVE_BUFFER = 4 * 1024 * 1024  # the kernel caps it at net.core.rmem_max
MAX_DATAGRAM = 256 * 1024  # what asyncio's datagram transport reads at most
# datagrams read per wake-up of the socket (asyncio reads one per event-loop iteration)
DRAIN = 64


class UdpEndpoint(asyncio.DatagramProtocol):
    """A thin DatagramProtocol: no buffering of its own; OS errors are logged and dropped."""

    def __init__(self, on_datagram: OnDatagram) -> None:
        self._on_datagram = on_datagram
        self._transport: asyncio.DatagramTransport | None = None
        self._sock: socket.socket | None = None
        self.closed = asyncio.get_running_loop().create_future()

    @classmethod
    async def open(cls, bind: Addr, on_datagram: OnDatagram) -> UdpEndpoint:
        """Bind a broadcast-capable IPv4 socket (port 0: an ephemeral port)."""
        loop = asyncio.get_running_loop()
        endpoint = cls(on_datagram)
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
            # replies to a burst of requests arrive together: a small buffer drops them
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RECEIVE_BUFFER)
            sock.setblocking(False)
            sock.bind(bind)
        except BaseException:
            sock.close()
            raise
        await loop.create_datagram_endpoint(lambda: endpoint, sock=sock)
        endpoint._sock = sock
        return endpoint

    @property
    def local_address(self) -> Addr:
        assert self._transport is not None
        host, port = self._transport.get_extra_info("sockname")[:2]
        return (str(host), int(port))

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.DatagramTransport)
        self._transport = transport

    def datagram_received(self, data: bytes, addr: tuple[str | int, ...]) -> None:
        on_datagram = self._on_datagram
        on_datagram(data, (str(addr[0]), int(addr[1])))
        # replies come in bursts: read what else is queued now rather than one datagram per
        # event-loop iteration (bounded, so a flood cannot starve the loop)
        sock = self._sock
        transport = self._transport
        if sock is None or transport is None:
            return
        recvfrom = sock.recvfrom
        for _ in range(DRAIN):
            if transport.is_closing():
                return
            try:
                data, raw = recvfrom(MAX_DATAGRAM)
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:
                self.error_received(exc)
                return
            on_datagram(data, (str(raw[0]), int(raw[1])))

    def error_received(self, exc: Exception) -> None:
        # ICMP port unreachable and friends: the retry schedule copes with a lost packet.
        _LOG.debug("UDP error: %s", exc)

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.closed.done():
            self.closed.set_result(None)

    def send(self, data: bytes, addr: Addr) -> None:
        transport = self._transport
        if transport is None or transport.is_closing():
            return
        transport.sendto(data, addr)

    async def close(self) -> None:
        transport = self._transport
        if transport is not None and not transport.is_closing():
            transport.close()
        if self._transport is not None:
            await self.closed
