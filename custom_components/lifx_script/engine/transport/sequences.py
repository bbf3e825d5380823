"""Per-target sequence numbers that are never handed out while a reply to them may come.

photons draws retry sequences from one counter shared by every target and so matches
replies to the wrong request; here each 8-byte target has its own counter (1, 2, ... 255,
0, 1, ...). A sequence is not handed out while it is in flight, nor for a while after its
request finished: briefly when it was answered (a network duplicate may trail), longer when
it was not (the device may still answer it late). A message that asks for no answer
(neither ack nor response) is done with its sequence once sent: the sequence is free at
once, so frames streamed without acks never wait (the counter still moves on, so it is
used again only after the other 255).

Broadcasts (the zero target) and unicasts share the device's side of the key: device A's
answer to a broadcast carries (source, sequence, A), and is only found through the zero-target
fallback when no request to A holds that sequence. So a broadcast takes a sequence no device
target has in flight, and a device target skips the sequences of broadcasts in flight or in
quarantine (both only fall back to a clashing one when nothing else is free).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

ZERO_TARGET = bytes(8)


class _TargetSequences:
    __slots__ = ("in_flight", "next", "released", "waiting")

    def __init__(self) -> None:
        self.next = 1
        self.in_flight: set[int] = set()
        # sequence -> when it may be handed out again
        self.released: dict[int, float] = {}
        # sends waiting because every sequence of this target is taken
        self.waiting: list[asyncio.Future[None]] = []


class SequenceAllocator:
    """Allocates and releases sequences per target."""

    def __init__(
        self, answered_quarantine: float = 1.0, unanswered_quarantine: float = 5.0
    ) -> None:
        self.answered_quarantine = answered_quarantine
        self.unanswered_quarantine = unanswered_quarantine
        self._targets: dict[bytes, _TargetSequences] = {}

    def allocate(self, target: bytes) -> int | None:
        """The next free sequence for target, or None when every one is taken."""
        state = self._targets.get(target)
        if state is None:
            state = self._targets[target] = _TargetSequences()
        clashes = self._clashes(target)
        seq = state.next
        if seq in state.in_flight or seq in state.released or (clashes and clashes(seq)):
            searched = self._search(state, clashes)
            if searched is None and clashes is not None:
                searched = self._search(state, None)  # better a clash than no send
            if searched is None:
                return None
            seq = searched
        state.in_flight.add(seq)
        state.next = (seq + 1) & 0xFF
        return seq

    def _clashes(self, target: bytes) -> Callable[[int], bool] | None:
        """Sequences target should avoid because of the other side (see the module doc)."""
        targets = self._targets
        if target == ZERO_TARGET:
            busy: set[int] = set()
            for key, other in targets.items():
                if key != ZERO_TARGET:
                    busy |= other.in_flight
            return busy.__contains__ if busy else None
        zero = targets.get(ZERO_TARGET)
        if zero is None:
            return None
        released = zero.released
        if released:
            now = time.monotonic()
            for seq in [s for s, free_at in released.items() if free_at <= now]:
                del released[seq]
        in_flight = zero.in_flight
        if not in_flight and not released:
            return None
        return lambda seq: seq in in_flight or seq in released

    def _search(self, state: _TargetSequences, clashes: Callable[[int], bool] | None) -> int | None:
        in_flight = state.in_flight
        released = state.released
        now = time.monotonic()
        for seq in [s for s, free_at in released.items() if free_at <= now]:
            del released[seq]
        start = state.next
        for i in range(256):
            seq = (start + i) & 0xFF
            if seq not in in_flight and seq not in released:
                if clashes is None or not clashes(seq):
                    return seq
        return None

    def release(
        self, target: bytes, seq: int, answered: bool = False, expects_reply: bool = True
    ) -> None:
        """seq's request is done with it; answered: a reply to it did arrive.

        expects_reply=False: the message asked for no answer, so none can come late and
        the sequence is free again at once.
        """
        state = self._targets.get(target)
        if state is None or seq not in state.in_flight:
            return
        state.in_flight.discard(seq)
        if expects_reply:
            quarantine = (
                self.answered_quarantine
                if answered and target != ZERO_TARGET
                else self.unanswered_quarantine
            )
            state.released[seq] = time.monotonic() + quarantine
        waiting = state.waiting
        while waiting:
            future = waiting.pop(0)
            if not future.done():
                future.set_result(None)
                break
        if not state.in_flight and not waiting and len(self._targets) > 1024:
            self._forget_idle(target)

    def _forget_idle(self, keep: bytes) -> None:
        """Many targets seen (a large network): drop idle ones whose quarantines are over."""
        now = time.monotonic()
        for key, state in list(self._targets.items()):
            if key == keep or state.in_flight or state.waiting:
                continue
            if all(free_at <= now for free_at in state.released.values()):
                del self._targets[key]

    def free_in(self, target: bytes) -> float | None:
        """Seconds until a quarantined sequence of target comes free (None: none is)."""
        state = self._targets.get(target)
        if state is None or not state.released:
            return None
        return max(0.0, min(state.released.values()) - time.monotonic())

    def when_released(self, target: bytes) -> asyncio.Future[None]:
        """A future resolved at the next release of one of target's sequences."""
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._targets[target].waiting.append(future)
        return future

    def in_flight(self, target: bytes) -> frozenset[int]:
        state = self._targets.get(target)
        return frozenset(state.in_flight) if state else frozenset()
