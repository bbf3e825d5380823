"""One library's side of bench_gather.py, in its own process (run by .venv-bench's Python).

stdin, first line: {"peer": NAME, "devices": [[serial, ip, port], ...]}
stdout: {"ready": true, "setup": s} (or {"na": reason}); then per job line on stdin,
{"plans": [OUR PLAN NAMES], "fresh": bool}, one {"wall", "cpu", "answered", "complete",
"errors", "first_error", "skipped_plans"} line. "quit" ends it.

A job gathers the plans from every device at once with the library's own gatherer: a new
gatherer when "fresh" (nothing cached), else the one of the previous job.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
import time
import traceback
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common

# our plan -> photons' plan of the same facts (None: photons has no such plan)
PHOTONS_PLAN: dict[str, str | None] = {
    "power": "power",
    "label": "label",
    "color": "state",
    "zones": "zones",
    "chain": "chain",
    "colors": "colors",
    "firmware": "firmware",
    "version": "version",
    "capability": "capability",
    "hev": "hev_status",
    "infrared": None,
    "wifi": None,
    "group": None,
    "location": None,
}


class NotAvailable(Exception):
    pass


class Result:
    def __init__(self) -> None:
        self.answered = self.complete = self.errors = 0
        self.first_error: str | None = None
        self.skipped_plans: list[str] = []

    def error(self, error: Any) -> None:
        self.errors += 1
        if self.first_error is None:
            self.first_error = f"{type(error).__name__}: {error}"[:300]


class Ours:
    async def setup(self, devices: list[tuple[str, str, int]]) -> None:
        engine = _common.import_engine()
        if not hasattr(engine, "Gatherer"):
            raise NotAvailable("custom_components.lifx_script.engine has no Gatherer yet")
        self.engine = engine
        self.serials = [d[0] for d in devices]
        self.target = engine.LanTarget(
            broadcast=[("127.0.0.1", devices[0][2])],
            hard_coded={serial: (ip, port) for serial, ip, port in devices},
            default_limit=30,
        )
        self.stack = contextlib.AsyncExitStack()
        self.sender = await self.stack.enter_async_context(self.target.session())
        self.gatherer = engine.Gatherer(self.target)

    async def gather(self, plans: list[str], fresh: bool, result: Result) -> None:
        if fresh:
            self.gatherer = self.engine.Gatherer(self.target)
        errors: list[Any] = []
        found = await self.gatherer.gather_all(
            plans, self.serials, sender=self.sender, error_catcher=errors
        )
        for error in errors:
            result.error(error)
        result.answered = sum(1 for _, info in found.values() if info)
        result.complete = sum(1 for complete, _ in found.values() if complete)

    async def close(self) -> None:
        await self.stack.aclose()


class Photons:
    async def setup(self, devices: list[tuple[str, str, int]]) -> None:
        from photons_control.planner import Gatherer, make_plans

        self.gatherer_class = Gatherer
        self.make_plans = make_plans
        self.target, self.final_future = _common.photons_target(devices)
        self.serials = [d[0] for d in devices]
        self.sender = await self.target.make_sender()
        self.gatherer = Gatherer(self.sender)

    async def gather(self, plans: list[str], fresh: bool, result: Result) -> None:
        if fresh:
            self.gatherer = self.gatherer_class(self.sender)
        theirs = [PHOTONS_PLAN[p] for p in plans if PHOTONS_PLAN.get(p)]
        result.skipped_plans = [p for p in plans if not PHOTONS_PLAN.get(p)]
        if not theirs:
            return
        errors: list[Any] = []
        answered: dict[str, set[str]] = {}
        async for serial, label, _ in self.gatherer.gather(
            self.make_plans(*theirs), self.serials, error_catcher=errors
        ):
            answered.setdefault(serial, set()).add(label)
        for error in errors:
            result.error(error)
        result.answered = len(answered)
        result.complete = sum(1 for labels in answered.values() if len(labels) == len(theirs))

    async def close(self) -> None:
        await self.target.close_sender(self.sender)
        self.final_future.cancel()


PEERS: dict[str, Any] = {_common.OURS: Ours, "lifx-photons-core": Photons}


async def read_line() -> str:
    return await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)


async def main() -> None:
    _common.install_loopback_guard()
    request = json.loads(sys.stdin.readline())
    devices = [(s, ip, int(port)) for s, ip, port in request["devices"]]
    peer = PEERS[request["peer"]]()
    started = time.perf_counter()
    try:
        await peer.setup(devices)
    except NotAvailable as reason:
        _common.emit({"na": str(reason)})
        return
    except ImportError as error:
        _common.emit({"na": f"not installed: {error}"})
        return
    _common.emit({"ready": True, "setup": time.perf_counter() - started})
    while True:
        line = (await read_line()).strip()
        if not line or line == "quit":
            break
        job = json.loads(line)
        result = Result()
        cpu = time.process_time()
        wall = time.perf_counter()
        try:
            await peer.gather(list(job["plans"]), bool(job["fresh"]), result)
        except Exception as error:
            result.error(error)
        _common.emit(
            {
                "wall": time.perf_counter() - wall,
                "cpu": time.process_time() - cpu,
                **vars(result),
                "blocked_count": len(_common.blocked_sends()),
            }
        )
    await peer.close()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except Exception:
        _common.emit({"na": "worker crashed: " + traceback.format_exc()[-800:]})
