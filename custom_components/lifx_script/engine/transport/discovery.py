"""Discovery: GetService to every broadcast address on a schedule, StateService -> address.

A search for specific serials stops asking as soon as all are found, then (like a search
for "all") listens out a quiet gap after the last reply, so every device that answered
the same broadcast is remembered too. Neither raises when nothing answers: the caller
decides what a missing device means.

A StateService is one unauthenticated packet: anyone on the LAN can send one with the
session's source. So a claim "serial X is at address A" is used only when:
- the reply came from A itself and A is an address the GetService went to (the unicast
  exchange happened), or X is already known at A; else
- a unicast GetService to X at A, with a fresh source, is answered from A by X (a
  confirmation), and, for a device known elsewhere and not marked stale, its old
  address no longer answers as X (a device is not moved away from where it answers).
Claims that fail are counted as unconfirmed_devices and never reported. (Something at A
that reads the confirmation and answers as X is, for this protocol, a device X at A: it
can add itself, not move a device that still answers elsewhere.)
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Container, Mapping, Sequence

from ..codec import DiscoveryMessages, Message, serial_to_target, target_to_serial
from ..errors import TimedOut, Unsupported
from .addresses import Addr, is_ip_literal
from .link import Link, new_source
from .matcher import RES, ZERO_TARGET, Waiter
from .retry import RetrySchedule

DISCOVERY_SCHEDULE = (0.0, 0.6, 1.2, 1.8, 2.4, 3.4, 5.4, 7.4, 11.4, 16.4)
DISCOVERY_INTERVAL = 5.0
UDP_SERVICE = 1
# how long a claimed address has to confirm itself (a LAN device answers in milliseconds;
# this leaves the retry schedule several tries under loss)
CONFIRM_TIMEOUT = 2.0
# confirmations one search runs at once: a flood of invented serials must not become a flood
# of tasks and packets (far above any home's count of new devices in one search; the rest
# are heard again at the next discovery)
MAX_CONFIRMING = 1024

OnFound = Callable[[str, Addr], None]


def claim_of(pkt: Message, addr: Addr) -> tuple[str, Addr] | None:
    """(serial, (ip the reply came from, advertised UDP port)) of a StateService."""
    if pkt.pkt_type != 3 or int(pkt.service) != UDP_SERVICE:
        return None
    return target_to_serial(pkt.target), (addr[0], int(pkt.port) or addr[1])


def found_in(replies: Sequence[tuple[Message, Addr]]) -> dict[str, Addr]:
    """serial -> address claimed by the StateService replies (unchecked)."""
    found: dict[str, Addr] = {}
    for pkt, addr in replies:
        claim = claim_of(pkt, addr)
        if claim is not None:
            found[claim[0]] = claim[1]
    return found


def _answered(waiter: Waiter) -> bool:
    pkt, addr = waiter.replies[-1]
    return claim_of(pkt, addr) is not None


class _Search:
    """One discovery: the GetService waiter, the claims it heard and their confirmations."""

    def __init__(
        self,
        link: Link,
        addrs: Sequence[Addr],
        deadline: float,
        wanted: set[str] | None,
        known: Mapping[str, Addr],
        stale: Container[str],
        on_found: OnFound | None,
        confirm_timeout: float,
    ) -> None:
        self.link = link
        self.addrs = list(addrs)
        self.sent_to = frozenset(addrs)
        self.deadline = deadline
        self.remaining = None if wanted is None else set(wanted)
        self.known = known
        self.stale = stale
        self.on_found = on_found
        self.confirm_timeout = confirm_timeout
        self.found: dict[str, Addr] = {}
        self.claims: set[tuple[str, Addr]] = set()
        self.confirming: set[asyncio.Task[None]] = set()
        msg = DiscoveryMessages.GetService(ack_required=False, res_required=True)
        self.msg = msg
        self.waiter = waiter = Waiter(msg, RES, unbounded=True)
        waiter.senders = None  # every claim is heard: each is checked on its own merits
        waiter.check = self._heard

    def _heard(self, waiter: Waiter) -> bool:
        """A StateService arrived: take it, or confirm it first. Never ends the waiter."""
        pkt, addr = waiter.replies[-1]
        claim = claim_of(pkt, addr)
        if claim is None or claim in self.claims:
            return False
        self.claims.add(claim)
        serial, where = claim
        if self.found.get(serial) == where:
            return False
        if self.known.get(serial) == where or (where == addr and addr in self.sent_to):
            self._accept(serial, where)
        elif len(self.confirming) >= MAX_CONFIRMING:
            self.link.stats["unconfirmed_devices"] += 1
        else:
            task = asyncio.get_running_loop().create_task(self._confirm(serial, where))
            self.confirming.add(task)
            task.add_done_callback(self.confirming.discard)
        return False

    def _accept(self, serial: str, where: Addr) -> None:
        if serial in self.found:
            return  # two confirmed claims: the first stands until the device is looked for again
        self.found[serial] = where
        if self.on_found is not None:
            self.on_found(serial, where)
        remaining = self.remaining
        if remaining is not None and serial in remaining:
            remaining.discard(serial)
            if not remaining:
                # all wanted found: stop asking, listen out the others' answers
                self.waiter.keep_sending = False
                self.waiter.wake()

    async def _confirm(self, serial: str, where: Addr) -> None:
        old = self.known.get(serial)
        checks = [self._answers_as(serial, where)]
        if old is not None and serial not in self.stale:
            checks.append(self._answers_as(serial, old))
        answers = await asyncio.gather(*checks)
        if answers[0] and not any(answers[1:]):
            self._accept(serial, where)
        else:
            self.link.stats["unconfirmed_devices"] += 1

    async def _answers_as(self, serial: str, where: Addr) -> bool:
        """Does a unicast GetService to serial at where get its StateService from there?"""
        timeout = min(self.confirm_timeout, self.deadline - time.monotonic())
        if timeout <= 0:
            return False
        # a source of its own: the session's is public (every broadcast shows it), so a
        # blind forger sweeping sequences with it cannot answer this exchange
        msg = DiscoveryMessages.GetService(
            source=new_source(), ack_required=False, res_required=True
        )
        # done at the first UDP StateService (a device may also list other services; a
        # plain request would wait out a quiet gap for more)
        waiter = Waiter(msg, RES, unbounded=True)
        waiter.reply_from = where if is_ip_literal(where[0]) else None
        waiter.check = _answered
        try:
            replies = await self.link.run_waiter(
                waiter,
                msg,
                serial_to_target(serial),
                [where],
                timeout,
                no_retry=False,
                keep_sending=True,
            )
        except (TimedOut, Unsupported):
            return False
        return found_in(replies).get(serial) == where

    async def run(self, schedule: RetrySchedule) -> dict[str, Addr]:
        timeout = self.deadline - time.monotonic()
        try:
            await self.link.run_waiter(
                self.waiter,
                self.msg,
                ZERO_TARGET,
                self.addrs,
                timeout,
                no_retry=False,
                schedule=schedule,
                keep_sending=self.remaining is not None,
            )
        except TimedOut:
            pass  # nothing (or not everything wanted) answered: report what did
        finally:
            if self.confirming:
                await asyncio.gather(*self.confirming, return_exceptions=True)
        return self.found


async def discover(
    link: Link,
    addrs: Sequence[Addr],
    *,
    timeout: float,  # noqa: ASYNC109 - the deadline ends a schedule of rounds
    schedule: RetrySchedule,
    wanted: set[str] | None = None,
    known: Mapping[str, Addr] | None = None,
    stale: Container[str] = (),
    on_found: OnFound | None = None,
    confirm_timeout: float = CONFIRM_TIMEOUT,
) -> dict[str, Addr]:
    """Devices that answered GetService at addrs within timeout, each confirmed (see above).

    wanted: stop asking once these are found. known: serial -> address already trusted
    (stale: known serials whose sends timed out). on_found: called as each device is
    confirmed, before the search ends.
    """
    if (wanted is not None and not wanted) or timeout <= 0:
        return {}
    search = _Search(
        link,
        addrs,
        time.monotonic() + timeout,
        wanted,
        known if known is not None else {},
        stale,
        on_found,
        confirm_timeout,
    )
    return await search.run(schedule)
