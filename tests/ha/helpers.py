"""Helpers for the Home Assistant tests: entries for the fleet, dead ports and slow bulbs.

SlowBulbs are real UDP servers on 127.0.0.1 that speak just enough of the LIFX header to answer
GetService, acknowledge and reply StatePower or EchoResponse, but only after a delay (or never).
They exist to see what the emulator cannot show: how many messages are waiting for an answer at
once. The engine retransmits with a fresh sequence number, so a message is recognised by its
type and payload: give concurrent messages distinct EchoRequest payloads to count them apart.
"""

from __future__ import annotations

import asyncio
import socket
import struct
from dataclasses import dataclass, field
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr

from custom_components.lifx_script.const import DOMAIN
from custom_components.lifx_script.hub import DEFAULT_OPTIONS
from tests.support.fleet import Fleet

HEADER = struct.Struct("<HHI8s6sBB8sHH")
GET_SERVICE, STATE_SERVICE = 2, 3
GET_POWER, STATE_POWER = 20, 22
ECHO_REQUEST, ECHO_RESPONSE = 58, 59
ACKNOWLEDGEMENT = 45
RES_REQUIRED, ACK_REQUIRED = 0x01, 0x02


def make_options(**overrides: Any) -> dict[str, Any]:
    """Entry options for tests: no interface broadcasts and no background discovery."""
    return {
        **DEFAULT_OPTIONS,
        "interface_broadcasts": False,
        "discovery_interval": 0,
        "message_timeout": 2.0,
        **overrides,
    }


def registry_device(hass: HomeAssistant, serial: str) -> dr.DeviceEntry | None:
    """The registry device of a bulb (identifier (lifx_script, serial)), or None.

    Works on every tested Home Assistant: 2026.10+ refuses `DeviceRegistry.async_get_device`,
    and lookups in `registry.devices`, from code outside an integration (identifiers are no
    longer unique across config entries); its replacement `async_get_device_by_identifier`
    does not exist in 2025.4. Listing each config entry's devices works on both; more than one
    device with the identifier is a test failure.
    """
    registry = dr.async_get(hass)
    found = {
        device.id: device
        for entry in hass.config_entries.async_entries()
        for device in dr.async_entries_for_config_entry(registry, entry.entry_id)
        if (DOMAIN, serial) in device.identifiers
    }
    assert len(found) <= 1, f"{len(found)} registry devices for {serial}"
    return next(iter(found.values()), None)


async def action_texts(hass: HomeAssistant) -> dict[str, str]:
    """The actions' English names and descriptions, keyed like "run.fields.serials.name".

    Read from the translations: Home Assistant 2026.10+ no longer merges them into
    `async_get_all_descriptions` (the frontend fetches them itself); 2025.4 has both.
    """
    from homeassistant.helpers.translation import async_get_translations

    prefix = f"component.{DOMAIN}.services."
    texts = await async_get_translations(hass, "en", "services", {DOMAIN})
    return {key.removeprefix(prefix): text for key, text in texts.items() if key.startswith(prefix)}


def fleet_devices(fleet: Fleet, serials: list[str] | None = None) -> dict[str, dict[str, Any]]:
    """Entry data for (some of) the fleet, as discovery would have stored it."""
    wanted = serials if serials is not None else fleet.serials
    return {
        d.serial: {
            "ip": d.ip,
            "port": d.port,
            "label": d.label,
            "product_id": d.product_id,
            "firmware": "3.70",
        }
        for d in fleet.devices
        if d.serial in wanted
    }


def broadcasts_for(fleet: Fleet, serials: list[str] | None = None) -> str:
    """The user's "broadcast addresses" that reach these fleet devices on loopback."""
    wanted = serials if serials is not None else fleet.serials
    return ", ".join(f"{d.ip}:{d.port}" for d in fleet.devices if d.serial in wanted)


def dead_port() -> int:
    """A loopback UDP port nobody listens on: bind one, then close it."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def packet(pkt_type: int, serial: str, source: int, sequence: int, payload: bytes = b"") -> bytes:
    """A reply: header (addressable, not tagged) plus payload."""
    target = bytes.fromhex(serial) + b"\x00\x00"
    header = HEADER.pack(
        HEADER.size + len(payload),
        1024 | 0x1000,
        source,
        target,
        bytes(6),
        0,
        sequence,
        bytes(8),
        pkt_type,
        0,
    )
    return header + payload


@dataclass
class InFlight:
    """Messages received and not yet answered, across every slow bulb."""

    now: int = 0
    peak: int = 0
    total: int = 0
    by_type: dict[int, int] = field(default_factory=dict)

    def start(self, pkt_type: int) -> None:
        self.now += 1
        self.total += 1
        self.peak = max(self.peak, self.now)
        self.by_type[pkt_type] = self.by_type.get(pkt_type, 0) + 1

    def finish(self) -> None:
        self.now -= 1


class SlowBulb(asyncio.DatagramProtocol):
    """One test bulb: answers GetService at once, everything else after `delay` (None: never)."""

    def __init__(self, serial: str, delay: float | None, tracker: InFlight) -> None:
        self.serial = serial
        self.delay = delay
        self.tracker = tracker
        self.transport: asyncio.DatagramTransport | None = None
        self.seen: set[tuple[int, bytes]] = set()
        self.handles: list[asyncio.TimerHandle] = []

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.DatagramTransport)
        self.transport = transport

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        _, _, source, _, _, flags, sequence, _, pkt_type, _ = HEADER.unpack_from(data)
        if pkt_type == GET_SERVICE:
            port = self.transport.get_extra_info("sockname")[1] if self.transport else 0
            self._send(
                packet(STATE_SERVICE, self.serial, source, sequence, struct.pack("<BI", 1, port)),
                addr,
            )
            return
        payload = data[HEADER.size :]
        if (pkt_type, payload) in self.seen:
            return  # a retransmission of a message already waiting
        self.seen.add((pkt_type, payload))
        self.tracker.start(pkt_type)
        if self.delay is None:
            return
        loop = asyncio.get_running_loop()
        self.handles.append(
            loop.call_later(
                self.delay, self._answer, source, sequence, flags, pkt_type, payload, addr
            )
        )

    def _answer(
        self,
        source: int,
        sequence: int,
        flags: int,
        pkt_type: int,
        payload: bytes,
        addr: tuple[str, int],
    ) -> None:
        self.tracker.finish()  # stays in `seen`: late retransmissions are not new messages
        if flags & ACK_REQUIRED:
            self._send(packet(ACKNOWLEDGEMENT, self.serial, source, sequence), addr)
        if not flags & RES_REQUIRED:
            return
        if pkt_type == GET_POWER:
            state = struct.pack("<H", 65535)
            self._send(packet(STATE_POWER, self.serial, source, sequence, state), addr)
        elif pkt_type == ECHO_REQUEST:
            self._send(packet(ECHO_RESPONSE, self.serial, source, sequence, payload), addr)

    def _send(self, data: bytes, addr: tuple[str, int]) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.sendto(data, addr)


class SlowBulbs:
    """A set of slow bulbs sharing one in-flight tracker."""

    def __init__(self) -> None:
        self.tracker = InFlight()
        self.bulbs: dict[str, tuple[SlowBulb, int]] = {}

    async def add(self, serial: str, delay: float | None) -> int:
        """Start a bulb; returns its port."""
        loop = asyncio.get_running_loop()
        transport, protocol = await loop.create_datagram_endpoint(
            lambda: SlowBulb(serial, delay, self.tracker), local_addr=("127.0.0.1", 0)
        )
        port: int = transport.get_extra_info("sockname")[1]
        self.bulbs[serial] = (protocol, port)
        return port

    def devices(self) -> dict[str, dict[str, Any]]:
        """Entry data for the bulbs."""
        return {
            serial: {
                "ip": "127.0.0.1",
                "port": port,
                "label": f"Slow {serial[-2:]}",
                "product_id": 27,
                "firmware": "3.70",
            }
            for serial, (_, port) in self.bulbs.items()
        }

    async def close(self) -> None:
        """Stop every bulb and let the transports finish closing."""
        for bulb, _ in self.bulbs.values():
            for handle in bulb.handles:
                handle.cancel()
            if bulb.transport is not None:
                bulb.transport.close()
        await asyncio.sleep(0)
