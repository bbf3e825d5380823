"""Sessions (one socket, closing, stats, cache) and every run option."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from custom_components.lifx_script.engine import (
    DeviceMessages,
    DeviceNotFound,
    LanTarget,
    MultipleErrors,
    MultiZoneMessages,
    RunFailed,
    ScriptError,
    SessionClosed,
    TimedOut,
    Unsupported,
)
from custom_components.lifx_script.engine.script import run as run_module
from tests.engine.conftest import hard_coded_target, serials_of
from tests.support.fleet import Fleet

Addr = tuple[str, int]
GHOST = "d073d5ffffff"


# -- sessions ---------------------------------------------------------------------------------


async def test_a_session_shares_one_socket_and_closes_it(fleet: Fleet) -> None:
    target = hard_coded_target(fleet)
    async with target.session() as sender:
        endpoint = sender.link.endpoint
        assert endpoint is not None
        port = endpoint.local_address[1]
        await sender(DeviceMessages.GetPower(), fleet.serials[:2])
        async for _ in sender(DeviceMessages.GetLabel(), fleet.serials[2]):
            pass
        assert sender.link.endpoint is endpoint and endpoint.local_address[1] == port
        assert sender.stats["sent"] == 3
    assert sender.closed and sender.link.endpoint is None
    with pytest.raises(SessionClosed):
        sender(DeviceMessages.GetPower(), fleet.serials[0])


async def test_stats_count_everything(fleet: Fleet) -> None:
    target = hard_coded_target(fleet)
    async with target.session() as sender:
        await sender([DeviceMessages.GetPower(), DeviceMessages.GetLabel()], fleet.serials[:3])
        stats = sender.stats
    assert set(stats) == {
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
        "replies_from_wrong_address",
        "unconfirmed_devices",
        "replies_over_limit",
    }
    assert stats["sent"] == 6 and stats["replies"] == 6 and stats["acks"] == 6
    assert stats["matched"] == 12 and stats["timeouts"] == 0


async def test_closing_the_session_ends_running_sends_with_session_closed(
    fleet: Fleet, silent_addr: Addr
) -> None:
    target = hard_coded_target(fleet)
    async with asyncio.timeout(10):
        async with target.session() as sender:
            sender.add_device(GHOST, silent_addr)
            streamed: list[object] = []

            async def stream() -> None:
                async for result in sender(
                    [DeviceMessages.GetPower()], [GHOST, fleet.serials[0]], message_timeout=60
                ):
                    streamed.append(result)

            running = [
                asyncio.create_task(stream()),
                asyncio.create_task(sender(DeviceMessages.GetLabel(), GHOST, message_timeout=60)),  # type: ignore[arg-type]
            ]
            await asyncio.sleep(0.3)
            assert not any(task.done() for task in running)
        for task in running:
            with pytest.raises(SessionClosed):
                await task
        assert len(streamed) == 1  # the answering device's result came through first
        assert not sender.runs


async def test_leaving_a_stream_early_stops_the_run(fleet: Fleet, silent_addr: Addr) -> None:
    target = hard_coded_target(fleet)
    async with target.session() as sender:
        sender.add_device(GHOST, silent_addr)
        stream = sender(DeviceMessages.GetPower(), [fleet.serials[0], GHOST], message_timeout=60)
        async for _ in stream:
            break
        await asyncio.sleep(0.05)  # the abandoned generator is closed by the loop
        assert not sender.runs


async def test_add_device_and_forget(fleet: Fleet) -> None:
    target = LanTarget(broadcast=[("127.0.0.1", 9)])
    device = fleet.devices[0]
    async with target.session() as sender:
        sender.add_device(device.serial.upper(), f"{device.ip}:{device.port}")
        assert sender.found == {device.serial: device.addr}
        results = await sender(DeviceMessages.GetPower(), device.serial)
        assert len(results) == 1
        sender.forget(device.serial)
        assert sender.found == {}
        with pytest.raises(ScriptError):
            sender.add_device("nope", device.addr)


async def test_many_requests_to_one_device_match_across_sequence_wrap(fleet: Fleet) -> None:
    """300 echoes one after another, then 300 at once, to one device: each gets its own echo."""
    target = hard_coded_target(fleet)
    serial = serials_of(fleet, "color")[2]

    def echo(i: int) -> DeviceMessages.EchoRequest:  # type: ignore[name-defined]
        return DeviceMessages.EchoRequest(echoing=i.to_bytes(2, "little") * 32)

    async with target.session() as sender:
        for i in range(300):
            (result,) = await sender(echo(i), serial)
            assert result.pkt.echoing == result.original.echoing
        results = await sender([echo(i) for i in range(300)], serial, limit=None)
        assert len(results) == 300
        assert all(r.pkt.echoing == r.original.echoing for r in results)
        assert len({r.pkt.echoing for r in results}) == 300
        assert sender.stats["timeouts"] == 0


# -- options --------------------------------------------------------------------------------------


async def test_message_timeout_and_partial_replies(fleet: Fleet, silent_addr: Addr) -> None:
    target = hard_coded_target(fleet)
    async with target.session() as sender:
        sender.add_device(GHOST, silent_addr)
        start = time.monotonic()
        with pytest.raises(TimedOut) as raised:
            async for _ in sender(DeviceMessages.GetPower(), GHOST, message_timeout=0.7):
                pass
        assert time.monotonic() - start >= 0.7
        error = raised.value
        assert (error.serial, error.pkt_type, error.source) == (GHOST, 20, sender.source)
        assert "GetPower(20)" in str(error)
        # the transmissions: 0, 0.2, 0.4, 0.5, 0.6
        assert sender.stats["sent"] == 5 and sender.stats["timeouts"] == 1


async def test_no_retry_sends_once(fleet: Fleet, silent_addr: Addr) -> None:
    target = hard_coded_target(fleet)
    async with target.session() as sender:
        sender.add_device(GHOST, silent_addr)
        errors: list[BaseException] = []
        await sender(
            DeviceMessages.GetPower(),
            GHOST,
            message_timeout=0.7,
            no_retry=True,
            error_catcher=errors,
        )
        assert [type(e) for e in errors] == [TimedOut]
        assert sender.stats["sent"] == 1


async def test_error_catcher_list_callable_and_none(fleet: Fleet) -> None:
    target = hard_coded_target(fleet)
    bulb, strip = serials_of(fleet, "color")[0], serials_of(fleet, "multizone")[0]
    msg = MultiZoneMessages.GetColorZones(start_index=0, end_index=7)
    script = target.script(msg)
    # a list: errors appended, results returned
    errors: list[BaseException] = []
    results = await script.run_with_all([bulb, strip], error_catcher=errors)
    assert [r.pkt.serial for r in results] == [strip]
    assert [(type(e), e.serial) for e in errors] == [(Unsupported, bulb)]
    # a callable: called with each error
    called: list[BaseException] = []
    await script.run_with_all([bulb, strip], error_catcher=called.append)
    assert [type(e) for e in called] == [Unsupported]
    # None, awaiting: the results and the errors together
    with pytest.raises(RunFailed) as failed:
        await script.run_with_all([bulb, strip])
    assert [r.pkt.serial for r in failed.value.results] == [strip]
    assert [type(e) for e in failed.value.errors] == [Unsupported]
    # None, streaming: results first, then one error as itself ...
    streamed = []
    with pytest.raises(Unsupported):
        async for result in script.run_with([bulb, strip]):
            streamed.append(result)
    assert [r.pkt.serial for r in streamed] == [strip]
    # ... or several together
    bulbs = serials_of(fleet, "color")
    with pytest.raises(MultipleErrors) as several:
        async for _ in script.run_with(bulbs):
            pass
    assert sorted(e.serial for e in several.value.errors) == sorted(bulbs)


async def test_find_timeout_and_device_not_found_per_message(fleet: Fleet) -> None:
    target = LanTarget(broadcast=[d.addr for d in fleet.devices])
    fleet.reset()
    msgs = [DeviceMessages.GetPower(), DeviceMessages.GetLabel()]
    errors: list[BaseException] = []
    start = time.monotonic()
    async with target.session() as sender:
        results = await sender(
            msgs, [GHOST, fleet.serials[0]], find_timeout=0.7, error_catcher=errors
        )
    assert time.monotonic() - start >= 0.7
    assert sorted(r.pkt.pkt_type for r in results) == [22, 25]
    assert sorted((type(e).__name__, e.serial, e.pkt_type) for e in errors) == [
        ("DeviceNotFound", GHOST, 20),
        ("DeviceNotFound", GHOST, 23),
    ]
    # only discovery and the two messages to the found device went out
    per_device = fleet.stats()["stats"]
    assert per_device[fleet.serials[0]]["received"] >= 3
    assert sum(d["received"] for d in per_device.values()) >= len(fleet.devices)


async def test_require_all_devices_sends_nothing_when_one_is_missing(fleet: Fleet) -> None:
    target = hard_coded_target(fleet)
    fleet.reset()
    errors: list[BaseException] = []
    results = await target.script(DeviceMessages.GetPower()).run_with_all(
        [fleet.serials[0], GHOST], require_all_devices=True, error_catcher=errors
    )
    assert results == [] and [(type(e), e.serial) for e in errors] == [(DeviceNotFound, GHOST)]
    assert fleet.received() == 0


async def test_accept_found_uses_the_cache_without_discovery(fleet: Fleet) -> None:
    target = LanTarget(broadcast=[d.addr for d in fleet.devices])
    device = fleet.devices[0]
    async with target.session() as sender:
        sender.add_device(device.serial, device.addr)
        errors: list[BaseException] = []
        results = await sender(
            DeviceMessages.GetPower(),
            [device.serial, GHOST],
            accept_found=True,
            error_catcher=errors,
        )
        assert [r.pkt.serial for r in results] == [device.serial]
        assert [type(e) for e in errors] == [DeviceNotFound]
        assert sender.stats["sent"] == 1  # no discovery
        # every device "found" means the cache as it is
        results = await sender(DeviceMessages.GetPower(), None, accept_found=True)
        assert [r.pkt.serial for r in results] == [device.serial]


async def test_broadcast_to_every_device(fleet: Fleet) -> None:
    target = LanTarget(broadcast=[d.addr for d in fleet.devices])
    async with target.session() as sender:
        results = await sender(DeviceMessages.GetLabel(), None, broadcast=True)
        assert sorted(r.pkt.serial for r in results) == sorted(fleet.serials)
        assert sender.found == {}  # no discovery was needed
        # a specific serial broadcast: only that device takes it
        one = fleet.devices[3]
        results = await sender(
            DeviceMessages.GetLabel(), one.serial, broadcast=[d.addr for d in fleet.devices[:5]]
        )
        assert [(r.pkt.serial, r.addr) for r in results] == [(one.serial, one.addr)]


async def test_a_broadcast_and_a_unicast_in_flight_together(fleet: Fleet) -> None:
    """Each device answers the broadcast, although a unicast to one of them is in flight."""
    a, b = fleet.devices[:2]
    target = LanTarget(broadcast=[("127.0.0.1", 9)], hard_coded=fleet.hard_coded)
    async with target.session() as sender:
        for _ in range(3):
            everyone = sender(DeviceMessages.GetPower(), None, broadcast=[a.addr, b.addr])
            one = sender(DeviceMessages.GetLabel(), a.serial)
            broadcast_results, unicast_results = await asyncio.gather(everyone, one)
            assert sorted(r.pkt.serial for r in broadcast_results) == sorted([a.serial, b.serial])
            assert [r.pkt.name for r in unicast_results] == ["StateLabel"]
        assert sender.stats["unmatched"] == 0


class _Counting:
    """A limit that records how many holders it has at once."""

    def __init__(self, n: int) -> None:
        self.semaphore = asyncio.Semaphore(n)
        self.holding = 0
        self.most = 0

    async def acquire(self) -> bool:
        await self.semaphore.acquire()
        self.holding += 1
        self.most = max(self.most, self.holding)
        return True

    def release(self) -> None:
        self.holding -= 1
        self.semaphore.release()


@pytest.mark.parametrize(("limit", "most"), [(1, 1), (3, 3), (None, 11)])
async def test_limit_int_or_none(fleet: Fleet, limit: int | None, most: int) -> None:
    target = hard_coded_target(fleet)
    counter = _Counting(1000)
    await target.script(DeviceMessages.GetPower()).run_with_all(
        fleet.serials, limit=(limit, counter)
    )
    assert counter.most == most


async def test_an_int_limit_keeps_that_many_in_flight_in_serial_order(fleet: Fleet) -> None:
    # one message to more devices than the limit: sent in lanes (see Run.lanes), which must
    # keep exactly as many requests going, in the order of the serials, as a task each would
    target = hard_coded_target(fleet)
    order: list[str] = []
    in_flight = most = 0
    async with target.session() as sender:
        link = sender.link
        request = link.request

        async def observed(msg: Any, dest: bytes, addrs: Any, **options: Any) -> Any:
            nonlocal in_flight, most
            order.append(dest[:6].hex())
            in_flight += 1
            most = max(most, in_flight)
            try:
                return await request(msg, dest, addrs, **options)
            finally:
                in_flight -= 1

        link.request = observed  # type: ignore[method-assign]
        serials = fleet.serials
        results = await sender(DeviceMessages.GetPower(), serials, limit=3)
    assert order == serials
    assert most == 3
    assert sorted(r.serial for r in results) == sorted(serials)


async def test_a_shared_limit_runs_a_message_list_in_lanes(
    fleet: Fleet, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Home Assistant's calls run under the hub's shared semaphore: 500 messages to 4 devices
    # made 2000 tasks (and their frames and futures) for 30 in flight. Now the sends of a
    # list of messages share lanes: few tasks, the shared limit kept, the order of the sends
    # (message by message, each to every serial) as a task each would start them.
    monkeypatch.setattr(run_module, "SHARED_LANES", 6)
    target = hard_coded_target(fleet)
    serials = fleet.serials[:4]
    messages = [DeviceMessages.EchoRequest(echoing=bytes([i]) * 8) for i in range(25)]
    shared = _Counting(3)
    order: list[tuple[int, str]] = []
    most_tasks = 0
    async with target.session() as sender:
        link = sender.link
        request = link.request

        async def observed(msg: Any, dest: bytes, addrs: Any, **options: Any) -> Any:
            nonlocal most_tasks
            order.append((msg.echoing[0], dest[:6].hex()))
            most_tasks = max(most_tasks, len(asyncio.all_tasks()))
            return await request(msg, dest, addrs, **options)

        link.request = observed  # type: ignore[method-assign]
        results = await sender(messages, serials, limit=shared)
    assert len(results) == 100
    assert shared.most == 3
    assert order == [(i, serial) for i in range(25) for serial in serials]
    # the 6 lanes, the run's own task, the test's; a task each would be over 100
    assert most_tasks <= 6 + 4


def test_lane_width_from_the_limits() -> None:
    lane_width = run_module.lane_width
    shared = asyncio.Semaphore(30)
    roomy = asyncio.Semaphore(1000)
    assert lane_width(()) is None
    assert lane_width((None,)) is None
    assert lane_width((5,)) == 5
    assert lane_width((5, 3)) == 3
    assert lane_width((shared,)) == run_module.SHARED_LANES
    assert lane_width((shared, 10)) == 10
    assert lane_width((roomy,)) == 1000  # its free slots, when more than SHARED_LANES


async def test_an_int_limit_is_a_new_semaphore_per_run(fleet: Fleet) -> None:
    target = hard_coded_target(fleet, default_limit=2)
    counters = [_Counting(1000), _Counting(1000)]
    script = target.script(DeviceMessages.GetPower())
    await asyncio.gather(*(script.run_with_all(fleet.serials, limit=(2, c)) for c in counters))
    assert [c.most for c in counters] == [2, 2]
    both = _Counting(1000)
    await asyncio.gather(
        script.run_with_all(fleet.serials, limit=(2, both)),
        script.run_with_all(fleet.serials, limit=(2, both)),
    )
    assert both.most == 4  # two runs, two semaphores of 2


async def test_limits_are_acquired_in_order_and_all_held(fleet: Fleet) -> None:
    target = hard_coded_target(fleet)
    shared = asyncio.Semaphore(2)
    order: list[str] = []

    class Named(_Counting):
        def __init__(self, name: str) -> None:
            super().__init__(1000)
            self.name = name

        async def acquire(self) -> bool:
            order.append(self.name)
            return await super().acquire()

    first, second = Named("first"), Named("second")
    await target.script(DeviceMessages.GetPower()).run_with_all(
        fleet.serials[:1], limit=[first, shared, second]
    )
    assert order == ["first", "second"]
    assert first.holding == second.holding == 0 and shared._value == 2
