"""One run of a script: resolving the reference, the leaf send, results and errors.

Nodes emit results into the run's queue and report errors to it; the consumer (``async
for`` or ``await``) reads the queue while the script executes in its own task, so that
results stream in completion order and an early exit cancels everything cleanly.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Coroutine, Generator, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any, Protocol

from ..codec import Message, serial_to_target
from ..errors import (
    DeviceNotFound,
    MultipleErrors,
    RunFailed,
    ScriptError,
    SessionClosed,
    TimedOut,
    Unsupported,
)
from ..transport import Addr, Link
from .nodes import Node, Serials
from .options import Limit, LimitSpec, RunOptions, error_reporter
from .references import SpecialReference
from .results import Result, make_result


class Sender(Protocol):
    """What a run needs of its session (``session.Sender``; a protocol: no import from above)."""

    link: Link
    runs: dict[Any, asyncio.Task[None]]

    def check_open(self) -> None:
        """Raise SessionClosed if the session has closed."""

    def mark_stale(self, serial: str) -> None:
        """Its sends timed out: look for it again before its next use."""

    async def find_all(self, find_timeout: float, accept_found: bool) -> list[str]:
        """Every device (discovered, or the hard-coded ones)."""
        ...

    async def locate(
        self, serials: list[str], find_timeout: float, accept_found: bool
    ) -> tuple[dict[str, Addr], list[str]]:
        """Addresses of serials, and the serials not found."""
        ...


_DONE: Any = object()


class Run:
    """State of one top-level run (nested sender calls from generators are runs of their own)."""

    def __init__(
        self, sender: Sender, node: Node, reference: SpecialReference, options: RunOptions
    ) -> None:
        self.sender = sender
        self.node = node
        self.reference = reference
        self.options = options
        self.limits: tuple[Limit, ...] = options.instantiate_limits()
        self.queue: asyncio.Queue[list[Result]] = asyncio.Queue()
        self.errors: list[BaseException] = []
        self.closed = False
        self.top_serials: Serials = None
        # photons' found=: where these devices are, used before the session's cache/discovery
        self._located: dict[str, Addr] = dict(options.found or {})
        self._missing: set[str] = set()
        # how many lanes can keep every send the limits allow in flight (see lanes)
        self._width = lane_width(options.limits)

    # -- errors and results ----------------------------------------------------------------

    def error(self, error: BaseException) -> None:
        catcher = self.options.error_catcher
        if catcher is None:
            self.errors.append(error)
        else:
            error_reporter(catcher)(error)

    def kwargs(self) -> dict[str, Any]:
        """A generator's ``**kwargs``, as photons gives them: the options the caller gave,
        with this run's in-flight limit (shared by the generator's own sender calls) and
        the caller's error_catcher (or, when none was given, errors into this run)."""
        kwargs = dict(self.options.given)
        limits = self.limits
        kwargs["limit"] = limits[0] if len(limits) == 1 else (limits or None)
        if kwargs.get("error_catcher") is None:
            kwargs["error_catcher"] = self.error
        return kwargs

    # -- finding devices -------------------------------------------------------------------

    async def find_all(self) -> list[str]:
        return await self.sender.find_all(self.options.find_timeout, self.options.accept_found)

    async def resolve(self, reference: SpecialReference) -> Serials:
        """Serials of a reference (None: broadcast to every device), located up front."""
        if reference.finds_all and self.options.broadcast is not None:
            return None
        serials = await reference.find(self)
        if self.options.broadcast is None:
            await self.locate(serials)
        return serials

    async def refresh(self, serials: Serials) -> Serials:
        """A Repeater's next loop: look again when the run's reference means every device."""
        if serials is not self.top_serials or not self.reference.finds_all:
            return serials
        self.reference.reset()
        self.top_serials = await self.resolve(self.reference)
        return self.top_serials

    async def locate(self, serials: list[str]) -> list[str]:
        """Find addresses for serials not known to this run; the ones not found."""
        unknown = [s for s in serials if s not in self._located and s not in self._missing]
        if unknown and self.options.found is not None and self.options.accept_found:
            # photons: accept the found that was given, as it is (no discovery)
            self._missing.update(unknown)
        elif unknown:
            found, missing = await self.sender.locate(
                unknown, self.options.find_timeout, self.options.accept_found
            )
            self._located.update(found)
            self._missing.update(missing)
        return [s for s in serials if s in self._missing]

    async def _address(self, serial: str) -> Addr | None:
        addr = self._located.get(serial)
        if addr is None and serial not in self._missing:
            await self.locate([serial])
            addr = self._located.get(serial)
        return addr

    # -- the leaf send ---------------------------------------------------------------------

    def lanes(self, sends: Sequence[tuple[Message, str]]) -> int | None:
        """How many lanes these sends need, if fewer than a task each.

        A task per send would mostly wait for the run's limits: this many lanes, each making
        the next send in order, keep as many in flight with fewer tasks. None (a task each)
        when there is no limit, for a broadcast, or when a serial must still be looked for
        (its lane would wait without holding a slot).
        """
        width = self._width
        if width is None or width >= len(sends) or self.options.broadcast is not None:
            return None
        located = self._located
        for _, serial in sends:
            if serial not in located:
                return None
        return width

    async def send(self, msg: Message, serial: str | None) -> bool:
        """msg to one serial (None: zero target, to the broadcast addresses); True if it worked."""
        options = self.options
        broadcast = options.broadcast
        if broadcast is not None:
            addrs: tuple[Addr, ...] = broadcast
        else:
            assert serial is not None
            addr = self._located.get(serial)
            if addr is None:
                addr = await self._address(serial)
            if addr is None:
                self.error(DeviceNotFound(serial, pkt_type=msg.pkt_type, name=msg.name))
                return False
            addrs = (addr,)
        target = serial_to_target(serial)
        link = self.sender.link
        limits = self.limits
        acquired: list[Limit] = []
        try:
            for limit in limits:
                await limit.acquire()
                acquired.append(limit)
            replies = await link.request(
                msg,
                target,
                addrs,
                timeout=options.message_timeout,
                no_retry=options.no_retry,
                broadcast=serial is None,
                # sent to the device's own address: only it may answer
                reply_from=addrs[0] if broadcast is None else None,
            )
        except TimedOut as error:
            if serial is not None and broadcast is None and not error.partial and not error.acked:
                # silent: look for it again before its next send, in this run (a later
                # pipeline step, a Repeater's next loop) and in any other
                self.sender.mark_stale(serial)
                if self._located.get(serial) == addrs[0]:
                    del self._located[serial]
            self.error(error)
            return False
        except Unsupported as error:
            self.error(error)
            return False
        finally:
            for limit in reversed(acquired):
                limit.release()
        if replies:
            self.queue.put_nowait([make_result(pkt, addr, msg) for pkt, addr in replies])
        return True

    # -- the whole run -----------------------------------------------------------------------

    async def main(self) -> None:
        serials = await self.resolve(self.reference)
        self.top_serials = serials
        if serials is not None and self.options.require_all_devices:
            missing = [s for s in serials if s in self._missing]
            if missing:
                for serial in missing:
                    self.error(DeviceNotFound(serial))
                return
        await self.node.execute(self, serials)

    async def stream(self) -> AsyncIterator[Result]:
        """Execute in a task; yield results as they come; cancel it if the consumer leaves."""
        sender = self.sender
        sender.check_open()
        task = asyncio.get_running_loop().create_task(self.main())
        queue = self.queue
        task.add_done_callback(lambda _: queue.put_nowait(_DONE))
        sender.runs[self] = task
        try:
            while True:
                batch = await queue.get()
                if batch is _DONE:
                    break
                for result in batch:
                    yield result
        finally:
            if not task.done():
                task.cancel()
            await asyncio.wait([task])
            sender.runs.pop(self, None)
        if task.cancelled():
            if self.closed:
                raise SessionClosed()
            raise asyncio.CancelledError()
        error = task.exception()
        if error is not None:
            if isinstance(error, BaseExceptionGroup) and len(error.exceptions) == 1:
                error = error.exceptions[0]
            raise error


# Lanes for a run bound only by shared limits (the hub's semaphore): their size is not known,
# so at least this many lanes, each waiting its turn at the limit like a task would.
SHARED_LANES = 256


def lane_width(specs: Sequence[LimitSpec]) -> int | None:
    """The most sends the limits let be in flight at once; None: unbounded (a task each).

    An int limit is its own count. A shared limit (a Semaphore others use too) is not
    sized: SHARED_LANES, or its free slots now if it has more.
    """
    counts = [spec for spec in specs if isinstance(spec, int)]
    shared = [spec for spec in specs if spec is not None and not isinstance(spec, int)]
    if not counts and not shared:
        return None
    width = min(counts) if counts else None
    if shared:
        free = (getattr(limit, "_value", 0) for limit in shared)
        roomy = max([SHARED_LANES, *(count for count in free if isinstance(count, int))])
        width = roomy if width is None else min(width, roomy)
    return width


def raise_for(errors: list[BaseException]) -> None:
    """After a stream: one error as itself, several together."""
    if len(errors) == 1:
        raise errors[0]
    if errors:
        raise MultipleErrors(errors)


class RunHandle(Coroutine[Any, Any, list[Result]]):
    """What ``sender(...)`` and ``script.run_with(...)`` return: ``async for`` it or await it.

    It is also a coroutine (``asyncio.create_task(sender(...))`` works); nothing starts
    until it is iterated or awaited.
    """

    def __init__(self, open_run: Callable[[], AbstractAsyncContextManager[Run]]) -> None:
        self._open_run = open_run
        self._used = False
        self._coro: Coroutine[Any, Any, list[Result]] | None = None

    def _claim(self) -> None:
        if self._used:
            raise ScriptError("a run can be iterated or awaited only once; call run_with again")
        self._used = True

    def __aiter__(self) -> AsyncIterator[Result]:
        self._claim()
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[Result]:
        async with self._open_run() as run:
            async for result in run.stream():
                yield result
            errors = run.errors
        raise_for(errors)

    def _coroutine(self) -> Coroutine[Any, Any, list[Result]]:
        if self._coro is None:
            self._claim()
            self._coro = self._collect()
        return self._coro

    def __await__(self) -> Generator[Any, None, list[Result]]:
        return self._coroutine().__await__()

    def send(self, value: Any) -> Any:
        return self._coroutine().send(value)

    def throw(self, *args: Any) -> Any:
        return self._coroutine().throw(*args)

    def close(self) -> None:
        if self._coro is not None:
            self._coro.close()

    async def _collect(self) -> list[Result]:
        results: list[Result] = []
        async with self._open_run() as run:
            async for result in run.stream():
                results.append(result)
            errors = run.errors
        if errors:
            raise RunFailed(results, errors)
        return results
