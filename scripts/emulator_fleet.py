"""Start a fleet of emulated LIFX devices on 127.0.0.1, one UDP port each.

Runs in its own venv (.venv-emulator/, requirements/emulator.txt): lifx-emulator-core
cannot share a venv with Home Assistant 2025.4.4. Tests, benchmarks and the demo start it
as a process and talk to it over UDP, as they would to real bulbs.

Usage: emulator_fleet.py [--shared-port] [--port N] [--serial-prefix HEX] KIND[:ARG][xCOUNT] ...

Kinds: color, white (white to warm), infrared, hev, candle, multizone:ZONES (LIFX Z),
beam:ZONES, tile:TILES, switch, product:PID. A trailing xCOUNT repeats the device.

Protocol on stdout (JSON lines): one {"serial","ip","port","product_id","kind","label"}
per device, then {"ready": true}. Commands on stdin, one per line:
  stats            -> {"stats": {serial: {"received": n, "sent": n, "by_type": {pkt_type: n}}},
                       "cpu_seconds": f}
  state SERIAL     -> {"state": {...}} (power, colour, label, zones) of one device
  reset            -> zero the packet counters
  quit (or EOF)    -> stop every server and exit 0
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import signal
import sys
from dataclasses import dataclass
from typing import Any

from lifx_emulator import EmulatedLifxServer
from lifx_emulator.devices.manager import DeviceManager
from lifx_emulator.factories import (
    create_color_light,
    create_color_temperature_light,
    create_device,
    create_hev_light,
    create_infrared_light,
    create_switch,
    create_tile_device,
)
from lifx_emulator.repositories import DeviceRepository

LOOPBACK = "127.0.0.1"


@dataclass
class Spec:
    kind: str
    arg: int | None


def parse_specs(words: list[str]) -> list[Spec]:
    specs: list[Spec] = []
    for word in words:
        count = 1
        if "x" in word.split(":")[-1]:
            word, _, times = word.rpartition("x")
            count = int(times)
        kind, _, arg = word.partition(":")
        specs.extend(Spec(kind, int(arg) if arg else None) for _ in range(count))
    return specs


def make_device(spec: Spec, serial: str) -> Any:
    common: dict[str, Any] = {"serial": serial, "mdns_enabled": False}
    kind, arg = spec.kind, spec.arg
    if kind == "color":
        return create_color_light(**common)
    if kind == "white":
        return create_color_temperature_light(**common)
    if kind == "infrared":
        return create_infrared_light(**common)
    if kind == "hev":
        return create_hev_light(**common)
    if kind == "candle":
        return create_device(57, **common)
    if kind == "multizone":
        return create_device(32, zone_count=arg or 16, extended_multizone=True, **common)
    if kind == "beam":
        return create_device(38, zone_count=arg or 80, extended_multizone=True, **common)
    if kind == "tile":
        return create_tile_device(tile_count=arg or 5, **common)
    if kind == "switch":
        return create_switch(**common)
    if kind == "product":
        if arg is None:
            raise SystemExit("product needs a product id: product:PID")
        return create_device(arg, **common)
    raise SystemExit(f"unknown device kind {kind!r}")


def hsbk(color: Any) -> dict[str, int]:
    return {
        "hue": color.hue,
        "saturation": color.saturation,
        "brightness": color.brightness,
        "kelvin": color.kelvin,
    }


def describe_state(device: Any) -> dict[str, Any]:
    state = device.state
    info: dict[str, Any] = {
        "serial": state.serial,
        "label": state.label,
        "power_level": state.power_level,
        "color": hsbk(state.color),
        "product_id": state.product,
    }
    zones = getattr(state, "zone_colors", None)
    if state.has_multizone and zones:
        info["zone_colors"] = [hsbk(c) for c in zones]
    if state.has_matrix:
        tiles = getattr(state, "tile_devices", None) or []
        info["tile_colors"] = [[hsbk(c) for c in tile["colors"]] for tile in tiles]
    return info


class Fleet:
    def __init__(self) -> None:
        self.servers: dict[str, EmulatedLifxServer] = {}

    async def start(self, specs: list[Spec], prefix: str, shared_port: int | None) -> None:
        devices = [(spec, make_device(spec, f"{prefix}{i:06x}")) for i, spec in enumerate(specs)]
        if shared_port is not None:
            server = EmulatedLifxServer(
                [d for _, d in devices],
                DeviceManager(DeviceRepository()),
                LOOPBACK,
                shared_port,
                track_activity=False,
            )
            await server.start()
            for _, device in devices:
                self.servers[device.state.serial] = server
        else:
            for _, device in devices:
                server = EmulatedLifxServer(
                    [device], DeviceManager(DeviceRepository()), LOOPBACK, 0, track_activity=False
                )
                await server.start()
                self.servers[device.state.serial] = server
        for spec, device in devices:
            state = device.state
            emit(
                {
                    "serial": state.serial,
                    "ip": LOOPBACK,
                    "port": state.port,
                    "product_id": state.product,
                    "kind": spec.kind,
                    "label": state.label,
                }
            )
        emit({"ready": True})

    def device(self, serial: str) -> Any:
        server = self.servers[serial]
        for device in server.get_all_devices():
            if device.state.serial == serial:
                return device
        raise KeyError(serial)

    def stats(self) -> dict[str, Any]:
        per_device: dict[str, Any] = {}
        for serial, server in self.servers.items():
            per_device[serial] = {
                "received": server.packets_received,
                "sent": server.packets_sent,
                "by_type": {str(k): v for k, v in server.packets_received_by_type.items()},
            }
        times = os.times()
        return {"stats": per_device, "cpu_seconds": times.user + times.system}

    def reset(self) -> None:
        for server in set(self.servers.values()):
            server.packets_received = 0
            server.packets_sent = 0
            server.packets_received_by_type.clear()
            server.packets_sent_by_type.clear()

    async def stop(self) -> None:
        for server in set(self.servers.values()):
            await server.stop()


def emit(obj: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


async def serve_commands(fleet: Fleet, stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    while not stop.is_set():
        line = await reader.readline()
        if not line:
            break
        words = line.decode().split()
        if not words:
            continue
        command = words[0]
        if command == "quit":
            break
        if command == "stats":
            emit(fleet.stats())
        elif command == "reset":
            fleet.reset()
            emit({"reset": True})
        elif command == "state" and len(words) == 2:
            try:
                emit({"state": describe_state(fleet.device(words[1]))})
            except KeyError:
                emit({"error": f"unknown serial {words[1]}"})
        else:
            emit({"error": f"unknown command {line.decode().strip()!r}"})
    stop.set()


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("devices", nargs="+", help="KIND[:ARG][xCOUNT]")
    parser.add_argument("--shared-port", action="store_true", help="all devices behind one port")
    parser.add_argument("--port", type=int, default=0, help="port for --shared-port (0: ephemeral)")
    parser.add_argument("--serial-prefix", default="d073d5", help="first 6 hex digits of serials")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    specs = parse_specs(args.devices)
    fleet = Fleet()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    await fleet.start(specs, args.serial_prefix, args.port if args.shared_port else None)
    commands = asyncio.create_task(serve_commands(fleet, stop))
    await stop.wait()
    commands.cancel()
    await fleet.stop()


if __name__ == "__main__":
    asyncio.run(main())
