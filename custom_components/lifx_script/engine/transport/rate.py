"""Per-device rate cap: LIFX recommends at most 20 messages a second to one device."""

from __future__ import annotations

import asyncio
from collections.abc import Hashable


class RateLimiter:
    """Spaces transmissions to one key at least 1/rate seconds apart (a reservation per send)."""

    def __init__(self, rate: float) -> None:
        self.spacing = 1.0 / rate
        self._next: dict[Hashable, float] = {}

    async def wait(self, key: Hashable) -> None:
        loop = asyncio.get_running_loop()
        now = loop.time()
        slot = max(now, self._next.get(key, now))
        self._next[key] = slot + self.spacing
        if len(self._next) > 4096:
            self._forget_idle(now)
        if slot > now:
            await asyncio.sleep(slot - now)

    def _forget_idle(self, now: float) -> None:
        for key in [k for k, t in self._next.items() if t <= now]:
            del self._next[key]
