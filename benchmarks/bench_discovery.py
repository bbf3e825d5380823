"""Discovery benchmark: how long a search for "all" devices takes, adaptive quiet gap vs the
old fixed 0.45 s, for 12 and 500 emulated devices on 127.0.0.1.

    .venv/bin/python benchmarks/bench_discovery.py [--devices 12,500] [--rounds 5]

Two layouts per size: one UDP port per device (GetService unicast to each address, as the
tests' "broadcast" lists do) and every device behind one shared port (one GetService, all
answers from one address: the closest loopback gets to a real broadcast). Each round is a
fresh session's `discover()`. Printed per layout and gap: devices found (worst round), the
median wall time of discover(), the median time from the first GetService to the last
StateService, and the difference (what the quiet gap and the end of the search cost).
"fixed" sets the gap's floor to the old 0.45 s, which makes it today's fixed gap again.

Then "found again": a device known at an address that went silent times out once (so it is
marked stale), and the next run's GetPower to it is timed: the search, the device's
confirmation at its new address and the GetPower. "direct" asks the device's own address;
"via relay" asks a relay that passes the answer back from another port (as a broadcast's
answers come from an address the GetService did not go to), so the new address is
confirmed by a unicast exchange first.
Nothing is asserted: this prints figures.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common

OLD_GAP = 0.45


async def one_round(engine: Any, addrs: list[tuple[str, int]]) -> tuple[int, float, float]:
    """(found, discover() seconds, first send to last reply seconds)."""
    target = engine.LanTarget(broadcast=addrs)
    async with target.session() as sender:
        link = sender.link
        last: list[float] = []
        feed = link.matcher.feed

        def timed_feed(data: bytes, addr: tuple[str, int]) -> None:
            last.append(time.monotonic())
            feed(data, addr)

        assert link.endpoint is not None
        link.endpoint._on_datagram = timed_feed
        start = time.monotonic()
        found = await sender.discover()
        took = time.monotonic() - start
    return len(found), took, (max(last) - start) if last else 0.0


def run(engine: Any, matcher: Any, addrs: list[tuple[str, int]], rounds: int, fixed: bool) -> Any:
    floor = matcher.QUIET_FLOOR
    if fixed:
        matcher.QUIET_FLOOR = OLD_GAP
    try:
        results = [asyncio.run(one_round(engine, addrs)) for _ in range(rounds)]
    finally:
        matcher.QUIET_FLOOR = floor
    found = min(r[0] for r in results)
    took = statistics.median(r[1] for r in results)
    last = statistics.median(r[2] for r in results)
    return found, took, last


async def found_again(engine: Any, device: Any, rounds: int) -> dict[str, list[float]]:
    import socket

    from tests.engine.test_untrusted import Relay

    relay = await Relay.start(device.addr)
    times: dict[str, list[float]] = {"direct": [], "via relay": []}
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as silent:
        silent.bind(("127.0.0.1", 0))
        try:
            for layout, addrs in (("direct", [device.addr]), ("via relay", [relay.addr])):
                for _ in range(rounds):
                    target = engine.LanTarget(broadcast=addrs)
                    async with target.session() as sender:
                        sender.add_device(device.serial, silent.getsockname())
                        errors: list[BaseException] = []
                        get_power = engine.DeviceMessages.GetPower()
                        await sender(
                            get_power, device.serial, message_timeout=0.3, error_catcher=errors
                        )
                        start = time.monotonic()
                        results = await sender(get_power, device.serial)
                        took = time.monotonic() - start
                        if [r.addr for r in results] == [device.addr]:
                            times[layout].append(took)
        finally:
            relay.close()
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", default="12,500")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    _common.install_loopback_guard()
    engine = _common.import_engine()
    from custom_components.lifx_script.engine.transport import matcher

    fleet_module = _common._fleet_module()
    print(_common.machine_line())
    rows = []
    for count in (int(n) for n in args.devices.split(",")):
        for shared in (False, True):
            started = time.monotonic()
            with fleet_module.Fleet(f"colorx{count}", shared_port=shared) as fleet:
                start_s = time.monotonic() - started
                addrs = sorted({d.addr for d in fleet.devices})
                for fixed in (False, True):
                    found, took, last = run(engine, matcher, addrs, args.rounds, fixed)
                    rows.append(
                        [
                            str(count),
                            "shared port" if shared else "port each",
                            "fixed 0.45" if fixed else "adaptive",
                            f"{found}/{count}",
                            f"{took:.3f}",
                            f"{last:.3f}",
                            f"{took - last:.3f}",
                            f"{start_s:.1f}",
                        ]
                    )
    _common.print_table(
        [
            "devices",
            "layout",
            "gap",
            "found",
            "discover s",
            "last reply s",
            "after it s",
            "fleet start s",
        ],
        rows,
    )
    with fleet_module.Fleet("colorx2") as fleet:
        again = asyncio.run(found_again(engine, fleet.devices[0], args.rounds))
    _common.print_table(
        ["found again", "found", "median s", "max s"],
        [
            [
                layout,
                f"{len(times)}/{args.rounds}",
                f"{statistics.median(times):.4f}" if times else "-",
                f"{max(times):.4f}" if times else "-",
            ]
            for layout, times in again.items()
        ],
    )
    blocked = _common.blocked_sends()
    print(f"blocked non-loopback sends: {len(blocked)}")


if __name__ == "__main__":
    main()
