"""The largest `lifx_script.run` call the limits allow, against a real `hass`: what it costs.

Starts `hass` (tests/support/hass_process.py, Home Assistant's venv `.venv`) and an emulated
fleet on 127.0.0.1, sets the integration up through the REST config flow, then for each call
shape: polls `GET /api/` every 10 ms from another thread while the call runs (the longest
answer is the longest the event loop was blocked, plus HTTP), and reads the `hass` process's
resident memory (VmRSS) before and after and its peak (VmHWM). Inside `hass`,
hass_probe/sitecustomize.py times every event-loop step and every full garbage collection
(`gc.callbacks`): the longest step is reported with and without the collections in it, and the
callback that took it. Then one call just over the limits, which must be refused at once.
Prints figures; asserts nothing about speed. The machine may be shared: run it a few times.

    .venv/bin/python benchmarks/bench_action_limits.py            # 250 devices, ~2 min
    .venv/bin/python benchmarks/bench_action_limits.py --devices 50
    .venv/bin/python benchmarks/bench_action_limits.py --repeat 10  # and a summary of all
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from custom_components.lifx_script.const import (  # noqa: E402
    MAX_MESSAGES_PER_CALL,
    MAX_SENDS_PER_CALL,
    MAX_SERIALS_PER_CALL,
)
from tests.support.action_data import tile_frames  # noqa: E402
from tests.support.fleet import Fleet  # noqa: E402
from tests.support.hass_process import (  # noqa: E402
    DOMAIN,
    HassClient,
    HassProcess,
    fleet_broadcast_addresses,
    free_port,
    seed_storage,
)

STUB_FRONTEND = REPO_ROOT / "tests" / "e2e" / "stub_frontend"
LOOP_PROBE = Path(__file__).resolve().parent / "hass_probe"


def probe_lines(log: Path, since: float, until: float) -> tuple[list[list[str]], list[float]]:
    """Loop steps (end, ms, gc ms, callback) and full collections (ms) the probe saw then."""
    steps: list[list[str]] = []
    collections: list[float] = []
    for line in log.read_text().splitlines() if log.exists() else []:
        kind, at, *rest = line.split(" ", 4)
        if not since <= float(at) <= until:
            continue
        if kind == "gc2":
            collections.append(float(rest[0]))
        elif kind == "step":
            steps.append(rest)
    return steps, collections


def report_loop(log: Path, since: float, until: float) -> tuple[list[float], float]:
    """The longest event-loop steps during a call, with and without garbage collection.

    Returns the full collections (ms) and the longest step without them (ms).
    """
    steps, collections = probe_lines(log, since, until)
    full = ", ".join(f"{ms:.0f} ms" for ms in collections) or "none"
    print(f"  hass event loop (steps over 5 ms): full garbage collections {full}")
    if not steps:
        print("    no step longer than 5 ms")
        return collections, 0.0
    longest = max(steps, key=lambda step: float(step[0]))
    print(f"    longest step {float(longest[0]):.0f} ms ({float(longest[1]):.0f} ms of it GC)")
    ours = max(steps, key=lambda step: float(step[0]) - float(step[1]))
    without = float(ours[0]) - float(ours[1])
    print(f"    longest without GC {without:.0f} ms: {ours[2][:120]}")
    return collections, without


def memory_kib(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM of a process, in KiB."""
    values: dict[str, int] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0])
    return values


def post(client: HassClient, path: str, payload: Any) -> tuple[int, bytes]:
    request = urllib.request.Request(
        client.base_url + path,
        data=json.dumps(payload).encode(),
        headers={"Authorization": f"Bearer {client.token}", "Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=300) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()


def longest_api_answer(
    client: HassClient, stop: threading.Event, out: list[tuple[float, float]]
) -> None:
    """GET /api/ every 10 ms until stopped: (answer time, when asked), in seconds."""
    request = urllib.request.Request(
        client.base_url + "/api/", headers={"Authorization": f"Bearer {client.token}"}
    )
    while not stop.is_set():
        started = time.perf_counter()
        with urllib.request.urlopen(request, timeout=60) as response:
            response.read()
        out.append((time.perf_counter() - started, started))
        time.sleep(0.01)


class Tally:
    """Each call shape's figures over repeated runs (--repeat)."""

    def __init__(self) -> None:
        self.rows: dict[str, list[tuple[float, float, list[float], float, float]]] = {}

    def add(
        self, name: str, wall: float, api_ms: float, gcs: list[float], step_ms: float, rss: float
    ) -> None:
        self.rows.setdefault(name, []).append((wall, api_ms, gcs, step_ms, rss))

    def print(self) -> None:
        print("\nover every repetition (full GC: collections of the oldest generation in the call)")
        for name, runs in self.rows.items():
            walls = [r[0] for r in runs]
            apis = sorted(r[1] for r in runs)
            full = [ms for r in runs for ms in r[2]]
            print(
                f"  {name}: {len(runs)} calls, {min(walls):.2f}-{max(walls):.2f} s; "
                f"longest GET /api/ per call {apis[0]:.0f}-{apis[-1]:.0f} ms "
                f"(over 100 ms: {sum(a > 100 for a in apis)}); "
                f"full GCs in calls: {len(full)}"
                + (f" ({', '.join(f'{ms:.0f}' for ms in full)} ms)" if full else "")
                + f"; longest step without GC {max(r[3] for r in runs):.0f} ms; "
                f"RSS growth per call at most +{max(r[4] for r in runs):.0f} MiB"
            )


def measure(
    client: HassClient,
    pid: int,
    name: str,
    data: dict[str, Any] | None,
    probe_log: Path,
    tally: Tally | None = None,
) -> None:
    """One call while /api/ is polled: wall time, replies, response size, memory, API latency.

    data None: no call, 2 s of polling alone (what Home Assistant does without us).
    """
    before = memory_kib(pid)
    since = time.time()
    answers: list[tuple[float, float]] = []
    stop = threading.Event()
    poller = threading.Thread(target=longest_api_answer, args=(client, stop, answers))
    poller.start()
    time.sleep(0.3)  # a few idle answers first: the baseline
    idle = max(answers)[0] if answers else 0.0
    started = time.perf_counter()
    if data is None:
        time.sleep(IDLE_SECONDS)
        status, body = 200, b'{"service_response": {"stats": "no call"}}'
    else:
        status, body = post(client, f"/api/services/{DOMAIN}/run?return_response", data)
    wall = time.perf_counter() - started
    time.sleep(0.3)
    stop.set()
    poller.join()
    after = memory_kib(pid)
    stats = json.loads(body)["service_response"]["stats"] if status == 200 else body[:200]
    print(f"\n{name}: HTTP {status} in {wall:.2f} s; stats {stats}")
    print(f"  response body {len(body) / 1e6:.2f} MB")
    print(
        f"  hass RSS {before['VmRSS'] / 1024:.0f} -> {after['VmRSS'] / 1024:.0f} MiB "
        f"(+{(after['VmRSS'] - before['VmRSS']) / 1024:.0f}), peak {after['VmHWM'] / 1024:.0f} MiB "
        f"(+{(after['VmHWM'] - before['VmHWM']) / 1024:.0f} over the peak before)"
    )
    slow = sorted(answers, reverse=True)[:3]
    shown = ", ".join(f"{took * 1000:.0f} ms asked at {at - started:+.2f} s" for took, at in slow)
    print(f"  GET /api/ during the call ({len(answers)} answers; idle {idle * 1000:.0f} ms)")
    print(f"    longest: {shown} (the call took {wall:.2f} s)")
    collections, step_ms = report_loop(probe_log, since, time.time())
    if tally is not None:
        longest = slow[0][0] * 1000 if slow else 0.0
        growth = (after["VmRSS"] - before["VmRSS"]) / 1024
        tally.add(name, wall, longest, collections, step_ms, growth)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=MAX_SERIALS_PER_CALL)
    parser.add_argument(
        "--sends", type=int, default=MAX_SENDS_PER_CALL, help="messages x devices to measure"
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="run every call shape this many times (a summary of all of them at the end)",
    )
    args = parser.parse_args()
    sends = min(args.sends, MAX_SENDS_PER_CALL)
    tally = Tally()
    with (
        tempfile.TemporaryDirectory() as tmp,
        Fleet(f"colorx{args.devices}", "tile:5", serial_prefix="d073e5") as fleet,
    ):
        config_dir = Path(tmp) / "config"
        shutil.copytree(
            REPO_ROOT / "config",
            config_dir,
            ignore=shutil.ignore_patterns(".storage", "*.db*", "*.log*", ".HA_VERSION", "deps"),
        )
        seed_storage(config_dir)
        probe_log = Path(tmp) / "loop_probe.log"
        os.environ["LIFX_SCRIPT_LOOP_PROBE"] = str(probe_log)
        process = HassProcess(
            config_dir,
            free_port(),
            log_path=config_dir / "hass.out",
            pythonpath=[STUB_FRONTEND, LOOP_PROBE],
        )
        process.start()
        try:
            print(f"hass ready after {process.wait_until_ready(300):.0f} s")
            assert process.pid is not None
            client = HassClient(process.base_url)
            client.onboard("bench", "bench-password-123")
            client.config_flow(
                DOMAIN,
                {
                    "user": {
                        "interface_broadcasts": False,
                        "broadcast_addresses": fleet_broadcast_addresses(
                            d.addr for d in fleet.devices
                        ),
                        "static_hosts": "",
                    },
                    "confirm": {},
                },
                timeout=300,
            )
            serials = [device.serial for device in fleet.of_kind("color")]
            per_device = sends // len(serials)
            for _ in range(args.repeat):
                measure_all(
                    client, process.pid, fleet, serials, per_device, sends, probe_log, tally
                )
            if args.repeat > 1:
                tally.print()
            print(f"\nemulator received {fleet.received()} packets in all")
        finally:
            process.stop()


IDLE_SECONDS = 2.0


def measure_all(
    client: HassClient,
    pid: int,
    fleet: Fleet,
    serials: list[str],
    per_device: int,
    sends: int,
    probe_log: Path,
    tally: Tally,
) -> None:
    """Each call shape once: the widest and the longest allowed, one just over, a chain;
    and as long without a call, for comparison."""
    measure(client, pid, f"no call, {IDLE_SECONDS:.0f} s of polling", None, probe_log, tally)
    measure(
        client,
        pid,
        f"{len(serials)} devices x {per_device} GetColor",
        {"serials": serials, "messages": ["GetColor"] * per_device},
        probe_log,
        tally,
    )
    few = serials[: max(1, sends // MAX_MESSAGES_PER_CALL)]
    measure(
        client,
        pid,
        f"{len(few)} devices x {min(sends, MAX_MESSAGES_PER_CALL)} GetColor",
        {"serials": few, "messages": ["GetColor"] * min(sends, MAX_MESSAGES_PER_CALL)},
        probe_log,
        tally,
    )
    over = MAX_SENDS_PER_CALL // len(serials) + 1
    measure(
        client,
        pid,
        f"just over: {len(serials)} devices x {over} GetColor",
        {"serials": serials, "messages": ["GetColor"] * over},
        probe_log,
        tally,
    )
    chain = fleet.of_kind("tile")[0].serial
    frames = MAX_MESSAGES_PER_CALL // 5
    measure(
        client,
        pid,
        f"a 5-tile chain painted for {frames} frames (5 Set64 of 64 colours a frame)",
        {"serials": [chain], "pipeline": tile_frames(frames, 5)},
        probe_log,
        tally,
    )


if __name__ == "__main__":
    main()
