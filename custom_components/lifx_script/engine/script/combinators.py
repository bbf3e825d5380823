"""Pipeline, Repeater and FromGenerator: order, repetition and messages decided at run time."""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import AsyncGenerator, Callable
from typing import Any

from ..errors import InvalidScript
from .nodes import Node, RunContext, Serials, all_ok, to_node
from .references import SpecialReference, parse_reference


def _seconds(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not value >= 0:
        raise InvalidScript(f"{name} must be a number of seconds >= 0, not {value!r}")
    return float(value)


class Pipeline(Node):
    """Children in order, per serial: each waits for the previous one to finish.

    spread: at least this many seconds between the starts of two children (per serial).
    short_circuit_on_error: a serial that failed gets none of the following children.
    synchronized: all serials move in lockstep (the next child waits for the slowest).
    A child may be a message, a list (sent in parallel) or another combinator.
    """

    def __init__(
        self,
        *children: Any,
        spread: float = 0,
        short_circuit_on_error: bool = False,
        synchronized: bool = False,
    ) -> None:
        self.children = tuple(to_node(child) for child in children)
        self.spread = _seconds("spread", spread)
        self.short_circuit_on_error = bool(short_circuit_on_error)
        self.synchronized = bool(synchronized)

    def messages(self) -> list[Any]:
        return [m for child in self.children for m in child.messages()]

    async def _wait_spread(self, previous_start: float | None) -> float:
        if previous_start is not None and self.spread > 0:
            delay = previous_start + self.spread - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
        return time.monotonic()

    async def _one(self, run: RunContext, serials: Serials) -> bool:
        ok = True
        started: float | None = None
        for child in self.children:
            started = await self._wait_spread(started)
            if not await child.execute(run, serials):
                ok = False
                if self.short_circuit_on_error:
                    return False
        return ok

    async def execute(self, run: RunContext, serials: Serials) -> bool:
        if serials is None:  # broadcast to every device: one sequence
            return await self._one(run, None)
        if not self.synchronized:
            return await all_ok([self._one(run, [serial]) for serial in serials])
        active = list(serials)
        failed: set[str] = set()
        started: float | None = None
        for child in self.children:
            if not active:
                break
            started = await self._wait_spread(started)
            results = await _each(run, child, active)
            for serial, ok in zip(active, results, strict=True):
                if not ok:
                    failed.add(serial)
            if self.short_circuit_on_error:
                active = [s for s in active if s not in failed]
        return not failed

    def __repr__(self) -> str:
        return f"Pipeline({', '.join(map(repr, self.children))}, spread={self.spread})"


async def _each(run: RunContext, child: Node, serials: list[str]) -> list[bool]:
    """child for each serial separately, in parallel: success per serial."""
    if len(serials) == 1:
        return [await child.execute(run, serials)]
    async with asyncio.TaskGroup() as group:
        tasks = [group.create_task(child.execute(run, [serial])) for serial in serials]
    return [task.result() for task in tasks]


class _Stop(Exception):
    """Raise from on_done_loop to end a Repeater."""


class Repeater(Node):
    """Run the script, then again every min_loop_time seconds, until on_done_loop raises Stop.

    on_done_loop is called (sync or async) with no arguments after every loop; other
    exceptions it raises are reported as errors and the Repeater goes on. A reference that
    finds every device is looked up again before each new loop.
    """

    Stop = _Stop

    def __init__(
        self,
        script: Any,
        *,
        min_loop_time: float = 30,
        on_done_loop: Callable[[], Any] | None = None,
    ) -> None:
        self.child = to_node(script)
        self.min_loop_time = _seconds("min_loop_time", min_loop_time)
        if on_done_loop is not None and not callable(on_done_loop):
            raise InvalidScript(f"on_done_loop must be callable, not {on_done_loop!r}")
        self.on_done_loop = on_done_loop

    def messages(self) -> list[Any]:
        return self.child.messages()

    async def execute(self, run: RunContext, serials: Serials) -> bool:
        ok = True
        # Loops are paced from their planned starts, so a late wake-up does not push every
        # later loop back (a frame loop keeps its rate); a loop that overran starts the plan
        # afresh rather than bursting to catch up.
        planned = time.monotonic()
        while True:
            if not await self.child.execute(run, serials):
                ok = False
            if self.on_done_loop is not None:
                try:
                    result = self.on_done_loop()
                    if inspect.isawaitable(result):
                        await result
                except Repeater.Stop:
                    return ok
                except Exception as error:
                    run.error(error)
                    ok = False
            planned += self.min_loop_time
            delay = planned - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            else:
                planned = time.monotonic()
                await asyncio.sleep(0)  # let others run even when a loop is instant
            serials = await run.refresh(serials)

    def __repr__(self) -> str:
        return f"Repeater({self.child!r}, min_loop_time={self.min_loop_time})"


GeneratorFunction = Callable[..., AsyncGenerator[Any, Any]]


class FromGenerator(Node):
    """Messages decided at run time by an async generator.

    ``gen(reference, sender, **options)`` yields messages (or lists, or combinators, or
    exceptions to report); each yield returns a future that resolves to True when what was
    yielded succeeded. Yielded items run in parallel with the generator. The reference it
    gets (and that its messages without a target go to) is the run's serials, or
    ``reference_override`` when given (True means the run's reference, as in photons).
    """

    def __init__(self, gen: GeneratorFunction, *, reference_override: Any = None) -> None:
        if not callable(gen):
            raise InvalidScript(f"FromGenerator needs an async generator function, not {gen!r}")
        self.gen = gen
        self.reference_override = reference_override
        self._override: SpecialReference | None = None
        if reference_override not in (None, True):
            self._override = parse_reference(reference_override)

    async def execute(self, run: RunContext, serials: Serials) -> bool:
        if self._override is not None:
            serials = await run.resolve(self._override)
        agen = self.gen(list(serials) if serials is not None else None, run.sender, **run.kwargs())
        if not hasattr(agen, "asend"):
            run.error(InvalidScript(f"{self.gen!r} did not return an async generator"))
            return False
        loop = asyncio.get_running_loop()
        ok = True
        futures: list[asyncio.Future[bool]] = []
        async with asyncio.TaskGroup() as group:
            complete: asyncio.Future[bool] | None = None
            try:
                while True:
                    try:
                        item = await agen.asend(complete)
                    except StopAsyncIteration:
                        break
                    complete = loop.create_future()
                    if isinstance(item, Exception):
                        run.error(item)
                        ok = False
                        complete.set_result(False)
                        continue
                    try:
                        node = to_node(item)
                    except InvalidScript as error:
                        run.error(error)
                        ok = False
                        complete.set_result(False)
                        continue
                    futures.append(complete)
                    group.create_task(_settle(node.execute(run, serials), complete))
            except Exception as error:
                run.error(error)
                ok = False
            finally:
                await agen.aclose()
        return ok and all(f.result() for f in futures if not f.cancelled())


async def _settle(coro: Any, future: asyncio.Future[bool]) -> None:
    try:
        result = await coro
    except BaseException:
        if not future.done():
            future.cancel()
        raise
    if not future.done():
        future.set_result(bool(result))
