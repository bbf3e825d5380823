"""Discovery on loopback: broadcast lists, specific serials, the cache, looking again."""

from __future__ import annotations

import time

from custom_components.lifx_script.engine import (
    DeviceMessages,
    DeviceNotFound,
    FoundSerials,
    LanTarget,
    Repeater,
    TimedOut,
)
from tests.engine.conftest import hard_coded_target, loopback_target
from tests.support.fault_proxy import TO_DEVICE, FaultProxy, Faults
from tests.support.fleet import Fleet

Addr = tuple[str, int]
GHOST = "d073d5ffffff"


async def test_discover_finds_every_device_at_its_address(fleet: Fleet) -> None:
    target = loopback_target(fleet)
    async with target.session() as sender:
        found = await sender.discover()
        assert found == fleet.hard_coded
        assert sender.found == fleet.hard_coded
        # one round was enough: a search for "all" ends a quiet gap after the first answers
        assert sender.stats["sent"] == len(fleet.devices)


async def test_a_search_for_specific_serials_ends_when_all_are_found(fleet: Fleet) -> None:
    target = loopback_target(fleet)
    wanted = fleet.serials[2:4]
    async with target.session() as sender:
        start = time.monotonic()
        found = await sender.discover(serials=wanted, timeout=5)
        assert set(wanted) <= set(found)
        assert time.monotonic() - start < 5
        assert sender.stats["sent"] == len(fleet.devices)


async def test_a_run_discovers_what_it_needs(fleet: Fleet) -> None:
    target = loopback_target(fleet)
    async with target.session() as sender:
        results = await sender(DeviceMessages.GetPower(), fleet.serials[:3])
        assert sorted(r.pkt.serial for r in results) == sorted(fleet.serials[:3])
        assert set(fleet.serials[:3]) <= set(sender.found)
        # every device: "_" discovers all
        results = await sender(DeviceMessages.GetPower(), "_")
        assert sorted(r.pkt.serial for r in results) == sorted(fleet.serials)


async def test_discovery_rounds_follow_the_schedule(fleet: Fleet) -> None:
    """Nothing answers: GetService at 0, 0.6, 1.2, 1.8 within find_timeout 2, then not found."""
    device = fleet.devices[0]
    async with FaultProxy([(device.serial, device.addr)], seed=1) as proxy:
        proxy.silence(device.serial)
        target = LanTarget(broadcast=proxy.fronts)
        errors: list[BaseException] = []
        async with target.session() as sender:
            results = await sender(
                DeviceMessages.GetPower(), device.serial, find_timeout=2, error_catcher=errors
            )
        assert results == []
        assert [(type(e), e.serial) for e in errors] == [(DeviceNotFound, device.serial)]
        times = [t for t, *_ in proxy.log.requests_to(bytes(8))]
        assert len(times) == 4
        offsets = [round(t - times[0], 1) for t in times]
        assert offsets == [0.0, 0.6, 1.2, 1.8]
        assert proxy.log.requests_to(bytes.fromhex(device.serial) + b"\0\0") == []


async def test_probe_one_host(fleet: Fleet, silent_addr: Addr) -> None:
    target = LanTarget(broadcast=[("127.0.0.1", 9)])
    device = fleet.devices[5]
    async with target.session() as sender:
        assert await sender.probe(device.addr) == {device.serial: device.addr}
        assert await sender.probe(f"{silent_addr[0]}:{silent_addr[1]}", timeout=0.5) == {}
        assert sender.found == {device.serial: device.addr}


async def test_a_serial_whose_sends_time_out_is_looked_for_again(
    fleet: Fleet, silent_addr: Addr
) -> None:
    target = loopback_target(fleet)
    device = fleet.devices[1]
    async with target.session() as sender:
        sender.add_device(device.serial, silent_addr)  # a stale address (the bulb moved)
        errors: list[BaseException] = []
        await sender(
            DeviceMessages.GetPower(), device.serial, message_timeout=0.5, error_catcher=errors
        )
        assert [type(e) for e in errors] == [TimedOut]
        assert sender.found[device.serial] == silent_addr
        results = await sender(DeviceMessages.GetPower(), device.serial)
        assert [r.addr for r in results] == [device.addr]
        assert sender.found[device.serial] == device.addr


async def test_discovery_through_a_lossy_network(fleet: Fleet) -> None:
    devices = fleet.devices[:6]
    lossy = Faults(drop=0.3, duplicate=0.1, reorder=0.1, delay=(0, 0.02))
    async with FaultProxy(
        [(d.serial, d.addr) for d in devices], seed=7, to_device=lossy, to_client=lossy
    ) as proxy:
        target = LanTarget(broadcast=proxy.fronts)
        async with target.session() as sender:
            found = await sender.discover(serials=[d.serial for d in devices], timeout=20)
            assert found == proxy.hard_coded
        assert proxy.log.counts[f"{TO_DEVICE}.dropped"] > 0


async def test_hard_coded_discovery_never_touches_the_network(fleet: Fleet) -> None:
    target = hard_coded_target(fleet)
    async with target.session() as sender:
        assert await sender.discover() == fleet.hard_coded
        assert sender.stats["sent"] == 0
        reference = FoundSerials()
        results = await sender(DeviceMessages.GetPower(), reference)
        assert sorted(r.pkt.serial for r in results) == sorted(fleet.serials)
        errors: list[BaseException] = []
        await sender(DeviceMessages.GetPower(), GHOST, error_catcher=errors)
        assert [(type(e), e.serial) for e in errors] == [(DeviceNotFound, GHOST)]


async def test_a_timed_out_serial_is_looked_for_again_by_the_next_run_without_a_session(
    fleet: Fleet, silent_addr: Addr
) -> None:
    """The stale mark lives with the target's cache, not with one session."""
    target = loopback_target(fleet)
    device = fleet.devices[1]
    target.found[device.serial] = silent_addr  # a stale address (the bulb moved)
    script = target.script(DeviceMessages.GetPower())
    errors: list[BaseException] = []
    await script.run_with_all(device.serial, message_timeout=0.5, error_catcher=errors)
    assert [type(e) for e in errors] == [TimedOut]
    results = await script.run_with_all(device.serial, message_timeout=0.5)
    assert [r.addr for r in results] == [device.addr]
    assert target.found[device.serial] == device.addr


async def test_a_repeater_looks_for_a_timed_out_serial_before_its_next_loop(
    fleet: Fleet, silent_addr: Addr
) -> None:
    target = loopback_target(fleet)
    device = fleet.devices[1]
    target.found[device.serial] = silent_addr
    outcomes: list[str] = []

    async def on_done_loop() -> None:
        if len(outcomes) >= 2:
            raise Repeater.Stop()

    def catch(error: BaseException) -> None:
        outcomes.append(type(error).__name__)

    repeater = Repeater(DeviceMessages.GetPower(), min_loop_time=0, on_done_loop=on_done_loop)
    async for result in target.script(repeater).run_with(
        device.serial, message_timeout=0.5, error_catcher=catch
    ):
        outcomes.append(result.pkt.name)
    assert outcomes[:2] == ["TimedOut", "StatePower"]
