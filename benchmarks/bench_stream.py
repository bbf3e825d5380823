"""Streaming benchmark: paint frames without acks at a set rate, count them at the device.

    .venv-bench/bin/python benchmarks/bench_stream.py [--duration 20] [--quick]

One device painted with SetExtendedColorZones (82 zones, one message a frame), one tile
with Set64 (one message a frame) and a 5-tile chain with Set64 (five messages a frame),
at 20 and 60 frames per second and as fast as possible ("max"), each for --duration
seconds, through run_with (one run per frame), a Repeater (the frame's messages repeated
every 1/rate s) and a session (sender(frame, serial) per frame); photons 0.46.7 beside it
through its sender, the same way. Every message asks for neither ack nor response.

The device is a cheap receiver in its own process on 127.0.0.1 (the emulator is far too
slow for thousands of frames a second): it only timestamps each datagram. A frame is
counted when its first message arrives. Printed per run: frames in each whole second,
the worst second's distance from the rate, and the longest gap between two frames.
Nothing is asserted; figures from a shared machine are noisy (see the README).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import random
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common

SERIAL = "d073d5005eed"
FRAMES_BUILT = 32  # distinct frames, cycled (building frames is bench_codec.py's business)

# The receiver: its own process, a blocking socket, a big buffer, one timestamp a datagram.
RECEIVER = r"""
import json, socket, struct, sys, time
sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
sock.bind(("127.0.0.1", 0))
print(sock.getsockname()[1], flush=True)
stamps = []
clock = time.monotonic
while True:
    data = sock.recv(2048)
    if data == b"STOP":
        break
    if len(data) >= 37:
        stamps.append((clock(), struct.unpack_from("<H", data, 32)[0], data[36]))
json.dump(stamps, sys.stdout)
"""


class Receiver:
    """The device: a subprocess that timestamps every datagram it gets."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", RECEIVER], stdout=subprocess.PIPE, text=True
        )
        assert self.process.stdout is not None
        self.port = int(self.process.stdout.readline())

    def stop(self) -> list[tuple[float, int, int]]:
        import socket

        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.sendto(b"STOP", ("127.0.0.1", self.port))
        out, _ = self.process.communicate(timeout=30)
        return [tuple(x) for x in json.loads(out)]  # type: ignore[misc]


def frames_of(messages: Any, scenario: str, rng: random.Random) -> list[list[Any]]:
    """FRAMES_BUILT frames of random colours for a scenario, in a library's messages."""

    def colours(n: int) -> list[dict[str, Any]]:
        return [
            {
                "hue": round(rng.uniform(0, 359), 2),
                "saturation": 1.0,
                "brightness": round(rng.uniform(0.1, 1), 4),
                "kelvin": 3500,
            }
            for _ in range(n)
        ]

    flags = {"ack_required": False, "res_required": False}
    frames = []
    for _ in range(FRAMES_BUILT):
        if scenario == "strip":
            frames.append(
                [
                    messages.MultiZoneMessages.SetExtendedColorZones(
                        duration=0,
                        apply=1,
                        zone_index=0,
                        colors_count=82,
                        colors=colours(82),
                        **flags,
                    )
                ]
            )
        else:
            tiles = 1 if scenario == "tile" else 5
            frames.append(
                [
                    messages.TileMessages.Set64(
                        tile_index=t,
                        length=1,
                        x=0,
                        y=0,
                        width=8,
                        duration=0,
                        colors=colours(64),
                        **flags,
                    )  # fmt: skip
                    for t in range(tiles)
                ]
            )
    return frames


async def paced(
    send: Callable[[list[Any]], Any], frames: list[list[Any]], rate: float | None, duration: float
) -> tuple[int, float]:
    """Send frame after frame, each at start + i / rate (or at once: rate None);
    (frames sent, seconds spent)."""
    loop = asyncio.get_running_loop()
    start = loop.time()
    end = start + duration
    i = 0
    while True:
        due = start + i / rate if rate else loop.time()
        if due >= end:
            return i, loop.time() - start
        delay = due - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        await send(frames[i % len(frames)])
        i += 1


async def run_ours(
    mode: str, scenario: str, rate: float | None, duration: float, port: int, rate_limit: float
) -> tuple[int, float]:
    engine = _common.import_engine()
    from custom_components.lifx_script.engine import codec

    frames = frames_of(codec, scenario, random.Random(1))
    target = engine.LanTarget(
        broadcast=[("127.0.0.1", port)],
        hard_coded={SERIAL: ("127.0.0.1", port)},
        bind=("127.0.0.1", 0),
        rate_limit=rate_limit or None,
    )
    if mode == "run_with":

        async def send(frame: list[Any]) -> None:
            await target.script(frame).run_with_all(SERIAL)

        return await paced(send, frames, rate, duration)
    if mode == "session":
        async with target.session() as sender:

            async def send_in_session(frame: list[Any]) -> None:
                await sender(frame, SERIAL)

            return await paced(send_in_session, frames, rate, duration)
    # a Repeater of one frame (the same frame every loop), stopped when the time is up
    end = time.monotonic() + duration
    loops = 0

    def done() -> None:
        nonlocal loops
        loops += 1
        if time.monotonic() >= end:
            raise engine.Repeater.Stop

    repeater = engine.Repeater(frames[0], min_loop_time=1 / rate if rate else 0, on_done_loop=done)
    start = time.monotonic()
    await target.script(repeater).run_with_all(SERIAL)
    return loops, time.monotonic() - start


async def run_photons(
    scenario: str, rate: float | None, duration: float, port: int
) -> tuple[int, float]:
    import os

    os.environ.pop("HARDCODED_DISCOVERY", None)
    from photons_app import helpers as hp
    from photons_messages import MultiZoneMessages, TileMessages, protocol_register
    from photons_transport.session.discovery_options import NoEnvDiscoveryOptions
    from photons_transport.targets import LanTarget

    class Messages:
        pass

    messages = Messages()
    messages.MultiZoneMessages = MultiZoneMessages  # type: ignore[attr-defined]
    messages.TileMessages = TileMessages  # type: ignore[attr-defined]
    frames = frames_of(messages, scenario, random.Random(1))
    final_future = hp.create_future()
    options = NoEnvDiscoveryOptions.FieldSpec().empty_normalise(
        hardcoded_discovery={SERIAL: ["127.0.0.1", port]}
    )
    target = LanTarget.create(
        {
            "protocol_register": protocol_register,
            "final_future": final_future,
            "default_broadcast": "127.0.0.1",
            "discovery_options": options,
        }
    )
    sender = await target.make_sender()
    try:

        async def send(frame: list[Any]) -> None:
            await sender(frame, SERIAL)

        return await paced(send, frames, rate, duration)
    finally:
        await target.close_sender(sender)
        final_future.cancel()


def summarise(
    stamps: list[tuple[float, int, int]], rate: float | None
) -> tuple[list[int], str, float]:
    """Frames per whole second, the worst second against the rate, and the longest gap
    between two frames beyond the frame period (ms; at max rate, the gap itself)."""
    starts = [t for t, _, first_byte in stamps if first_byte == 0]  # zone_index / tile_index 0
    if len(starts) < 2:
        return [len(starts)], "n/a", float("nan")
    first = starts[0]
    seconds = int(starts[-1] - first)
    counts = [0] * max(seconds, 1)
    for t in starts:
        k = int(t - first)
        if k < seconds:
            counts[k] += 1
    period = 1 / rate if rate else 0.0
    gap = (max(b - a for a, b in itertools.pairwise(starts)) - period) * 1000
    if rate and seconds:
        worst = max(abs(c - rate) / rate for c in counts[:seconds])
        verdict = f"{worst * 100:.1f}%"
    else:
        verdict = "-"
    return counts[:seconds], verdict, gap


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=float, default=20.0, help="seconds per run")
    parser.add_argument("--quick", action="store_true", help="3 s runs")
    parser.add_argument("--rates", default="20,60,max", help="frames per second, or max")
    parser.add_argument("--scenarios", default="strip,tile,chain")
    parser.add_argument("--modes", default="run_with,repeater,session")
    parser.add_argument("--libs", default="lifx_script,photons")
    parser.add_argument(
        "--rate-limit", type=float, default=0, help="our target's rate_limit (0: none)"
    )
    args = parser.parse_args()
    duration = 3.0 if args.quick else args.duration
    rates = [None if r == "max" else float(r) for r in args.rates.split(",")]
    _common.install_loopback_guard()

    runs: list[tuple[str, str, str, float | None]] = []
    for scenario in args.scenarios.split(","):
        for rate in rates:
            if "lifx_script" in args.libs:
                runs += [("lifx_script", mode, scenario, rate) for mode in args.modes.split(",")]
            if "photons" in args.libs:
                runs.append(("photons", "sender", scenario, rate))
    print("Streaming benchmark: frames without ack or response, counted at the device")
    print(_common.machine_line())
    print(
        f"{len(runs)} runs of {duration:g} s (about {len(runs) * (duration + 1) / 60:.1f} min); "
        "strip = SetExtendedColorZones (82 zones), tile = Set64, chain = 5 x Set64 a frame"
        + (f"; our rate_limit {args.rate_limit:g}/s" if args.rate_limit else "")
    )
    print()
    rows = []
    for lib, mode, scenario, rate in runs:
        receiver = Receiver()
        error = ""
        took = 1.0
        try:
            if lib == "photons":
                sent, took = asyncio.run(run_photons(scenario, rate, duration, receiver.port))
            else:
                sent, took = asyncio.run(
                    run_ours(mode, scenario, rate, duration, receiver.port, args.rate_limit)
                )
        except Exception as exc:  # a library failing is a figure too
            sent, error = 0, f"{type(exc).__name__}: {exc}"[:60]
        time.sleep(0.2)  # the last datagrams
        stamps = receiver.stop()
        counts, worst, gap = summarise(stamps, rate)
        shown = counts if len(counts) <= 8 else [*counts[:4], "...", *counts[-3:]]
        rows.append(
            [
                _common.library_label(lib if lib != "photons" else "lifx-photons-core"),
                mode,
                scenario,
                "max" if rate is None else f"{rate:g}",
                f"{sent}",
                f"{len(stamps)}",
                f"{sent / took:,.0f}" if sent else "0",
                " ".join(map(str, shown)),
                f"{min(counts)}-{max(counts)}" if counts else "-",
                worst,
                f"{gap:,.1f}",
                error,
            ]
        )
        print("  " + " | ".join(rows[-1]), flush=True)
    print()
    _common.print_table(
        [
            "library",
            "mode",
            "device",
            "rate/s",
            "frames sent",
            "datagrams in",
            "frames/s",
            "frames in each second",
            "min-max",
            "worst vs rate",
            "gap beyond period ms",
            "error",
        ],
        rows,
        title="Per run (goal: every second within 5% of the rate, no frame more than 50 ms "
        "late (gap beyond the period); max: at least 20x photons' 51 frames/s; "
        "frames/s = frames sent / seconds painting)",
        align="lllrrrrlrrrl",
    )
    blocked = _common.blocked_sends()
    print(f"\nnon-loopback sends blocked: {len(blocked)}")


if __name__ == "__main__":
    main()
