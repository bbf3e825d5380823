"""A session: one UDP socket, one source, the device cache, and the runs using them."""

from __future__ import annotations

import asyncio
import time
from typing import Any, Protocol

from ..errors import SessionClosed
from ..transport import Addr, Link, RetrySchedule, discover, parse_address
from .nodes import Node, to_node
from .references import normalise_serial
from .run import Run, RunHandle


class LanTarget(Protocol):
    """What a session needs of its target (``target.LanTarget``).

    A protocol, so that the session imports nothing above it.
    """

    found: dict[str, Addr]
    found_at: dict[str, float]
    stale: set[str]
    hard_coded: dict[str, Addr] | None
    broadcast: tuple[Addr, ...]
    discovery_port: int
    discovery_schedule: RetrySchedule
    find_timeout: float
    message_timeout: float

    def prepare(
        self, node: Node, reference: Any, options: dict[str, Any], sender: Any = None
    ) -> RunHandle:
        """Validate now; the run starts when iterated or awaited."""
        ...


class Sender:
    """``await sender(msgs, reference, **options)`` or ``async for ... in sender(...)``."""

    def __init__(self, target: LanTarget, link: Link) -> None:
        self.target = target
        self.link = link
        self.runs: dict[Run, asyncio.Task[None]] = {}
        self._stale = target.stale
        self._searching: dict[str, asyncio.Future[Addr | None]] = {}
        self._tasks: set[asyncio.Task[Any]] = set()
        self._closed = False

    # -- the cache -------------------------------------------------------------------------

    @property
    def found(self) -> dict[str, Addr]:
        """serial -> (ip, port): shared by every session of the target."""
        return self.target.found

    def found_age(self, serial: str) -> float | None:
        """Seconds since serial's address was found or added (None: not known, or given
        as hard_coded / straight into target.found, which have no age)."""
        serial = normalise_serial(serial)
        at = self.target.found_at.get(serial)
        if at is None or serial not in self.found:
            return None
        return time.monotonic() - at

    @property
    def source(self) -> int:
        return self.link.source

    @property
    def stats(self) -> dict[str, int]:
        return dict(self.link.stats)

    def add_device(self, serial: str, addr: Any) -> None:
        serial = normalise_serial(serial)
        self.found[serial] = parse_address(addr, self.target.discovery_port)
        self.target.found_at[serial] = time.monotonic()
        self._stale.discard(serial)

    def forget(self, serial: str) -> None:
        serial = normalise_serial(serial)
        self.found.pop(serial, None)
        self.target.found_at.pop(serial, None)
        self._stale.discard(serial)

    def mark_stale(self, serial: str) -> None:
        """Its sends timed out: look for it again before the next run uses it."""
        self._stale.add(serial)

    # -- discovery ---------------------------------------------------------------------------

    async def discover(
        self,
        timeout: float | None = None,  # noqa: ASYNC109 - discovery has its own schedule
        serials: list[str] | None = None,
    ) -> dict[str, Addr]:
        """Look for devices (all, or these serials) at the broadcast addresses; the found ones."""
        self.check_open()
        wanted = None if serials is None else {normalise_serial(s) for s in serials}
        timeout = self.target.find_timeout if timeout is None else timeout
        hard_coded = self.target.hard_coded
        if hard_coded is not None:
            found = {s: a for s, a in hard_coded.items() if wanted is None or s in wanted}
        else:
            found = await discover(
                self.link,
                self.target.broadcast,
                timeout=timeout,
                schedule=self.target.discovery_schedule,
                wanted=wanted,
                known=self.found,
                stale=self._stale,
                on_found=self._remember_one,
            )
        self._remember(found)
        return found

    async def probe(
        self,
        addr: Any,
        timeout: float | None = None,  # noqa: ASYNC109 - discovery has its own schedule
    ) -> dict[str, Addr]:
        """GetService to one host (unicast); the devices that answered (empty if none)."""
        self.check_open()
        where = parse_address(addr, self.target.discovery_port)
        found = await discover(
            self.link,
            [where],
            timeout=self.target.message_timeout if timeout is None else float(timeout),
            schedule=self.target.discovery_schedule,
            known=self.found,
            stale=self._stale,
            on_found=self._remember_one,
        )
        self._remember(found)
        return found

    def _remember(self, found: dict[str, Addr]) -> None:
        for serial, addr in found.items():
            self._remember_one(serial, addr)

    def _remember_one(self, serial: str, addr: Addr) -> None:
        """A confirmed address (discovery only reports those): cache it, with its time."""
        self.found[serial] = addr
        self.target.found_at[serial] = time.monotonic()
        self._stale.discard(serial)
        future = self._searching.pop(serial, None)
        if future is not None and not future.done():
            future.set_result(addr)  # a run waiting for it goes on while the search listens

    async def find_all(self, find_timeout: float, accept_found: bool) -> list[str]:
        if accept_found and self.found:
            return sorted(self.found)
        hard_coded = self.target.hard_coded
        if hard_coded is not None:
            self._remember(hard_coded)
            return sorted(set(hard_coded) | set(self.found))
        return sorted(await self.discover(timeout=find_timeout))

    async def locate(
        self, serials: list[str], find_timeout: float, accept_found: bool
    ) -> tuple[dict[str, Addr], list[str]]:
        """Addresses of serials (from the cache, else discovery); and the serials not found.

        Searches for the same serial from concurrent runs share one discovery.
        """
        cache = self.found
        if accept_found:  # the cache as it is, stale entries included; no discovery
            return {s: cache[s] for s in serials if s in cache}, [
                s for s in serials if s not in cache
            ]
        found = {s: cache[s] for s in serials if s in cache and s not in self._stale}
        unknown = [s for s in serials if s not in found]
        if not unknown:
            return found, []
        hard_coded = self.target.hard_coded
        if hard_coded is not None:
            for serial in unknown:
                addr = hard_coded.get(serial) or cache.get(serial)
                if addr is not None:
                    found[serial] = addr
                    self._stale.discard(serial)
            return found, [s for s in unknown if s not in found]
        loop = asyncio.get_running_loop()
        new = [s for s in unknown if s not in self._searching]
        if new:
            futures = {s: loop.create_future() for s in new}
            self._searching.update(futures)
            self._spawn(self._search(futures, find_timeout))
        waiting = {s: self._searching[s] for s in unknown}
        await asyncio.wait(waiting.values())
        for serial, future in waiting.items():
            addr = None if future.cancelled() else future.result()
            if addr is not None:
                found[serial] = addr
        return found, [s for s in unknown if s not in found]

    async def _search(
        self, futures: dict[str, asyncio.Future[Addr | None]], find_timeout: float
    ) -> None:
        try:
            # every device that answers is remembered (on_found), not only the wanted ones
            await discover(
                self.link,
                self.target.broadcast,
                timeout=find_timeout,
                schedule=self.target.discovery_schedule,
                wanted=set(futures),
                known=self.found,
                stale=self._stale,
                on_found=self._remember_one,
            )
        finally:
            for serial, future in futures.items():
                if self._searching.get(serial) is future:
                    del self._searching[serial]
                if not future.done():
                    future.set_result(self.found.get(serial) if serial not in self._stale else None)

    def _spawn(self, coro: Any) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # -- running -------------------------------------------------------------------------------

    def check_open(self) -> None:
        if self._closed:
            raise SessionClosed("the session is closed")

    def __call__(self, msgs: Any, reference: Any = None, **options: Any) -> RunHandle:
        """Validate everything now (nothing is sent for bad input); run when iterated/awaited."""
        self.check_open()
        return self.target.prepare(to_node(msgs), reference, options, sender=self)

    async def close(self) -> None:
        """End every run still going (they raise SessionClosed), then close the socket."""
        if self._closed:
            return
        self._closed = True
        pending: list[asyncio.Task[Any]] = []
        for run, task in list(self.runs.items()):
            run.closed = True
            task.cancel()
            pending.append(task)
        for task in list(self._tasks):
            task.cancel()
            pending.append(task)
        if pending:
            await asyncio.wait(pending)
        await self.link.close()

    @property
    def closed(self) -> bool:
        return self._closed

    def __repr__(self) -> str:
        return f"<Sender source={self.source} found={len(self.found)} runs={len(self.runs)}>"
