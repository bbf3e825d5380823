"""The floor under bench_engine.py: the same round with no library, only sockets (and codec).

A round, as in bench_engine.py: SetColor with ack_required to every device, 30 in flight, and
wait for the acks; then GetColor (res_required) to every device and wait for the LightStates;
against the same cheap responder (`_responder.py`). Two floors, each in this one process:

- `sockets`: one non-blocking UDP socket read with `loop.add_reader`, packets made with one
  `struct.pack` (a header template), a reply matched by (target, sequence) in a dict and
  nothing decoded beyond that; a callback per reply starts the next send; sends of one loop
  iteration go out together (as the engine does). No retries, no timeouts, no results.
- `sockets + codec`: the same, with the engine's own codec doing what it must for each
  request: `pack_for`, `unpack_header`, decoding the reply and `make_result`.

What the engine does beyond that (retry schedule, sequence quarantine, address checks,
limits, stats, the script's tasks) is the difference to its bench_engine.py figure. Prints
CPU us per (message, device), as bench_engine.py does; asserts nothing.

    .venv-bench/bin/python benchmarks/bench_engine_floor.py [--devices 500] [--rounds 20]
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import socket
import struct
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common
import _responder

HEADER = struct.Struct("<HHI8s6sBBQHH")  # size, protocol, source, target, res, flags, seq, ...
SOURCE = 0x1234
IN_FLIGHT = 30


def packet(target: bytes, seq: int, pkt_type: int, payload: bytes, ack: bool, res: bool) -> bytes:
    flags = (2 if ack else 0) | (1 if res else 0)
    size = HEADER.size + len(payload)
    return HEADER.pack(size, 0x1400, SOURCE, target, bytes(6), flags, seq, 0, pkt_type, 0) + payload


async def rounds(devices: list[tuple[str, str, int]], count: int, with_codec: bool) -> float:
    """CPU us per (message, device) over count rounds (after one cold round)."""
    engine = _common.import_engine()
    codec: Any = importlib.import_module(engine.__name__ + ".codec")
    results_module: Any = importlib.import_module(engine.__name__ + ".script.results")
    unpack_header = codec.unpack_header
    decode = codec.Messages.unpack_after_header
    make_result = results_module.make_result
    loop = asyncio.get_running_loop()
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    sock.bind(("127.0.0.1", 0))
    sock.setblocking(False)
    targets = [(bytes.fromhex(serial) + b"\0\0", (ip, port)) for serial, ip, port in devices]
    pending: dict[tuple[bytes, int], Callable[[Any], None]] = {}
    outbox: list[tuple[bytes, tuple[str, int]]] = []
    results: list[Any] = []

    def readable() -> None:
        for _ in range(64):
            try:
                data, addr = sock.recvfrom(65536)
            except BlockingIOError:
                return
            if with_codec:
                header = unpack_header(data)
                key = (header.target, header.sequence)
            else:
                fields = HEADER.unpack_from(data)
                key = (fields[3], fields[6])
            done = pending.pop(key, None)
            if done is None:
                continue
            if with_codec and header.pkt_type != 45:
                done(make_result(decode(header, data), addr, None))
            else:
                done(None)

    def flush() -> None:
        batch = outbox[:]
        outbox.clear()
        for data, addr in batch:
            sock.sendto(data, addr)

    set_color = codec.LightMessages.SetColor(
        hue=90, saturation=1, brightness=0.5, kelvin=3500, duration=0, ack_required=True
    )
    get_color = codec.LightMessages.GetColor(ack_required=False, res_required=True)
    colour = struct.pack("<xHHHHI", 16384, 65535, 32768, 3500, 0)

    async def phase(msg: Any, seq: int) -> None:
        remaining = iter(targets)
        finished = loop.create_future()
        left = [len(targets)]

        def start_next() -> None:
            for target, addr in remaining:
                pending[(target, seq)] = on_reply
                if not outbox:
                    loop.call_soon(flush)
                if with_codec:
                    data = msg.pack_for(target, SOURCE, seq)
                elif msg is set_color:
                    data = packet(target, seq, 102, colour, True, False)
                else:
                    data = packet(target, seq, 101, b"", False, True)
                outbox.append((data, addr))
                return

        def on_reply(result: Any) -> None:
            if result is not None:
                results.append(result)
            left[0] -= 1
            if not left[0]:
                finished.set_result(None)
            else:
                start_next()

        for _ in range(IN_FLIGHT):
            start_next()
        await finished

    loop.add_reader(sock.fileno(), readable)
    try:
        await phase(set_color, 0)
        await phase(get_color, 0)
        started = time.process_time()
        for index in range(count):
            seq = (index + 1) & 0xFF
            await phase(set_color, seq)
            await phase(get_color, seq)
        cpu = time.process_time() - started
    finally:
        loop.remove_reader(sock.fileno())
        sock.close()
    return cpu / (2 * len(targets) * count) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    print("Engine floor: SetColor (ack) then GetColor to every device, 30 in flight, no library")
    print(_common.machine_line())
    with _responder.CheapFleet(args.devices) as fleet:
        devices = [(d.serial, d.ip, d.port) for d in fleet.devices[: args.devices]]
        for label, with_codec in (("sockets", False), ("sockets + codec", True)):
            figures = [asyncio.run(rounds(devices, args.rounds, with_codec)) for _ in range(3)]
            shown = ", ".join(f"{figure:.1f}" for figure in figures)
            print(f"  {label:16s} CPU us per (message, device), 3 runs: {shown}")


if __name__ == "__main__":
    main()
