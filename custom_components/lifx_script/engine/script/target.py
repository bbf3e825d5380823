"""LanTarget: how to reach devices (broadcast addresses, retries, limits) and scripts for them."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Mapping, Sequence
from types import TracebackType
from typing import Any

from ..errors import InvalidScript, ScriptError
from ..transport import (
    DEFAULT_AFTER_ACK,
    DEFAULT_BROADCAST,
    DEFAULT_INTERVAL,
    DEFAULT_PORT,
    DEFAULT_SCHEDULE,
    DISCOVERY_INTERVAL,
    DISCOVERY_SCHEDULE,
    Addr,
    Link,
    RetrySchedule,
    parse_address,
    parse_addresses,
)
from .nodes import Node, to_node
from .options import LimitSpec, RunOptions, build_options
from .references import normalise_serial, parse_reference
from .results import Result
from .run import Run, RunHandle
from .session import Sender


def _positive(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
        raise InvalidScript(f"{name} must be a positive number, not {value!r}")
    return float(value)


class LanTarget:
    """Devices on the LAN: where to look for them and how to talk to them.

    broadcast: addresses for discovery (("host", port) or "host[:port]"; port defaults to
    discovery_port). hard_coded: serial -> (ip, port) replaces network discovery.
    rate_limit: at most this many messages a second to one device (None: no cap).
    quiet_gap: the longest wait for more replies to a broadcast after the last one (below
    it the wait adapts to how the replies arrive, from 0.2 s); also the wait after a
    multi-reply set of unknown size.
    """

    def __init__(
        self,
        *,
        broadcast: Any = DEFAULT_BROADCAST,
        discovery_port: int = DEFAULT_PORT,
        hard_coded: Mapping[str, Any] | None = None,
        retry_schedule: Sequence[float] = DEFAULT_SCHEDULE,
        retry_interval: float = DEFAULT_INTERVAL,
        ack_retry_interval: float = DEFAULT_AFTER_ACK,
        default_limit: LimitSpec = 30,
        rate_limit: float | None = None,
        message_timeout: float = 10.0,
        find_timeout: float = 20.0,
        bind: Any = ("0.0.0.0", 0),
        quiet_gap: float = 0.45,
        discovery_schedule: Sequence[float] = DISCOVERY_SCHEDULE,
    ) -> None:
        if isinstance(discovery_port, bool) or not isinstance(discovery_port, int):
            raise InvalidScript(f"discovery_port must be an int, not {discovery_port!r}")
        if not 0 < discovery_port < 65536:
            raise InvalidScript(f"discovery_port must be 1..65535, not {discovery_port}")
        self.discovery_port = discovery_port
        self.broadcast: tuple[Addr, ...] = parse_addresses(broadcast, discovery_port)
        self.hard_coded: dict[str, Addr] | None = None
        if hard_coded is not None:
            if not isinstance(hard_coded, Mapping):
                raise InvalidScript(f"hard_coded must map serial -> (ip, port), not {hard_coded!r}")
            self.hard_coded = {
                normalise_serial(s): parse_address(a, discovery_port) for s, a in hard_coded.items()
            }
        self.retry = RetrySchedule.build(retry_schedule, retry_interval, ack_retry_interval)
        self.discovery_schedule = RetrySchedule.build(discovery_schedule, DISCOVERY_INTERVAL)
        self.rate_limit = None if rate_limit is None else _positive("rate_limit", rate_limit)
        self.message_timeout = _positive("message_timeout", message_timeout)
        self.find_timeout = float(find_timeout)
        if isinstance(find_timeout, bool) or not self.find_timeout >= 0:
            raise InvalidScript(f"find_timeout must be >= 0, not {find_timeout!r}")
        self.quiet_gap = _positive("quiet_gap", quiet_gap)
        self.bind: Addr = (
            (str(bind[0]), int(bind[1]))
            if isinstance(bind, tuple | list) and len(bind) == 2 and isinstance(bind[1], int)
            else parse_address(bind, 0)
        )
        # validated once here so a bad default fails at construction, not at the first run
        self.default_limit = default_limit
        self.build_options({})
        # the device cache, shared by every session of this target, and the serials in it
        # whose sends timed out (looked for again before their next use, by any session)
        self.found: dict[str, Addr] = dict(self.hard_coded or {})
        self.stale: set[str] = set()
        # serial -> time.monotonic() its address was last confirmed (the cache's age)
        self.found_at: dict[str, float] = {}

    def build_options(self, options: dict[str, Any]) -> RunOptions:
        return build_options(
            options,
            message_timeout=self.message_timeout,
            find_timeout=self.find_timeout,
            default_limit=self.default_limit,
            broadcast=self.broadcast,
            discovery_port=self.discovery_port,
        )

    async def send(self, msgs: Any, reference: Any = None, **options: Any) -> list[Result]:
        """photons' ``target.send(msgs, reference, **options)``: one run, every result as a list."""
        return await self.script(msgs).run_with_all(reference, **options)

    def script(self, msgs: Any) -> Script:
        """A script of a message, a list (parallel), a Pipeline, Repeater or FromGenerator."""
        return Script(self, to_node(msgs))

    def session(self) -> Session:
        """``async with target.session() as sender``: one socket for many runs."""
        return Session(self)

    async def open_sender(self) -> Sender:
        """A new sender with its own socket; close it with ``await sender.close()``."""
        link = Link(
            retry=self.retry,
            rate_limit=self.rate_limit,
            quiet_gap=self.quiet_gap,
        )
        await link.open(self.bind)
        return Sender(self, link)

    def prepare(
        self, node: Node, reference: Any, options: dict[str, Any], sender: Sender | None = None
    ) -> RunHandle:
        """Validate reference and options now; the run itself starts when iterated/awaited."""
        ref = parse_reference(reference)
        opts = self.build_options(options)

        @contextlib.asynccontextmanager
        async def open_run() -> AsyncIterator[Run]:
            if sender is not None:
                yield Run(sender, node, ref, opts)
                return
            try:
                async with asyncio.timeout(opts.connect_timeout):
                    own = await self.open_sender()
            except TimeoutError:
                raise ScriptError(
                    f"opening the run's UDP socket took longer than "
                    f"connect_timeout={opts.connect_timeout:g} s"
                ) from None
            try:
                yield Run(own, node, ref, opts)
            finally:
                await own.close()

        return RunHandle(open_run)

    def __repr__(self) -> str:
        return (
            f"<LanTarget broadcast={list(self.broadcast)} hard_coded={self.hard_coded is not None}>"
        )


class Session:
    """Async context manager of a Sender; closing it ends runs still going (SessionClosed)."""

    def __init__(self, target: LanTarget) -> None:
        self.target = target
        self.sender: Sender | None = None

    async def __aenter__(self) -> Sender:
        self.sender = await self.target.open_sender()
        return self.sender

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self.sender is not None:
            await self.sender.close()


class Script:
    """Messages bound to a target: ``run_with(reference, **options)``."""

    def __init__(self, target: LanTarget, node: Node) -> None:
        self.target = target
        self.node = node

    def run_with(
        self, reference: Any = None, sender: Sender | None = None, **options: Any
    ) -> RunHandle:
        """``async for pkt, addr, original in script.run_with(reference)`` (or await it)."""
        return self.target.prepare(self.node, reference, options, sender=sender)

    async def run_with_all(
        self, reference: Any = None, sender: Sender | None = None, **options: Any
    ) -> list[Result]:
        """Every result as a list (errors: see error_catcher)."""
        return await self.run_with(reference, sender=sender, **options)


__all__ = ["LanTarget", "Script", "Session"]
