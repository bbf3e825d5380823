"""Engine benchmark: SetColor (with ack) then GetColor to 100 and to 500 devices, each on its
own UDP port on 127.0.0.1, with our engine and, side by side in the same run and against the
same responder process, lifx-photons-core, lifx-async and aiolifx.

    scripts/setup --bench && .venv-bench/bin/python benchmarks/bench_engine.py
        [--devices 100] [--quick] [--rounds N] [--peers NAME,...] [--responder cheap|emulator]

The devices are answered by the cheap responder (default, `_responder.py`: one process, one
socket per device, replies from precomputed bytes; it costs a fraction of any library's CPU,
so the libraries' CPU figures are theirs) or by the emulator (`--responder emulator`:
lifx-emulator-core, realistic but slower than every library, so wall times are its own).

Each library runs in its own process (.venv-bench's Python), so imports and memory don't
mix: it sets up (target / per-device objects), does one cold round (first use: sockets,
discovery from the hard-coded addresses), then, once the emulator's counters are read,
`rounds` warm rounds. A round = SetColor(ack_required) to every device at once and wait
for the acks, then GetColor to every device and wait for the LightStates.

Printed per library: replies (acks + LightStates with the colour just set, worst round,
out of 2 x devices), cold-round wall time, warm wall time (median), CPU per (message,
device) = the library process's CPU over the warm rounds / (2 x devices x rounds), peak
RSS of the process (ru_maxrss) and how much it grew after start-up, and the emulator
process's CPU and packets per warm round (the emulator is often the bottleneck: compare
its CPU with the wall time). Every socket in the library processes is guarded: any
connect/sendto to a non-loopback address is refused and counted.
Nothing is asserted: this prints figures.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common
import _responder

WORKER = str(Path(__file__).resolve().parent / "_engine_worker.py")
ALL_PEERS = (_common.OURS, "lifx-photons-core", "lifx-async", "aiolifx")


def run_peer(
    fleet: _common.Fleets | _responder.CheapFleet,
    devices: list[_common.Device],
    peer: str,
    rounds: int,
    profile: Path | None = None,
    lifx_async_reuse_port: bool = False,
) -> dict[str, Any]:
    worker = _common.Worker([WORKER])
    request: dict[str, Any] = {
        "peer": peer,
        "devices": [d.as_list() for d in devices],
        "rounds": rounds,
        "lifx_async_reuse_port": lifx_async_reuse_port,
    }
    if profile is not None:
        request["profile"] = str(profile / f"{peer}-{len(devices)}.pstats")
    try:
        worker.send(request)
        ready = worker.read(timeout=180)
        if "na" in ready:
            return {"na": ready["na"]}
        before = fleet.stats()
        worker.send_line("go")
        done = worker.read(timeout=60 + 30 * rounds)
        after = fleet.stats()
    except _common.WorkerError as error:
        worker.kill()
        return {"na": f"worker failed: {error}"}
    finally:
        stderr = worker.close()
    serials = [d.serial for d in devices]
    rx0, tx0 = _common.packet_counts(before, serials)
    rx1, tx1 = _common.packet_counts(after, serials)
    return {
        **ready,
        **done,
        "emulator_cpu": (after["cpu_seconds"] - before["cpu_seconds"]) / rounds,
        "emulator_rx": (rx1 - rx0) / rounds,
        "emulator_tx": (tx1 - tx0) / rounds,
        "stderr": stderr,
    }


def summarise(peer: str, n: int, result: dict[str, Any]) -> dict[str, Any]:
    if "na" in result:
        return {"peer": peer, "na": result["na"]}
    warm = result["rounds"]
    replies = min(r["acks"] + r["matching"] for r in [*warm, result["cold"]])
    replies_all = sum(r["acks"] + r["matching"] for r in warm)
    cpu = sum(r["cpu"] for r in warm)
    rusage = sum(r.get("rusage", r["cpu"]) for r in warm)
    check = result.get("timer_check") or {}
    return {
        "peer": peer,
        "replies": replies,
        "replies_all": replies_all,
        "rounds": len(warm),
        "errors": sum(r["errors"] for r in warm) + result["cold"]["errors"],
        "first_error": next(
            (r["first_error"] for r in [result["cold"], *warm] if r["first_error"]), None
        ),
        "setup": result["setup"],
        "cold": result["cold"]["wall"],
        "wall": statistics.median(r["wall"] for r in warm),
        "wall_min": min(r["wall"] for r in warm),
        "cpu_round": cpu / len(warm),
        "cpu_per": cpu / (2 * n * len(warm)),
        "rusage_per": rusage / (2 * n * len(warm)),
        "timer_check": check,
        "maxrss": result["maxrss_kib"] / 1024,
        "rss_growth": (result["maxrss_kib"] - result["rss_start_kib"]) / 1024,
        "emulator_cpu": result["emulator_cpu"],
        "emulator_rx": result["emulator_rx"],
        "emulator_tx": result["emulator_tx"],
        "blocked": result["blocked_count"],
    }


def print_size(n: int, rows: list[dict[str, Any]], labels: dict[str, str]) -> None:
    ours = next((r for r in rows if r["peer"] == _common.OURS and "na" not in r), None)
    table = []
    for r in rows:
        if "na" in r:
            table.append([labels[r["peer"]], "n/a"] + [""] * 13)
            continue
        faster = _common.fmt_ratio(r["wall"] / ours["wall"]) if ours and r is not ours else "-"
        cpu_x = _common.fmt_ratio(r["cpu_per"] / ours["cpu_per"]) if ours and r is not ours else "-"
        table.append(
            [
                labels[r["peer"]],
                f"{r['replies']}/{2 * n}",
                f"{r['replies_all']}/{2 * n * r['rounds']}",
                _common.fmt(r["cold"], 3),
                _common.fmt(r["wall"], 3),
                faster,
                _common.fmt(r["cpu_per"] * 1e6, 1),
                _common.fmt(r["rusage_per"] * 1e6, 1),
                cpu_x,
                _common.fmt(r["maxrss"], 1),
                _common.fmt(r["rss_growth"], 1),
                _common.fmt(r["emulator_cpu"], 3),
                f"{r['emulator_rx']:.0f}/{r['emulator_tx']:.0f}",
                _common.fmt(r["setup"], 3),
                str(r["blocked"]),
            ]
        )
    _common.print_table(
        [
            "library",
            "replies worst",
            "all warm",
            "cold s",
            "wall s",
            "x",
            "CPU us/(msg.dev)",
            "rusage us",
            "x",
            "peak RSS MiB",
            "growth MiB",
            "resp CPU s",
            "resp pkts in/out",
            "setup s",
            "blocked",
        ],
        table,
        title=f"{n} devices: SetColor (ack) then GetColor, per round",
    )
    for r in rows:
        check = r.get("timer_check")
        if check:
            print(
                f"  {labels[r['peer']]}: timer check, plain loop: wall {check['wall']:.3f} s, "
                f"process_time {check['cpu']:.3f} s, getrusage {check['rusage']:.3f} s"
            )
    for r in rows:
        if "na" in r:
            print(f"  {labels[r['peer']]}: n/a: {r['na']}")
        elif r["errors"]:
            print(f"  {labels[r['peer']]}: {r['errors']} errors, first: {r['first_error']}")
    print()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--devices",
        type=int,
        action="append",
        help="device count (repeatable; default: 100 and 500)",
    )
    parser.add_argument("--quick", action="store_true", help="100 devices, 2 warm rounds")
    parser.add_argument("--rounds", type=int, default=None, help="warm rounds (default 5)")
    parser.add_argument(
        "--peers",
        default=",".join(ALL_PEERS),
        help="comma-separated subset of: " + ", ".join(ALL_PEERS),
    )
    parser.add_argument(
        "--profile",
        type=Path,
        default=None,
        metavar="DIR",
        help="write a cProfile of each library's warm rounds to DIR "
        "(slows them: figures are then not comparable)",
    )
    parser.add_argument(
        "--responder",
        choices=("cheap", "emulator"),
        default="cheap",
        help="who answers: the cheap responder (default: CPU figures are the libraries' own) "
        "or the emulator (realistic, but slower than the libraries)",
    )
    parser.add_argument(
        "--lifx-async-reuse-port",
        action="store_true",
        help="keep lifx-async's SO_REUSEPORT on its per-device sockets (its default; with "
        "hundreds of devices two can share a port and time out)",
    )
    args = parser.parse_args()
    if args.profile:
        args.profile.mkdir(parents=True, exist_ok=True)
    sizes = args.devices or ([100] if args.quick else [100, 500])
    rounds = args.rounds or (2 if args.quick else 5)
    peers = [p.strip() for p in args.peers.split(",") if p.strip()]
    for p in peers:
        if p not in ALL_PEERS:
            parser.error(f"unknown peer {p!r}")
    labels = {p: _common.library_label(p) for p in ALL_PEERS}

    started = time.monotonic()
    print("Engine benchmark: SetColor (ack) then GetColor to every device")
    print(_common.machine_line())
    responder = (
        _responder.CheapFleet(max(sizes))
        if args.responder == "cheap"
        else _common.Fleets(max(sizes))
    )
    with responder as fleet:
        print(
            f"{args.responder} responder: {len(fleet.devices)} devices on 127.0.0.1, one UDP "
            f"port each, one process, started in {fleet.start_seconds:.2f} s; "
            f"{rounds} warm rounds each"
        )
        print()
        for n in sizes:
            devices = fleet.devices[:n]
            rows = [
                summarise(
                    peer,
                    n,
                    run_peer(
                        fleet, devices, peer, rounds, args.profile, args.lifx_async_reuse_port
                    ),
                )
                for peer in peers
            ]
            print_size(n, rows, labels)
    print(f"total {time.monotonic() - started:.0f} s")
    print(
        "columns: replies = acks + LightStates carrying the colour just set: worst round "
        "(cold included) and all warm rounds; "
        "cold = first round (sockets, discovery); wall = median warm round; x = theirs / "
        "ours (above 1: we are better); CPU = library process CPU (time.process_time) / "
        "(2 x devices x rounds), rusage = the same from getrusage (user + system); "
        "peak RSS = ru_maxrss of the library's process, growth = over its RSS at start; "
        "resp = responder process CPU and packets per warm round; blocked = refused "
        "non-loopback sends (must be 0)"
    )


if __name__ == "__main__":
    main()
