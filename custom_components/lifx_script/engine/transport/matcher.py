"""Reply matching: (source, sequence, target), then (source, sequence, zero target).

The header is read once (``unpack_header``) and the payload decoded only for a packet
that matched a request and is of a type that request can produce. Everything else is
counted and dropped; nothing from the network raises.

The LAN is not trusted: the session's source is in every broadcast and a sequence is one
byte, so a matching key proves nothing. A unicast request takes replies only from the
(ip, port) it was sent to; a broadcast takes each device's replies only from the first
address that device answered from. Anything else is counted as a reply from the wrong
address and dropped.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from ..codec import DecodeError, Header, Message, Messages, unpack_header
from .addresses import Addr

ACK = 45
STATE_UNHANDLED = 223
ZERO_TARGET = bytes(8)

# how replies of one multi-reply set are told apart (anything else: one reply per type)
INDEX_FIELDS: dict[int, str] = {
    503: "zone_index",
    506: "zone_index",
    512: "zone_index",
    711: "tile_index",
}

Key = tuple[int, int, bytes]
Reply = tuple[Message, Addr]

# Waiter modes
NONE = 0  # neither ack nor res: done once sent
ACK_ONLY = 1  # done at the first Acknowledgement (which is the result)
RES = 2  # done when the expected State replies arrived

_decode = Messages.unpack_after_header

STAT_NAMES = (
    "sent",
    "retransmits",
    "replies",
    "acks",
    "matched",
    "duplicates",
    "late",
    "unmatched",
    "unparsable",
    "timeouts",
    # a matching key from an address the request did not go to (forged or stray)
    "replies_from_wrong_address",
    # discovery: a device claimed at an address that did not confirm it (see discovery.py)
    "unconfirmed_devices",
    # a broadcast's replies beyond MAX_BROADCAST_REPLIES (a flood of invented devices)
    "replies_over_limit",
)

# What one broadcast request (discovery included) keeps: replies, and devices heard. A home
# has hundreds of devices at most; anyone on the LAN can invent millions, each reply held
# until the request ends. Beyond this, replies are dropped and counted.
MAX_BROADCAST_REPLIES = 4096

# The quiet gap that ends a broadcast adapts to how the replies arrive: a multiple of
# their spread so far, at least QUIET_FLOOR (a device answering this much after the
# others is still heard), at most the link's quiet_gap.
QUIET_FLOOR = 0.2
SPREAD_FACTOR = 0.5
SPACING_FACTOR = 4.0


def new_stats() -> dict[str, int]:
    return dict.fromkeys(STAT_NAMES, 0)


class Waiter:
    """What one request (all its transmissions) has received so far."""

    __slots__ = (
        "ack_is_last",
        "ack_targets",
        "acked",
        "by_seq",
        "check",
        "done",
        "exact",
        "expected",
        "first_reply",
        "future",
        "heard",
        "keep_sending",
        "last_reply",
        "mode",
        "replies",
        "reply_from",
        "reply_types",
        "request",
        "seen",
        "senders",
        "spacing",
        "unbounded",
        "unsupported",
    )

    def __init__(self, request: Message, mode: int, unbounded: bool) -> None:
        self.request = request
        self.mode = mode
        self.unbounded = unbounded
        self.reply_types = request.reply_types
        self.replies: list[Reply] = []
        self.seen: set[Any] = set()
        self.by_seq: dict[int, set[Any]] = {}
        self.ack_targets: set[bytes] = set()
        # sequence -> last packets of a transmission that came back on it (a sequence whose
        # every transmission was answered may be reused sooner than the others)
        self.heard: dict[int, int] = {}
        # an ack is the last packet of a transmission only for ack-only sends that are not
        # Gets (devices answer a Get even without res_required)
        self.ack_is_last = mode == ACK_ONLY and not (
            request.reply_types and request.name.startswith("Get")
        )
        self.acked = False
        self.done = False
        self.unsupported: Message | None = None
        self.expected: int | None = None
        # exact: complete only at `expected` replies; otherwise a quiet gap also completes
        self.exact = not unbounded
        self.last_reply = 0.0
        self.first_reply = 0.0
        self.spacing = 0.0  # the longest wait between two replies so far
        # unicast: the one (ip, port) replies may come from (set by the sender)
        self.reply_from: Addr | None = None
        # broadcast: target -> the address its first reply came from (None: not checked,
        # e.g. discovery, which confirms every claimed address itself)
        self.senders: dict[bytes, Addr] | None = {} if unbounded else None
        # retransmit on the schedule whatever arrives (a search for specific serials)
        self.keep_sending = False
        self.future: asyncio.Future[None] | None = None
        # extra completion test (discovery: "all wanted serials found")
        self.check: Callable[[Waiter], bool] | None = None

    @property
    def quiet(self) -> bool:
        """A reply arrived and more may or may not come: finish after a quiet gap."""
        return bool(self.replies) and not self.exact

    def quiet_gap(self, cap: float) -> float:
        """How long to wait for more after the last reply: adaptive for broadcasts."""
        if not self.unbounded:
            return cap
        adaptive = max(
            SPREAD_FACTOR * (self.last_reply - self.first_reply),
            SPACING_FACTOR * self.spacing,
            QUIET_FLOOR,
        )
        return min(adaptive, cap)

    def finish(self) -> None:
        self.done = True
        self.wake()

    def wake(self) -> None:
        """Let the send loop look again (it sleeps until its next transmission)."""
        future = self.future
        if future is not None and not future.done():
            future.set_result(None)

    def feed(self, h: Header, data: bytes, addr: Addr, stats: dict[str, int]) -> None:
        """Take one packet that matched this request's keys."""
        pkt_type = h.pkt_type
        if pkt_type != ACK or self.ack_is_last:
            heard = self.heard
            heard[h.sequence] = heard.get(h.sequence, 0) + 1
        if pkt_type == ACK:
            if h.target in self.ack_targets:
                stats["duplicates"] += 1
                return
            self.ack_targets.add(h.target)
            self.acked = True
            stats["matched"] += 1
            if self.mode == ACK_ONLY:
                self._accept(h, data, addr, stats, key=None)
            return
        if pkt_type == STATE_UNHANDLED:
            try:
                pkt = _decode(h, data)
            except DecodeError:
                stats["unparsable"] += 1
                return
            if int(pkt.unhandled_type) != self.request.pkt_type:
                # about another message: a late answer to an earlier use of this sequence
                stats["unmatched"] += 1
                return
            stats["matched"] += 1
            if self.unbounded:
                return  # one device of many does not support it: not an answer for the rest
            self.unsupported = pkt
            self.finish()
            return
        if pkt_type not in self.reply_types or self.mode != RES:
            # a type this request cannot produce (or a State to an ack-only request)
            stats["unmatched"] += 1
            return
        self._accept(h, data, addr, stats, key=pkt_type)

    def _accept(
        self, h: Header, data: bytes, addr: Addr, stats: dict[str, int], key: int | None
    ) -> None:
        try:
            pkt = _decode(h, data)
        except DecodeError:
            stats["unparsable"] += 1
            return
        if key is not None:
            field = INDEX_FIELDS.get(key)
            if self.unbounded:
                # (with the address: discovery hears every claim of a serial, see senders)
                ident: Any = (h.target, key, data[36:], addr)
                if len(self.replies) >= MAX_BROADCAST_REPLIES and ident not in self.seen:
                    stats["replies_over_limit"] += 1
                    return
            elif field is not None:
                ident = (h.target, key, getattr(pkt, field))
            else:
                ident = (h.target, key)
            if not self.unbounded and not (self.exact and self.expected is not None):
                # an "at most n" set: which replies each transmission brought (see Link)
                by_seq = self.by_seq
                got = by_seq.get(h.sequence)
                if got is None:
                    got = by_seq[h.sequence] = set()
                got.add(ident)
            if ident in self.seen:
                stats["duplicates"] += 1
                return
            self.seen.add(ident)
        stats["matched"] += 1
        replies = self.replies
        replies.append((pkt, addr))
        now = time.monotonic()
        if self.unbounded:
            if len(replies) == 1:
                self.first_reply = now
                self.last_reply = now
                if not self.keep_sending:
                    self.wake()  # now in its quiet gap: not asleep until the next round
            elif now - self.last_reply > self.spacing:
                self.spacing = now - self.last_reply
            self.last_reply = now
            if self.check is not None and self.check(self):
                self.finish()
            return
        self.last_reply = now
        if self.mode == ACK_ONLY:
            self.finish()
            return
        if self.expected is None:
            expected, exact = self.request.expected_replies(pkt)
            if expected is None:
                self.exact = False
                self.expected = None
                return
            self.expected, self.exact = expected, exact
        if self.expected is not None and len(replies) >= self.expected:
            self.finish()


class Matcher:
    """In-flight keys -> waiters; recently finished keys are remembered to count late replies."""

    def __init__(self, stats: dict[str, int], late_window: float = 10.0) -> None:
        self.stats = stats
        self.late_window = late_window
        self.waiting: dict[Key, Waiter] = {}
        self._recent: dict[Key, float] = {}

    def register(self, key: Key, waiter: Waiter) -> None:
        self.waiting[key] = waiter
        self._recent.pop(key, None)

    def release(self, key: Key) -> None:
        if self.waiting.pop(key, None) is not None:
            recent = self._recent
            recent[key] = time.monotonic() + self.late_window
            if len(recent) > 8192:
                for old in list(recent)[:1024]:
                    del recent[old]

    def feed(self, data: bytes, addr: Addr) -> None:
        """Called for every datagram; never raises for bad data."""
        stats = self.stats
        try:
            h = unpack_header(data)
        except DecodeError:
            stats["unparsable"] += 1
            return
        stats["acks" if h.pkt_type == ACK else "replies"] += 1
        source = h.source
        sequence = h.sequence
        if source == 0 and sequence == 0:
            stats["unmatched"] += 1
            return
        waiting = self.waiting
        key = (source, sequence, h.target)
        waiter = waiting.get(key)
        if waiter is None:
            zero_key = (source, sequence, ZERO_TARGET)
            waiter = waiting.get(zero_key)
            if waiter is None:
                self._unmatched(key, zero_key)
                return
        only = waiter.reply_from
        if only is not None:
            if addr != only:
                stats["replies_from_wrong_address"] += 1
                return
        elif waiter.senders is not None:
            senders = waiter.senders
            first = senders.get(h.target)
            if first is None:
                if len(senders) >= MAX_BROADCAST_REPLIES:
                    stats["replies_over_limit"] += 1
                    return
                first = senders[h.target] = addr
            if first != addr:
                stats["replies_from_wrong_address"] += 1
                return
        if waiter.done:
            stats["late"] += 1
            return
        waiter.feed(h, data, addr, stats)

    def _unmatched(self, key: Key, zero_key: Key) -> None:
        recent = self._recent
        until = recent.get(key) or recent.get(zero_key)
        if until is not None and until >= time.monotonic():
            self.stats["late"] += 1
        else:
            self.stats["unmatched"] += 1
