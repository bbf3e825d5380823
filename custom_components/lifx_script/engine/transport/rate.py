"""Per-device rate cap: LIFX recommends at most 20 messages a second to one device."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Hashable


class RateLimiter:
    """Spaces transmissions to one key at least 1/rate seconds apart (a reservation per send)."""

    def __init__(self, rate: float) -> None:
        self.spacing = 1.0 / rate
        self._next: dict[Hashable, float] = {}

    def reserve(self, key: Hashable, latest: float | None = None) -> float | None:
        """Reserve key's next slot; seconds until it (0: now). None, reserving nothing,
        when that slot is after ``latest`` (a time.monotonic() deadline, as the link's)."""
        now = time.monotonic()
        slot = max(now, self._next.get(key, now))
        if latest is not None and slot > latest:
            return None
        self._next[key] = slot + self.spacing
        if len(self._next) > 4096:
            self._forget_idle(now)
        return slot - now

    async def wait(self, key: Hashable) -> None:
        """Wait for key's next slot."""
        delay = self.reserve(key)
        if delay:
            await asyncio.sleep(delay)

    def _forget_idle(self, now: float) -> None:
        for key in [k for k, t in self._next.items() if t <= now]:
            del self._next[key]
