"""Pipeline, Repeater and FromGenerator against emulated bulbs."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncGenerator
from typing import Any

import pytest

from custom_components.lifx_script.engine import (
    DeviceMessages,
    FoundSerials,
    FromGenerator,
    InvalidScript,
    LanTarget,
    MultiZoneMessages,
    Pipeline,
    Repeater,
    Result,
    Unsupported,
)
from tests.engine.conftest import hard_coded_target, serials_of
from tests.support.fault_proxy import FaultProxy, Faults
from tests.support.fleet import Fleet


def by_serial(results: list[Result]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for result in results:
        out.setdefault(result.pkt.serial, []).append(type(result.pkt).name)
    return out


async def test_pipeline_runs_children_in_order_per_serial(fleet: Fleet) -> None:
    target = hard_coded_target(fleet)
    bulbs = serials_of(fleet, "color")[:2]
    pipeline = Pipeline(
        DeviceMessages.SetPower(level=0, res_required=False),
        DeviceMessages.GetPower(),
        DeviceMessages.SetPower(level=65535, res_required=False),
        DeviceMessages.GetPower(),
    )
    results = await target.script(pipeline).run_with_all(bulbs)
    for serial in bulbs:
        mine = [r for r in results if r.pkt.serial == serial]
        names = [type(r.pkt).name for r in mine]
        assert names == ["Acknowledgement", "StatePower", "Acknowledgement", "StatePower"]
        assert [r.pkt.level for r in mine if r.pkt | DeviceMessages.StatePower] == [0, 65535]


async def test_pipeline_children_may_be_lists_and_pipelines(fleet: Fleet) -> None:
    target = hard_coded_target(fleet)
    bulb = serials_of(fleet, "color")[0]
    pipeline = Pipeline(
        [DeviceMessages.GetLabel(), DeviceMessages.GetVersion()],
        Pipeline(DeviceMessages.GetPower(), DeviceMessages.GetGroup()),
    )
    names = by_serial(await target.script(pipeline).run_with_all(bulb))[bulb]
    assert sorted(names[:2]) == ["StateLabel", "StateVersion"]
    assert names[2:] == ["StatePower", "StateGroup"]


async def test_spread_keeps_sends_apart(fleet: Fleet) -> None:
    device = fleet.devices[0]
    async with FaultProxy([(device.serial, device.addr)], seed=2) as proxy:
        target = LanTarget(broadcast=[("127.0.0.1", 9)], hard_coded=proxy.hard_coded)
        pipeline = Pipeline(*(DeviceMessages.GetPower() for _ in range(3)), spread=0.25)
        await target.script(pipeline).run_with_all(device.serial)
        times = [t for t, *_ in proxy.log.requests_to(bytes.fromhex(device.serial) + b"\0\0")]
    assert len(times) == 3
    # each send waits `spread` after the previous one left; measured at the proxy, which may
    # stamp the first packet late on a loaded machine (0.1 s of slack). Unspread, all three
    # would arrive within milliseconds.
    assert all(t - times[0] >= k * 0.25 - 0.1 for k, t in enumerate(times))


async def test_short_circuit_stops_only_the_failed_serial(fleet: Fleet) -> None:
    target = hard_coded_target(fleet)
    bulb, strip = serials_of(fleet, "color")[0], serials_of(fleet, "multizone")[0]
    children = (
        MultiZoneMessages.GetColorZones(start_index=0, end_index=7),
        DeviceMessages.GetPower(),
    )
    for short_circuit, bulb_names in ((True, None), (False, ["StatePower"])):
        errors: list[BaseException] = []
        results = await target.script(
            Pipeline(*children, short_circuit_on_error=short_circuit)
        ).run_with_all([bulb, strip], error_catcher=errors)
        got = by_serial(results)
        assert got[strip] == ["StateMultiZone", "StatePower"]
        assert got.get(bulb) == bulb_names
        assert [(type(e), e.serial) for e in errors] == [(Unsupported, bulb)]


@pytest.mark.parametrize("synchronized", [True, False])
async def test_synchronized_moves_serials_in_lockstep(fleet: Fleet, synchronized: bool) -> None:
    fast, slow = fleet.devices[0], fleet.devices[1]
    async with FaultProxy(
        [(slow.serial, slow.addr)], seed=3, to_client=Faults(delay=0.12)
    ) as proxy:
        hard_coded = {fast.serial: fast.addr, **proxy.hard_coded}
        target = LanTarget(broadcast=[("127.0.0.1", 9)], hard_coded=hard_coded)
        pipeline = Pipeline(
            DeviceMessages.GetPower(), DeviceMessages.GetLabel(), synchronized=synchronized
        )
        order = [
            (pkt.serial, type(pkt).name)
            async for pkt, _, _ in target.script(pipeline).run_with([fast.serial, slow.serial])
        ]
    if synchronized:  # the fast bulb's second message waits for the slow bulb's first
        assert order.index((fast.serial, "StateLabel")) > order.index((slow.serial, "StatePower"))
    else:
        assert order.index((fast.serial, "StateLabel")) < order.index((slow.serial, "StatePower"))


async def test_repeater_loops_until_stop(fleet: Fleet) -> None:
    target = hard_coded_target(fleet)
    loops = 0

    async def on_done_loop() -> None:
        nonlocal loops
        loops += 1
        if loops == 3:
            raise Repeater.Stop()

    repeater = Repeater(DeviceMessages.GetPower(), min_loop_time=0.2, on_done_loop=on_done_loop)
    start = time.monotonic()
    results = await target.script(repeater).run_with_all(fleet.serials[:2])
    assert time.monotonic() - start >= 0.4  # two waits of min_loop_time between three loops
    assert loops == 3 and len(results) == 6


async def test_repeater_paces_from_planned_starts(
    fleet: Fleet, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every wake-up 10 ms late: loop k still starts near k x min_loop_time, not k x 110 ms.

    The Repeater's clock and sleep are replaced by a clock that every sleep moves on by what
    was asked plus 10 ms, so the check counts loops, not seconds.
    """
    from custom_components.lifx_script.engine.script import combinators

    clock = [1000.0]
    starts: list[float] = []

    class Clock:
        @staticmethod
        def monotonic() -> float:
            return clock[0]

    class LateSleep:
        @staticmethod
        async def sleep(delay: float) -> None:
            clock[0] += max(delay, 0) + (0.01 if delay > 0 else 0)
            await asyncio.sleep(0)

    monkeypatch.setattr(combinators, "time", Clock)
    monkeypatch.setattr(combinators, "asyncio", LateSleep)

    def on_done_loop() -> None:
        starts.append(clock[0])
        if len(starts) == 10:
            raise Repeater.Stop()

    target = hard_coded_target(fleet)
    repeater = Repeater(DeviceMessages.GetPower(), min_loop_time=0.1, on_done_loop=on_done_loop)
    await target.script(repeater).run_with_all(fleet.serials[:1])
    # loop k ends (on_done_loop) at about 1000 + k * 0.1 + 0.01: the lateness never adds up
    assert [round(at - 1000, 3) for at in starts] == [0.0] + [
        round(k * 0.1 + 0.01, 3) for k in range(1, 10)
    ]


async def test_repeater_reports_on_done_loop_errors_and_goes_on(fleet: Fleet) -> None:
    target = hard_coded_target(fleet)
    calls = 0

    def on_done_loop() -> None:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise ValueError("first loop")
        raise Repeater.Stop()

    errors: list[BaseException] = []
    repeater = Repeater(DeviceMessages.GetPower(), min_loop_time=0, on_done_loop=on_done_loop)
    results = await target.script(repeater).run_with_all(fleet.serials[0], error_catcher=errors)
    assert len(results) == 2 and [str(e) for e in errors] == ["first loop"]


async def test_repeater_looks_for_every_device_again_each_loop(fleet: Fleet) -> None:
    target = hard_coded_target(fleet)
    finds = 0

    class Counting(FoundSerials):
        async def find(self, run: Any) -> list[str]:
            nonlocal finds
            finds += 1
            return (await super().find(run))[:2]

    loops = 0

    def stop_after_two() -> None:
        nonlocal loops
        loops += 1
        if loops == 2:
            raise Repeater.Stop()

    repeater = Repeater(DeviceMessages.GetPower(), min_loop_time=0, on_done_loop=stop_after_two)
    results = await target.script(repeater).run_with_all(Counting())
    assert finds == 2 and len(results) == 4


async def test_from_generator_futures_say_whether_sends_succeeded(fleet: Fleet) -> None:
    target = hard_coded_target(fleet)
    bulb, strip = serials_of(fleet, "color")[0], serials_of(fleet, "multizone")[0]
    outcomes: list[bool] = []

    async def gen(reference: Any, sender: Any, **kwargs: Any) -> AsyncGenerator[Any, Any]:
        assert reference == [bulb, strip]
        assert kwargs["message_timeout"] == 3
        ok = yield DeviceMessages.GetPower()
        outcomes.append(await ok)
        ok = yield MultiZoneMessages.GetColorZones(start_index=0, end_index=7)
        outcomes.append(await ok)  # the bulb answers StateUnhandled
        yield ValueError("reported, not raised")
        ok = yield DeviceMessages.GetLabel(target=strip)  # its own target
        outcomes.append(await ok)
        # the sender works inside the generator too, with the run's options
        extra = await sender(DeviceMessages.GetVersion(), strip, **kwargs)
        assert len(extra) == 1

    errors: list[BaseException] = []
    results = await target.script(FromGenerator(gen)).run_with_all(
        [bulb, strip], error_catcher=errors, message_timeout=3
    )
    assert outcomes == [True, False, True]
    got = by_serial(results)
    assert got[bulb] == ["StatePower"]
    assert sorted(got[strip]) == ["StateLabel", "StateMultiZone", "StatePower"]
    assert sorted(type(e).__name__ for e in errors) == ["Unsupported", "ValueError"]


async def test_from_generator_reference_override_and_a_failing_generator(fleet: Fleet) -> None:
    target = hard_coded_target(fleet)
    one, other = fleet.serials[0], fleet.serials[1]

    async def gen(reference: Any, sender: Any, **kwargs: Any) -> AsyncGenerator[Any, Any]:
        assert reference == [one]
        yield DeviceMessages.GetPower()
        raise RuntimeError("generator broke")

    errors: list[BaseException] = []
    results = await target.script(FromGenerator(gen, reference_override=one)).run_with_all(
        other, error_catcher=errors
    )
    assert [r.pkt.serial for r in results] == [one]
    assert [str(e) for e in errors] == ["generator broke"]


async def test_from_generator_in_a_pipeline_runs_per_serial(fleet: Fleet) -> None:
    target = hard_coded_target(fleet)
    seen: list[Any] = []

    async def gen(reference: Any, sender: Any, **kwargs: Any) -> AsyncGenerator[Any, Any]:
        seen.append(reference)
        yield DeviceMessages.GetLabel()

    results = await target.script(
        Pipeline(DeviceMessages.GetPower(), FromGenerator(gen))
    ).run_with_all(fleet.serials[:2])
    assert sorted(seen) == [[fleet.serials[0]], [fleet.serials[1]]]
    assert len(results) == 4


async def test_combinators_refuse_bad_arguments() -> None:
    with pytest.raises(InvalidScript):
        Pipeline(DeviceMessages.GetPower(), spread=-1)
    with pytest.raises(InvalidScript):
        Pipeline("nope")
    with pytest.raises(InvalidScript):
        Repeater(DeviceMessages.GetPower(), min_loop_time="x")  # type: ignore[arg-type]
    with pytest.raises(InvalidScript):
        Repeater(DeviceMessages.GetPower(), on_done_loop=3)  # type: ignore[arg-type]
    with pytest.raises(InvalidScript):
        FromGenerator(3)  # type: ignore[arg-type]
    with pytest.raises(InvalidScript):
        FromGenerator(lambda *a, **k: None, reference_override=["bad"])  # type: ignore[arg-type,return-value]
    await asyncio.sleep(0)
