"""A responder that costs nearly nothing: many LIFX "devices" in one process, for bench_engine.py.

The emulator spends far more CPU per packet than any library under test, so with it the
benchmark measures the emulator. This stands in for `count` colour bulbs, each a UDP socket on
127.0.0.1 with a port of its own, all served by one epoll loop that answers from precomputed
bytes: the reply header is a template with the request's source and sequence copied in. It
knows just enough to be answered correctly by every library in the benchmark:

- ack_required: an Acknowledgement (45);
- SetColor (102) remembers the colour, SetPower (21 / 117) the level; with res_required they
  answer with their State;
- GetService (2), GetHostFirmware (14), GetPower (20), GetLabel (23), GetVersion (32),
  EchoRequest (58), GetColor (101), GetLightPower (116): their State, whatever the flags;
- anything else: StateUnhandled (223). A packet for another target, or not a LIFX header, is
  counted and dropped.

Run as a process (`python _responder.py COUNT`, standard library only): it prints one JSON
line {"devices": [[serial, ip, port], ...]}, then answers commands on stdin, one per line:
`stats` -> {"cpu_seconds", "stats": {serial: {"received", "sent"}}}, `reset`, `quit`.
`CheapFleet` runs it and has the interface of `_common.Fleets`.
"""

from __future__ import annotations

import json
import os
import select
import socket
import struct
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HEADER = 36
PROTOCOL = struct.pack("<H", 1024 | 0x1000)  # addressable, not tagged, origin 0
ZERO_TARGET = bytes(8)
SERIAL_PREFIX = "d073d5"  # photons accepts no other

ACK = 45
STATE_UNHANDLED = 223
SET_COLOR, LIGHT_STATE = 102, 107
SET_POWER, SET_LIGHT_POWER = 21, 117


class Device:
    """One bulb: its socket, target, colour, power and label."""

    __slots__ = ("colour", "label", "port", "power", "received", "sent", "sock", "target")

    def __init__(self, index: int) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.setblocking(False)
        self.port: int = self.sock.getsockname()[1]
        self.target = bytes.fromhex(f"{SERIAL_PREFIX}{index:06x}") + b"\x00\x00"
        self.label = f"cheap {index}".encode().ljust(32, b"\x00")
        self.colour = struct.pack("<HHHH", 0, 0, 65535, 3500)
        self.power = 65535
        self.received = 0
        self.sent = 0

    @property
    def serial(self) -> str:
        return self.target[:6].hex()

    def payload(self, pkt_type: int) -> tuple[int, bytes] | None:
        """(reply type, payload) for a question of pkt_type; None: not one we know."""
        if pkt_type in (101, SET_COLOR):
            return LIGHT_STATE, (
                self.colour + b"\x00\x00" + struct.pack("<H", self.power) + self.label + bytes(8)
            )
        if pkt_type == 2:
            return 3, struct.pack("<BI", 1, self.port)
        if pkt_type == 14:
            return 15, struct.pack("<Q8sHH", 0, bytes(8), 90, 3)
        if pkt_type in (20, SET_POWER):
            return 22, struct.pack("<H", self.power)
        if pkt_type in (116, SET_LIGHT_POWER):
            return 118, struct.pack("<H", self.power)
        if pkt_type == 23:
            return 25, self.label
        if pkt_type == 32:
            return 33, struct.pack("<III", 1, 27, 0)
        return None


def reply(device: Device, data: bytes, pkt_type: int, payload: bytes) -> bytes:
    """Header with the request's source and sequence, the device's target; then payload."""
    return b"".join(
        (
            struct.pack("<H", HEADER + len(payload)),
            PROTOCOL,
            data[4:8],  # source
            device.target,
            bytes(7),  # reserved, then flags (none in a reply)
            data[23:24],  # sequence
            bytes(8),
            struct.pack("<HH", pkt_type, 0),
            payload,
        )
    )


def answer(device: Device, data: bytes) -> list[bytes]:
    """The datagrams a bulb sends back for one request (none for junk or another target)."""
    if len(data) < HEADER or data[0] | data[1] << 8 != len(data):
        return []
    target = data[8:16]
    if target != ZERO_TARGET and target != device.target:
        return []
    flags = data[22]
    pkt_type = data[32] | data[33] << 8
    out = []
    if flags & 0x02:
        out.append(reply(device, data, ACK, b""))
    if pkt_type == SET_COLOR and len(data) >= HEADER + 13:
        device.colour = data[37:45]
    elif pkt_type in (SET_POWER, SET_LIGHT_POWER) and len(data) >= HEADER + 2:
        device.power = data[36] | data[37] << 8
    known = pkt_type in (SET_COLOR, SET_POWER, SET_LIGHT_POWER)
    if pkt_type == 58:  # EchoRequest: EchoResponse with the same 64 bytes
        out.append(reply(device, data, 59, data[36:100].ljust(64, b"\x00")))
    elif not known or flags & 0x01:
        state = device.payload(pkt_type)
        if state is not None:
            out.append(reply(device, data, *state))
        elif not known:
            out.append(reply(device, data, STATE_UNHANDLED, struct.pack("<H", pkt_type)))
    return out


def serve(count: int) -> None:
    devices = [Device(i + 1) for i in range(count)]
    by_fd = {d.sock.fileno(): d for d in devices}
    poll = select.epoll()
    for fd in by_fd:
        poll.register(fd, select.EPOLLIN)
    stdin = sys.stdin.fileno()
    poll.register(stdin, select.EPOLLIN)
    print(json.dumps({"devices": [[d.serial, "127.0.0.1", d.port] for d in devices]}), flush=True)
    pending = b""
    while True:
        for fd, _ in poll.poll():
            device = by_fd.get(fd)
            if device is None:
                chunk = os.read(stdin, 4096)
                if not chunk:
                    return
                pending += chunk
                while b"\n" in pending:
                    line, _, pending = pending.partition(b"\n")
                    if not command(line.decode().strip(), devices):
                        return
                continue
            sock = device.sock
            while True:
                try:
                    data, addr = sock.recvfrom(4096)
                except BlockingIOError:
                    break
                device.received += 1
                for datagram in answer(device, data):
                    try:
                        sock.sendto(datagram, addr)
                        device.sent += 1
                    except OSError:
                        pass


def command(line: str, devices: list[Device]) -> bool:
    if line == "quit":
        return False
    if line == "stats":
        stats = {d.serial: {"received": d.received, "sent": d.sent} for d in devices}
        print(json.dumps({"cpu_seconds": time.process_time(), "stats": stats}), flush=True)
    elif line == "reset":
        for d in devices:
            d.received = d.sent = 0
        print(json.dumps({"ok": True}), flush=True)
    return True


class CheapFleet:
    """The responder process, with the interface bench_engine.py uses of `_common.Fleets`."""

    def __init__(self, count: int) -> None:
        from _common import Device as FleetDevice  # the benchmark's own (serial, ip, port)

        started = time.monotonic()
        self.process = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), str(count)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            bufsize=0,
        )
        first = self._read()
        self.devices = [FleetDevice(s, ip, int(port)) for s, ip, port in first["devices"]]
        self.start_seconds = time.monotonic() - started

    def _read(self) -> dict[str, Any]:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError("the cheap responder exited")
        answer: dict[str, Any] = json.loads(line)
        return answer

    def _command(self, line: str) -> dict[str, Any]:
        assert self.process.stdin is not None
        self.process.stdin.write(line.encode() + b"\n")
        self.process.stdin.flush()
        return self._read()

    def stats(self) -> dict[str, Any]:
        return self._command("stats")

    def reset(self) -> None:
        self._command("reset")

    def close(self) -> None:
        if self.process.poll() is None:
            assert self.process.stdin is not None
            try:
                self.process.stdin.write(b"quit\n")
                self.process.stdin.close()
                self.process.wait(timeout=10)
            except (OSError, subprocess.TimeoutExpired):
                self.process.kill()
                self.process.wait()

    def __enter__(self) -> CheapFleet:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


if __name__ == "__main__":
    serve(int(sys.argv[1]))
