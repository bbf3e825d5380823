"""Loaded by the `hass` that bench_action_limits.py starts: times its event loop from inside.

Only when LIFX_SCRIPT_LOOP_PROBE names a file (the benchmark sets it; nothing else puts this
folder on the path). Every event-loop step (asyncio Handle) longer than 5 ms is written as
"step <end time> <ms> <of it in garbage collection ms> <callback>", and every collection of the
oldest generation as "gc2 <end time> <ms>", so that the benchmark can tell our blocks from
Home Assistant's full garbage collections. Standard library only; patches nothing else.
"""

from __future__ import annotations

import asyncio.events
import gc
import os
import time
from typing import Any

_PATH = os.environ.get("LIFX_SCRIPT_LOOP_PROBE")
SHOWN_FROM = 0.005  # seconds

if _PATH:
    _log = open(_PATH, "a", buffering=1)  # open for the process's lifetime
    _gc_started = [0.0]
    _gc_total = [0.0]  # seconds spent collecting, all generations, since start

    def _on_gc(phase: str, info: dict[str, Any]) -> None:
        now = time.perf_counter()
        if phase == "start":
            _gc_started[0] = now
            return
        took = now - _gc_started[0]
        _gc_total[0] += took
        if info["generation"] == 2:
            _log.write(f"gc2 {time.time():.4f} {took * 1000:.1f}\n")

    gc.callbacks.append(_on_gc)
    _run = asyncio.events.Handle._run

    def _timed_run(self: asyncio.events.Handle) -> None:
        started = time.perf_counter()
        in_gc = _gc_total[0]
        _run(self)
        took = time.perf_counter() - started
        if took > SHOWN_FROM:
            callback = repr(getattr(self, "_callback", None))[:200].replace("\n", " ")
            gc_ms = (_gc_total[0] - in_gc) * 1000
            _log.write(f"step {time.time():.4f} {took * 1000:.1f} {gc_ms:.1f} {callback}\n")

    asyncio.events.Handle._run = _timed_run  # type: ignore[method-assign]
