"""Transport pieces without the network: sequences, retry schedule, addresses, matching."""

from __future__ import annotations

import asyncio
import pickle
import time

import pytest

from custom_components.lifx_script.engine import (
    CoreMessages,
    DeviceMessages,
    DeviceNotFound,
    InvalidScript,
    LightMessages,
    MultipleErrors,
    MultiZoneMessages,
    RunFailed,
    ScriptError,
    SessionClosed,
    TimedOut,
    Unsupported,
    serial_to_target,
)
from custom_components.lifx_script.engine.transport import (
    Matcher,
    RateLimiter,
    RetrySchedule,
    SequenceAllocator,
    Waiter,
    parse_address,
    parse_addresses,
)
from custom_components.lifx_script.engine.transport.link import Alarms
from custom_components.lifx_script.engine.transport.matcher import ACK_ONLY, RES, new_stats

A = serial_to_target("d073d5000001")
B = serial_to_target("d073d5000002")
ZERO = bytes(8)
ADDR = ("127.0.0.1", 56700)


# -- sequences ------------------------------------------------------------------------------


def test_each_target_counts_its_own_sequences_and_wraps_at_255() -> None:
    seqs = SequenceAllocator(0, 0)
    got = []
    for _ in range(300):
        seq = seqs.allocate(A)
        assert seq is not None
        got.append(seq)
        seqs.release(A, seq)
    assert got[:3] == [1, 2, 3]
    assert got[254:258] == [255, 0, 1, 2]
    assert seqs.allocate(B) == 1  # B's counter is its own


def test_a_sequence_in_flight_is_never_handed_out() -> None:
    seqs = SequenceAllocator(0, 0)
    held = seqs.allocate(A)
    assert held == 1
    for _ in range(600):
        seq = seqs.allocate(A)
        assert seq is not None and seq != held
        seqs.release(A, seq)
    # every sequence in flight: none to give
    taken = {held}
    while (seq := seqs.allocate(A)) is not None:
        taken.add(seq)
    assert taken == set(range(256))
    seqs.release(A, 7)
    assert seqs.allocate(A) == 7


def test_released_sequences_are_not_reused_while_a_reply_may_still_come() -> None:
    seqs = SequenceAllocator(answered_quarantine=0.05, unanswered_quarantine=60)
    unanswered = seqs.allocate(A)
    answered = seqs.allocate(A)
    assert (unanswered, answered) == (1, 2)
    seqs.release(A, unanswered, answered=False)
    seqs.release(A, answered, answered=True)
    handed = set()
    while (seq := seqs.allocate(A)) is not None:
        handed.add(seq)
    assert handed == set(range(256)) - {1, 2}  # both quarantined
    assert 0 < (seqs.free_in(A) or 0) <= 0.05
    time.sleep(0.06)
    assert seqs.allocate(A) == 2  # the answered one comes back first
    assert seqs.allocate(A) is None  # the unanswered one is still held back
    # a broadcast's sequence always waits the long quarantine (late replies from anyone)
    zero_seq = seqs.allocate(ZERO)
    assert zero_seq is not None
    seqs.release(ZERO, zero_seq, answered=True)
    assert (seqs.free_in(ZERO) or 0) > 1


def test_broadcasts_and_unicasts_do_not_share_a_sequence() -> None:
    """Device A answers a broadcast with (source, sequence, A): no request to A may hold it."""
    seqs = SequenceAllocator(answered_quarantine=0, unanswered_quarantine=60)
    first_to_a = seqs.allocate(A)
    broadcast = seqs.allocate(ZERO)
    assert broadcast is not None and broadcast != first_to_a
    seqs.release(ZERO, broadcast)  # quarantined: late answers to it may still come
    others = [seqs.allocate(A) for _ in range(254)]
    assert None not in others and broadcast not in others
    assert seqs.allocate(A) == broadcast  # only once nothing else is free
    assert seqs.allocate(B) not in {None, broadcast}


# -- retry schedule --------------------------------------------------------------------------


def test_default_retry_schedule_gives_sixteen_transmissions_in_ten_seconds() -> None:
    offsets = RetrySchedule().offsets()
    within = []
    for t in offsets:
        if t >= 10:
            break
        within.append(round(t, 6))
    assert within[:8] == [0, 0.2, 0.4, 0.5, 0.6, 0.8, 1.0, 1.2]
    assert within[8:] == [2.2, 3.2, 4.2, 5.2, 6.2, 7.2, 8.2, 9.2]
    assert len(within) == 16


@pytest.mark.parametrize(
    ("schedule", "interval"),
    [((), 1.0), ((0.1, 0.2), 1.0), ((0, 0.5, 0.2), 1.0), ((0,), 0), (("x",), 1.0)],
)
def test_bad_retry_schedules_are_refused(schedule: tuple[object, ...], interval: float) -> None:
    with pytest.raises(InvalidScript):
        RetrySchedule.build(schedule, interval)  # type: ignore[arg-type]


# -- addresses ---------------------------------------------------------------------------------


def test_addresses_accept_pairs_and_host_port_strings() -> None:
    assert parse_address("127.0.0.1") == ("127.0.0.1", 56700)
    assert parse_address("127.0.0.1:4000") == ("127.0.0.1", 4000)
    assert parse_address(("127.0.0.1", 4001)) == ("127.0.0.1", 4001)
    assert parse_addresses(("127.0.0.1", 1)) == (("127.0.0.1", 1),)
    assert parse_addresses(["127.0.0.1:1", ("127.0.0.1", 2), "127.0.0.1:1"]) == (
        ("127.0.0.1", 1),
        ("127.0.0.1", 2),
    )
    for bad in ("127.0.0.1:x", "127.0.0.1:70000", ("127.0.0.1", "1"), "", 5, []):
        with pytest.raises(InvalidScript):
            parse_addresses(bad)


# -- matching ------------------------------------------------------------------------------------


def _matcher() -> tuple[Matcher, dict[str, int]]:
    stats = new_stats()
    return Matcher(stats), stats


def test_reply_matches_by_source_sequence_and_target() -> None:
    matcher, stats = _matcher()
    request = DeviceMessages.GetPower()
    waiter = Waiter(request, RES, unbounded=False)
    matcher.register((42, 5, A), waiter)
    # another target with the same source and sequence is not a match
    matcher.feed(DeviceMessages.StatePower(level=1).pack_for(B, 42, 5), ADDR)
    # nor another source
    matcher.feed(DeviceMessages.StatePower(level=1).pack_for(A, 43, 5), ADDR)
    assert stats["unmatched"] == 2 and not waiter.replies
    matcher.feed(DeviceMessages.StatePower(level=65535).pack_for(A, 42, 5), ADDR)
    assert waiter.done and waiter.replies[0][0].level == 65535
    # the same reply again (a retransmission's answer): late, dropped
    matcher.feed(DeviceMessages.StatePower(level=65535).pack_for(A, 42, 5), ADDR)
    matcher.release((42, 5, A))
    matcher.feed(DeviceMessages.StatePower(level=65535).pack_for(A, 42, 5), ADDR)
    assert stats["late"] == 2
    assert stats["matched"] == 1


def test_broadcast_replies_match_the_zero_target() -> None:
    matcher, stats = _matcher()
    request = DeviceMessages.GetLabel()
    waiter = Waiter(request, RES, unbounded=True)
    matcher.register((9, 1, ZERO), waiter)
    matcher.feed(DeviceMessages.StateLabel(label="a").pack_for(A, 9, 1), ADDR)
    matcher.feed(DeviceMessages.StateLabel(label="b").pack_for(B, 9, 1), ADDR)
    matcher.feed(DeviceMessages.StateLabel(label="b").pack_for(B, 9, 1), ADDR)  # duplicate
    assert [p.label for p, _ in waiter.replies] == ["a", "b"]
    assert stats["duplicates"] == 1
    assert not waiter.done  # unbounded: a quiet gap ends it


def test_a_reply_of_a_type_the_request_cannot_produce_is_not_a_match() -> None:
    matcher, stats = _matcher()
    waiter = Waiter(DeviceMessages.GetPower(), RES, unbounded=False)
    matcher.register((1, 2, A), waiter)
    matcher.feed(DeviceMessages.StateLabel(label="x").pack_for(A, 1, 2), ADDR)
    matcher.feed(LightMessages.StateInfrared(brightness=3).pack_for(A, 1, 2), ADDR)
    assert stats["unmatched"] == 2 and not waiter.done
    matcher.feed(CoreMessages.Acknowledgement().pack_for(A, 1, 2), ADDR)
    assert waiter.acked and not waiter.done and stats["acks"] == 1


def test_bad_packets_are_counted_and_dropped() -> None:
    matcher, stats = _matcher()
    waiter = Waiter(DeviceMessages.GetPower(), RES, unbounded=False)
    matcher.register((1, 2, A), waiter)
    good = DeviceMessages.StatePower(level=1).pack_for(A, 1, 2)
    for bad in (b"", b"\x00" * 10, good[:-1], good + b"\x00", b"\xff" * len(good)):
        matcher.feed(bad, ADDR)
    # a header that says StatePower with a payload of the wrong size (and a matching size field)
    wrong = bytearray(DeviceMessages.StateLabel(label="x").pack_for(A, 1, 2))
    wrong[32:34] = (22).to_bytes(2, "little")
    matcher.feed(bytes(wrong), ADDR)
    assert stats["unparsable"] == 6
    # source 0 and sequence 0 is never a reply
    matcher.feed(DeviceMessages.StatePower(level=1).pack_for(A, 0, 0), ADDR)
    assert stats["unmatched"] == 1
    assert not waiter.replies


def test_state_unhandled_finishes_as_unsupported() -> None:
    matcher, _ = _matcher()
    waiter = Waiter(MultiZoneMessages.GetColorZones(), RES, unbounded=False)
    matcher.register((1, 2, A), waiter)
    matcher.feed(CoreMessages.StateUnhandled(unhandled_type=502).pack_for(A, 1, 2), ADDR)
    assert waiter.done and waiter.unsupported is not None and not waiter.replies


def test_state_unhandled_about_another_message_is_not_this_requests_answer() -> None:
    """A late StateUnhandled for an earlier use of the sequence (another message type) is
    counted as unmatched; the request still takes its real reply."""
    matcher, stats = _matcher()
    waiter = Waiter(MultiZoneMessages.GetColorZones(), RES, unbounded=False)
    matcher.register((1, 2, A), waiter)
    matcher.feed(CoreMessages.StateUnhandled(unhandled_type=117).pack_for(A, 1, 2), ADDR)
    assert not waiter.done and waiter.unsupported is None
    assert stats["unmatched"] == 1
    zones = MultiZoneMessages.StateZone(
        zones_count=1, zone_index=0, hue=0, saturation=0, brightness=0, kelvin=3500
    )
    matcher.feed(zones.pack_for(A, 1, 2), ADDR)
    assert waiter.replies and waiter.unsupported is None


def test_multizone_replies_count_and_duplicates_by_zone_index() -> None:
    matcher, stats = _matcher()
    waiter = Waiter(MultiZoneMessages.GetColorZones(start_index=0, end_index=255), RES, False)
    matcher.register((1, 2, A), waiter)
    matcher.register((1, 3, A), waiter)  # a retransmission

    def state(index: int, seq: int) -> bytes:
        return MultiZoneMessages.StateMultiZone(zones_count=16, zone_index=index).pack_for(
            A, 1, seq
        )

    matcher.feed(state(0, 2), ADDR)
    matcher.feed(state(0, 3), ADDR)  # the same zones, answering the retransmission
    assert not waiter.done and stats["duplicates"] == 1
    matcher.feed(state(8, 3), ADDR)
    assert waiter.done and waiter.expected == 2


@pytest.mark.parametrize(("zones", "expected"), [(16, 1), (82, 1), (83, 2), (164, 2), (165, 3)])
def test_extended_zone_reply_count(zones: int, expected: int) -> None:
    waiter = Waiter(MultiZoneMessages.GetExtendedColorZones(), RES, unbounded=False)
    reply = MultiZoneMessages.StateExtendedColorZones(zones_count=zones, zone_index=0)
    matcher, _ = _matcher()
    matcher.register((1, 1, A), waiter)
    matcher.feed(reply.pack_for(A, 1, 1), ADDR)
    assert waiter.expected == expected


def test_ack_only_finishes_at_the_first_ack() -> None:
    matcher, stats = _matcher()
    waiter = Waiter(DeviceMessages.SetPower(level=0, res_required=False), ACK_ONLY, False)
    matcher.register((1, 2, A), waiter)
    matcher.feed(DeviceMessages.StatePower(level=0).pack_for(A, 1, 2), ADDR)
    assert not waiter.done
    matcher.feed(CoreMessages.Acknowledgement().pack_for(A, 1, 2), ADDR)
    assert waiter.done and waiter.replies[0][0] | CoreMessages.Acknowledgement


# -- rate cap -----------------------------------------------------------------------------------


async def test_rate_cap_spaces_sends_to_one_device_only() -> None:
    limiter = RateLimiter(20)
    stamps: dict[str, list[float]] = {"a": [], "b": []}
    order: list[str] = []

    async def send(key: str) -> None:
        await limiter.wait(key)
        stamps[key].append(time.monotonic())
        order.append(key)

    await asyncio.gather(*(send("a") for _ in range(5)), *(send("b") for _ in range(2)))
    # Each send waits for its own slot, 1/20 s after the previous one's. Measured from the
    # first send (which does not wait), so a late wake-up on a loaded machine cannot fail it.
    start = stamps["a"][0]
    assert all(stamp - start >= k * 0.05 - 0.002 for k, stamp in enumerate(stamps["a"]))
    assert stamps["b"][1] - stamps["b"][0] >= 0.05 - 0.002
    # another device is not held up: b's first send goes before a's second
    assert order[:2] == ["a", "b"] and order.count("a") == 5


# -- one timer for every request's sleep --------------------------------------------------------


async def test_alarms_wake_sleeps_in_time_order_and_leave_no_timer() -> None:
    loop = asyncio.get_running_loop()
    alarms = Alarms()
    woken: list[str] = []
    now = time.monotonic()

    async def sleep(name: str, delay: float) -> None:
        future: asyncio.Future[None] = loop.create_future()
        alarms.wake_at(loop, now + delay, future)
        try:
            await future
            assert time.monotonic() >= now + delay
            woken.append(name)
        finally:
            alarms.leave()

    late = asyncio.create_task(sleep("late", 0.06))
    ended_early = asyncio.create_task(sleep("ended early", 0.03))
    await asyncio.sleep(0)
    ended_early.cancel()  # a request that finished before its next transmission
    await asyncio.gather(late, sleep("first", 0.02), sleep("tie a", 0.04), sleep("tie b", 0.04))
    assert woken == ["first", "tie a", "tie b", "late"]
    # no sleep left: no timer is left behind to fire for nothing
    assert alarms._handle is None and not alarms._heap

    blocked = asyncio.create_task(sleep("never", 60))
    await asyncio.sleep(0)
    blocked.cancel()
    with pytest.raises(asyncio.CancelledError):
        await blocked
    assert alarms._handle is None and not alarms._heap


# -- errors ----------------------------------------------------------------------------------------


def test_errors_name_serial_message_and_type_and_survive_pickling() -> None:
    timed_out = TimedOut("d073d5000001", 20, 99, 7, [1], name="GetPower", timeout=2)
    assert "d073d5000001" in str(timed_out) and "GetPower(20)" in str(timed_out)
    assert "source=99" in str(timed_out) and "sequence=7" in str(timed_out)
    assert (timed_out.serial, timed_out.pkt_type, timed_out.partial) == ("d073d5000001", 20, [1])
    unsupported = Unsupported("d073d5000002", 502, name="GetColorZones")
    assert "d073d5000002" in str(unsupported) and "GetColorZones(502)" in str(unsupported)
    missing = DeviceNotFound("d073d5000003", pkt_type=20, name="GetPower")
    assert missing.serial == "d073d5000003" and "GetPower(20)" in str(missing)
    several = MultipleErrors([timed_out, unsupported])
    failed = RunFailed(["result"], [missing])
    assert several.errors == [timed_out, unsupported] and several.serial is None
    assert failed.results == ["result"] and failed.serial == "d073d5000003"
    for error in (timed_out, unsupported, missing, several, failed, SessionClosed()):
        assert isinstance(error, ScriptError)
        copy = pickle.loads(pickle.dumps(error))
        assert type(copy) is type(error) and str(copy) == str(error)
        assert copy.serial == error.serial
