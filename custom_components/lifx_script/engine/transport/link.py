"""One session's UDP link: send a request, retransmit on schedule, collect its replies."""

from __future__ import annotations

import asyncio
import heapq
import itertools
import logging
import random
import time
from collections import deque
from collections.abc import Coroutine, Sequence
from typing import Any

from ..codec import Message, target_to_serial
from ..errors import TimedOut, Unsupported
from .addresses import Addr, is_ip_literal
from .matcher import ACK_ONLY, NONE, RES, ZERO_TARGET, Matcher, Reply, Waiter, new_stats
from .rate import RateLimiter
from .retry import RetrySchedule, repeats_harmlessly
from .sequences import SequenceAllocator
from .udp import UdpEndpoint

_LOG = logging.getLogger(__name__)

# Sequences one request keeps registered, so that a reply to any of its transmissions counts
# (a device answering seconds late still completes it). 20 covers every transmission of a
# 10 s request: 16 on the schedule, up to 20 for a question once acked (see retry.py); with a
# longer timeout the oldest are let go. A target short of free sequences makes a request
# reuse its own oldest one instead of waiting (see transmit).
MAX_LIVE_SEQUENCES = 20


def new_source() -> int:
    return random.randrange(1, 1 << 32)


def mode_of(msg: Message) -> int:
    """Completion rule of a message from its flags (res without State types acts as ack)."""
    if msg.res_required and msg.reply_types:
        return RES
    if msg.ack_required:
        return ACK_ONLY
    return NONE


class Link:
    """A session's socket, matcher, sequence counters, retry schedule and rate cap."""

    def __init__(
        self,
        *,
        retry: RetrySchedule,
        rate_limit: float | None = None,
        quiet_gap: float = 0.45,
        source: int | None = None,
    ) -> None:
        self.retry = retry
        self.quiet_gap = quiet_gap
        self.source = source if source is not None else new_source()
        self.stats = new_stats()
        self.matcher = Matcher(self.stats)
        self.sequences = SequenceAllocator()
        self.rate = RateLimiter(rate_limit) if rate_limit else None
        self.endpoint: UdpEndpoint | None = None
        self.alarms = Alarms()
        # datagrams of this loop iteration's transmissions, sent together (see _flush)
        self._outbox: list[tuple[bytes, Addr]] = []

    async def open(self, bind: Addr) -> None:
        self.endpoint = await UdpEndpoint.open(bind, self.matcher.feed)

    async def close(self) -> None:
        endpoint, self.endpoint = self.endpoint, None
        if endpoint is not None:
            await endpoint.close()

    # -- sending ---------------------------------------------------------------------------

    async def transmit(
        self,
        waiter: Waiter,
        msg: Message,
        target: bytes,
        source: int,
        addrs: Sequence[Addr],
        live: deque[int],
        sent_on: dict[int, int],
        first: bool,
        deadline: float,
    ) -> int | None:
        """One transmission with a fresh sequence of target's own; None if none came free."""
        rate = self.rate
        if rate is not None and target != ZERO_TARGET and not first:
            # (the first transmission waited for its slot before the clock started)
            delay = rate.reserve(target, deadline)
            if delay is None:
                return None  # no slot before the deadline: nothing more is sent
            if delay:
                await asyncio.sleep(delay)
        sequences = self.sequences
        matcher = self.matcher
        seq = sequences.allocate(target)
        if seq is None and live:
            # 256 in flight for this target: reuse our own oldest sequence (a reply to it is
            # ours either way) rather than wait while holding sequences others wait for
            seq = live.popleft()
            matcher.release((source, seq, target))
        while seq is None:  # none of our own yet: wait for one to come free
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            soonest = sequences.free_in(target)
            if soonest is not None:
                remaining = min(remaining, soonest + 0.001)
            free = sequences.when_released(target)
            handle = asyncio.get_running_loop().call_later(remaining, _wake, free)
            try:
                await free
            finally:
                handle.cancel()
                if not free.done():
                    free.cancel()
            seq = sequences.allocate(target)
        matcher.register((source, seq, target), waiter)
        live.append(seq)
        sent_on[seq] = sent_on.get(seq, 0) + 1
        if len(live) > MAX_LIVE_SEQUENCES:
            old = live.popleft()
            matcher.release((source, old, target))
            sequences.release(target, old, waiter.heard.get(old, 0) >= sent_on.pop(old))
        data = msg.pack_for(target, source, seq)
        if self.endpoint is None:
            raise ConnectionError("the session's socket is closed")
        outbox = self._outbox
        if not outbox:
            asyncio.get_running_loop().call_soon(self._flush)
        for addr in addrs:
            outbox.append((data, addr))
        stats = self.stats
        stats["sent"] += len(addrs)
        if not first:
            stats["retransmits"] += len(addrs)
        return seq

    def _flush(self) -> None:
        """Send what this iteration's transmissions queued, back to back.

        Many requests transmit in one event-loop iteration (a burst of replies frees their
        lanes together). Sent one by one between other work, each datagram to a receiver
        on this host wakes it on its own, and the wake-up is charged to the sender: about
        9 us a datagram on loopback, against 2 us when they go out together. The delay is
        the rest of one loop iteration.
        """
        outbox, self._outbox = self._outbox, []
        endpoint = self.endpoint
        if endpoint is None:
            return  # closed meanwhile: as if sent and lost
        send = endpoint.send
        for data, addr in outbox:
            send(data, addr)

    def request(
        self,
        msg: Message,
        target: bytes,
        addrs: Sequence[Addr],
        *,
        timeout: float,
        no_retry: bool = False,
        broadcast: bool = False,
        reply_from: Addr | None = None,
    ) -> Coroutine[Any, Any, list[Reply]]:
        """Send msg to target at addrs until complete; the replies (acks for ack-only sends).

        Await it. Raises TimedOut (with any partial replies) or Unsupported (StateUnhandled).
        (A plain function returning run_waiter's coroutine: one coroutine frame less to
        resume at every wake-up of the send.)
        reply_from: the device's own address (a unicast): replies from anywhere else are
        dropped and counted (see matcher).
        """
        unbounded = broadcast or target == ZERO_TARGET
        waiter = Waiter(msg, mode_of(msg), unbounded)
        if reply_from is not None and is_ip_literal(reply_from[0]):
            waiter.reply_from = reply_from
        return self.run_waiter(waiter, msg, target, addrs, timeout, no_retry)

    async def run_waiter(
        self,
        waiter: Waiter,
        msg: Message,
        target: bytes,
        addrs: Sequence[Addr],
        timeout: float,  # noqa: ASYNC109 - the deadline ends a retry schedule
        no_retry: bool,
        schedule: RetrySchedule | None = None,
        keep_sending: bool = False,
    ) -> list[Reply]:
        """The send loop shared by requests and discovery rounds.

        keep_sending: retransmit on the schedule whatever arrives, with no quiet gap (a
        search for specific serials keeps asking until all are found or time is up; it may
        clear waiter.keep_sending then, to hear the others out).
        """
        loop = asyncio.get_running_loop()
        if keep_sending:
            waiter.keep_sending = True
        rate = self.rate
        if rate is not None and target != ZERO_TARGET:
            # Waiting for the device's first free slot is queueing, like waiting for the
            # in-flight limit: message_timeout counts from the first transmission.
            await rate.wait(target)
        source = msg.source or self.source
        plan = schedule or self.retry
        offsets = plan.offsets()
        gap = self.quiet_gap
        start = time.monotonic()
        deadline = start + timeout
        next_tx = start + next(offsets)
        last_tx: float | None = None
        live: deque[int] = deque()
        sent_on: dict[int, int] = {}  # transmissions per live sequence
        seq = 0
        sent = 0
        short: _ShortSet | None = None  # made when a reply set comes up short
        alarms = self.alarms
        # once the device has heard us: resend every acked_step from acked_from (see retry.py)
        acked_step: float | None = None
        acked_from = 0.0
        acked_sends = 0
        try:
            while not waiter.done:
                now = time.monotonic()
                quiet = waiter.quiet and not waiter.keep_sending
                if quiet:
                    end = min(waiter.last_reply + waiter.quiet_gap(gap), deadline)
                    if now >= end:
                        if short is None:
                            short = _ShortSet()
                        if now < deadline and short.ask_again(waiter, seq, sent, no_retry):
                            # an "at most n" set came up short: the device resends all of it
                            # and duplicates are dropped, so ask until an answer adds nothing
                            got = await self.transmit(
                                waiter, msg, target, source, addrs, live, sent_on, False, deadline
                            )
                            if got is not None:
                                seq = got
                                sent += 1
                            last_tx = waiter.last_reply = time.monotonic()
                            continue
                        break
                    wake = end
                else:
                    if now >= deadline:
                        self.stats["timeouts"] += 1
                        serial = None if target == ZERO_TARGET else target_to_serial(target)
                        raise TimedOut(
                            serial,
                            msg.pkt_type,
                            source,
                            seq,
                            [(pkt, addr) for pkt, addr in waiter.replies],
                            name=msg.name,
                            timeout=timeout,
                            acked=waiter.acked,
                        )
                    wake = deadline
                may_send = sent == 0 or (not no_retry and waiter.mode != NONE and not quiet)
                if may_send:
                    if (
                        acked_step is None
                        and last_tx is not None
                        and not keep_sending
                        and (waiter.acked or waiter.replies)
                    ):
                        acked_from, acked_step = plan.acked_plan(
                            last_tx - start, now - start, timeout, repeats_harmlessly(msg.name)
                        )
                        acked_from += start
                        next_tx = acked_from + acked_step
                    if now >= next_tx:
                        got = await self.transmit(
                            waiter,
                            msg,
                            target,
                            source,
                            addrs,
                            live,
                            sent_on,
                            sent == 0,
                            deadline,
                        )
                        if got is not None:
                            seq = got
                            sent += 1
                        last_tx = time.monotonic()
                        if acked_step is not None:
                            acked_sends += 1
                            next_tx = acked_from + (acked_sends + 1) * acked_step
                        else:
                            elapsed = last_tx - start
                            next_tx = start + next(offsets)
                            while next_tx - start < elapsed:
                                next_tx = start + next(offsets)
                        if waiter.mode == NONE and sent:
                            break  # (not sent: on to the deadline's TimedOut, not [])
                        continue
                    wake = min(wake, next_tx)
                if wake > time.monotonic():
                    # sleep until wake or until the waiter finishes, whichever is first
                    # (inline: a coroutine less to make and to resume through)
                    future: asyncio.Future[None] = loop.create_future()
                    waiter.future = future
                    alarms.wake_at(loop, wake, future)
                    try:
                        await future
                    finally:
                        waiter.future = None
                        alarms.leave()
        finally:
            matcher = self.matcher
            sequences = self.sequences
            heard = waiter.heard
            expects_reply = waiter.mode != NONE  # no answer asked: no quarantine either
            for s in live:
                matcher.release((source, s, target))
                sequences.release(target, s, heard.get(s, 0) >= sent_on[s], expects_reply)
        if waiter.unsupported is not None:
            serial = None if target == ZERO_TARGET else target_to_serial(target)
            raise Unsupported(serial, msg.pkt_type, name=msg.name)
        return waiter.replies


def _wake(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


class Alarms:
    """One event-loop timer for the wake-ups of every request of a link.

    A request sleeps until its next transmission unless its reply comes first, which it
    usually does: a timer handle per sleep was made, scheduled and cancelled for nothing.
    Here a sleep is a heap entry; the one timer fires at the earliest, wakes every sleep due
    by then and is set again for the next. A sleep that ended early (the request finished or
    was cancelled) stays in the heap, done, and is dropped when its time comes; when no
    sleep is left, the heap is emptied and the timer cancelled (none lingers).
    """

    __slots__ = ("_asleep", "_at", "_handle", "_heap", "_order")

    def __init__(self) -> None:
        self._heap: list[tuple[float, int, asyncio.Future[None]]] = []
        self._order = itertools.count()  # ties: first asleep, first woken
        self._handle: asyncio.TimerHandle | None = None
        self._at = float("inf")
        self._asleep = 0  # wake_at calls not yet followed by leave

    def wake_at(
        self, loop: asyncio.AbstractEventLoop, when: float, future: asyncio.Future[None]
    ) -> None:
        """Set future's result at time.monotonic() == when (unless it is done by then).

        Every call must be followed by one ``leave`` once the sleep is over, however it ended.
        """
        self._asleep += 1
        heapq.heappush(self._heap, (when, next(self._order), future))
        if when < self._at:
            self._arm(loop, when)

    def leave(self) -> None:
        """A sleep is over; the last one clears the heap and the timer."""
        self._asleep -= 1
        if self._asleep == 0:
            self._heap.clear()
            self._at = float("inf")
            handle, self._handle = self._handle, None
            if handle is not None:
                handle.cancel()

    def _arm(self, loop: asyncio.AbstractEventLoop, when: float) -> None:
        if self._handle is not None:
            self._handle.cancel()
        self._at = when
        self._handle = loop.call_later(max(0.0, when - time.monotonic()), self._fire, loop)

    def _fire(self, loop: asyncio.AbstractEventLoop) -> None:
        self._handle = None
        self._at = float("inf")
        heap = self._heap
        now = time.monotonic()
        while heap and heap[0][0] <= now:
            future = heapq.heappop(heap)[2]
            if not future.done():
                future.set_result(None)
        while heap and heap[0][2].done():
            heapq.heappop(heap)  # ended early: no timer for it
        if heap:
            self._arm(loop, heap[0][0])


class _ShortSet:
    """When to stop asking for an "at most n" set (Get64) that came up short of n.

    The device resends the whole set each time and duplicates are dropped, so a short set
    is asked for again until one transmission's answer alone holds every reply known (two
    in a row once any loss was seen: an answer missing the same reply twice is likely).
    """

    __slots__ = ("complete", "first", "gaps", "lossy")

    def __init__(self) -> None:
        self.gaps = 0
        self.complete = 0
        self.lossy = False
        self.first: frozenset[object] = frozenset()

    def ask_again(self, waiter: Waiter, seq: int, sent: int, no_retry: bool) -> bool:
        expected = waiter.expected
        if no_retry or waiter.unbounded or expected is None or len(waiter.replies) >= expected:
            return False
        known = waiter.seen
        got = waiter.by_seq.get(seq, set())
        self.gaps += 1
        if self.gaps == 1:
            self.first = frozenset(got)
            self.lossy = sent > 1  # the first answer needed a retransmission
            return True
        if self.first != known:
            self.lossy = True
        if known <= got:
            self.complete += 1
        else:
            self.complete = 0
            self.lossy = True
        return self.complete < (2 if self.lossy else 1)
