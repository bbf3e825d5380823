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
    blocked = _common.blocked_sends()
    print(f"blocked non-loopback sends: {len(blocked)}")


if __name__ == "__main__":
    main()
