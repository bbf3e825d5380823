"""Gather benchmark: our Gatherer beside photons' (photons_control.planner) on emulated devices.

    .venv-bench/bin/python benchmarks/bench_gather.py [--devices 100] [--quick] [--rounds N]
        [--peers lifx_script,lifx-photons-core] [--skip-plans] [--skip-summary]

1. Messages per device per plan: a mixed fleet (one device of each emulated kind), each plan
   gathered alone with a new gatherer (nothing cached), the emulator's received-packet count
   per device (retransmits included). Photons' plan of the same facts: state for color,
   hev_status for hev; it has none for infrared, wifi, group and location.
2. The summary plans (label, power, color, capability; photons: label, power, state,
   capability) from 100 and 500 colour bulbs at once: a new gatherer per round (wall and CPU:
   median of the rounds), packets the emulator received per device, and a second gather with
   the same gatherer (what each library caches).

Each library runs in its own process (.venv-bench's Python) against the same emulator
process; every socket there is guarded against non-loopback sends. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import importlib
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common

WORKER = str(Path(__file__).resolve().parent / "_gather_worker.py")
ALL_PEERS = (_common.OURS, "lifx-photons-core")
# the engine's own plan names and summary (standard library only: .venv-bench imports it)
_planner = importlib.import_module(_common.import_engine().__name__ + ".control.planner")
PLANS: tuple[str, ...] = _planner.PLAN_NAMES
SUMMARY = list(_planner.SUMMARY_PLANS)
MIXED = ("color", "white", "infrared", "hev", "multizone:82", "beam:80", "tile:5", "switch")


class Session:
    """One library's worker process: setup once, then gather jobs."""

    def __init__(self, peer: str, devices: list[_common.Device]) -> None:
        self.worker = _common.Worker([WORKER])
        self.worker.send({"peer": peer, "devices": [d.as_list() for d in devices]})
        self.ready = self.worker.read(timeout=180)

    @property
    def na(self) -> str | None:
        return self.ready.get("na")

    def job(self, plans: list[str], fresh: bool, timeout: float = 120) -> dict[str, Any]:
        self.worker.send({"plans": plans, "fresh": fresh})
        return self.worker.read(timeout=timeout)

    def close(self) -> None:
        try:
            self.worker.send_line("quit")
        except OSError:
            pass
        self.worker.close()


def received(stats: dict[str, Any], serial: str) -> int:
    return int(stats["stats"][serial]["received"])


def per_plan(peers: list[str], labels: dict[str, str]) -> None:
    fleet_module = _common._fleet_module()
    with fleet_module.Fleet(*MIXED) as fleet:
        devices = [_common.Device(d.serial, d.ip, d.port) for d in fleet.devices]
        kinds = [d.kind for d in fleet.devices]
        counts: dict[str, dict[str, list[str]]] = {plan: {} for plan in PLANS}
        notes: list[str] = []
        for peer in peers:
            session = Session(peer, devices)
            try:
                if session.na:
                    notes.append(f"{labels[peer]}: n/a: {session.na}")
                    continue
                for plan in PLANS:
                    fleet.reset()
                    result = session.job([plan], fresh=True)
                    stats = fleet.stats()
                    if result.get("skipped_plans"):
                        cells = ["-"] * len(devices)
                    else:
                        cells = [str(received(stats, d.serial)) for d in devices]
                    counts[plan][peer] = cells
                    if result.get("errors"):
                        notes.append(
                            f"{labels[peer]} {plan}: {result['errors']} errors, "
                            f"first: {result['first_error']}"
                        )
            finally:
                session.close()
        rows = []
        for plan in PLANS:
            row = [plan]
            for index in range(len(devices)):
                cells = [counts[plan].get(p, ["?"] * len(devices))[index] for p in peers]
                row.append(" / ".join(cells))
            rows.append(row)
        _common.print_table(
            ["plan", *kinds],
            rows,
            title="Messages received per device for one plan, new gatherer: "
            + " / ".join(labels[p] for p in peers),
        )
        for note in notes:
            print(f"  {note}")
        print()


def summary(peers: list[str], labels: dict[str, str], sizes: list[int], rounds: int) -> None:
    with _common.Fleets(max(sizes)) as fleet:
        print(
            f"emulator: {len(fleet.devices)} colour bulbs on 127.0.0.1, one UDP port each, "
            f"started in {fleet.start_seconds:.2f} s; {rounds} rounds each"
        )
        for n in sizes:
            devices = fleet.devices[:n]
            serials = [d.serial for d in devices]
            rows = []
            notes = []
            for peer in peers:
                session = Session(peer, devices)
                try:
                    if session.na:
                        rows.append([labels[peer], "n/a"] + [""] * 7)
                        notes.append(f"{labels[peer]}: n/a: {session.na}")
                        continue
                    session.job(SUMMARY, fresh=True)  # cold: sockets, first use
                    walls, cpus, packets, complete, errors = [], [], [], [], 0
                    for _ in range(rounds):
                        before = fleet.stats()
                        result = session.job(SUMMARY, fresh=True)
                        after = fleet.stats()
                        rx0, _ = _common.packet_counts(before, serials)
                        rx1, _ = _common.packet_counts(after, serials)
                        walls.append(result["wall"])
                        cpus.append(result["cpu"])
                        packets.append((rx1 - rx0) / n)
                        complete.append(result["complete"])
                        errors += result["errors"]
                        if result["errors"] and result["first_error"]:
                            notes.append(f"{labels[peer]}: {result['first_error']}")
                    before = fleet.stats()
                    again = session.job(SUMMARY, fresh=False)
                    after = fleet.stats()
                    rx0, _ = _common.packet_counts(before, serials)
                    rx1, _ = _common.packet_counts(after, serials)
                    rows.append(
                        [
                            labels[peer],
                            f"{min(complete)}/{n}",
                            _common.fmt(statistics.median(walls), 3),
                            _common.fmt(statistics.median(cpus), 3),
                            _common.fmt(statistics.median(cpus) * 1e6 / n, 0),
                            _common.fmt(statistics.median(packets), 2),
                            _common.fmt((rx1 - rx0) / n, 2),
                            str(errors),
                            str(again.get("blocked_count", 0)),
                        ]
                    )
                finally:
                    session.close()
            _common.print_table(
                [
                    "library",
                    "complete",
                    "wall s",
                    "CPU s",
                    "CPU us/dev",
                    "pkts/dev",
                    "again pkts/dev",
                    "errors",
                    "blocked",
                ],
                rows,
                title=f"{n} devices: summary plans, new gatherer per round",
            )
            for note in notes[:5]:
                print(f"  {note}")
            print()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--devices", type=int, action="append", help="default: 100 and 500")
    parser.add_argument("--quick", action="store_true", help="100 devices, 2 rounds")
    parser.add_argument("--rounds", type=int, default=None, help="rounds (default 5)")
    parser.add_argument("--peers", default=",".join(ALL_PEERS))
    parser.add_argument("--skip-plans", action="store_true", help="no per-plan table")
    parser.add_argument("--skip-summary", action="store_true", help="no summary timing")
    args = parser.parse_args()
    sizes = args.devices or ([100] if args.quick else [100, 500])
    rounds = args.rounds or (2 if args.quick else 5)
    peers = [p.strip() for p in args.peers.split(",") if p.strip()]
    for peer in peers:
        if peer not in ALL_PEERS:
            parser.error(f"unknown peer {peer!r}")
    labels = {p: _common.library_label(p) for p in ALL_PEERS}
    started = time.monotonic()
    print("Gather benchmark: our Gatherer and photons' on emulated devices")
    print(_common.machine_line())
    print()
    if not args.skip_plans:
        per_plan(peers, labels)
    if not args.skip_summary:
        summary(peers, labels, sizes, rounds)
    print(f"total {time.monotonic() - started:.0f} s")
    print(
        "columns: complete = devices that answered every plan (worst round); wall / CPU = "
        "median round (CPU of the library's process); pkts/dev = packets the emulator "
        "received per device in a round; again = a second gather with the same gatherer "
        "(photons caches plan results for 1-10 s, ours caches product and firmware); "
        "blocked = refused non-loopback sends (must be 0)"
    )


if __name__ == "__main__":
    main()
