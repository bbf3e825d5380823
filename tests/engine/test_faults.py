"""The engine through a seeded fault-injecting proxy: loss, delay, duplicates, reordering,
corruption, silence, and what a shared limit really keeps in flight."""

from __future__ import annotations

import asyncio
import itertools
import time

import pytest

from custom_components.lifx_script.engine import (
    DeviceMessages,
    LanTarget,
    LightMessages,
    MultiZoneMessages,
    RunFailed,
    TileMessages,
    TimedOut,
)
from tests.engine.conftest import serials_of, strip_with
from tests.support.fault_proxy import TO_CLIENT, TO_DEVICE, FaultProxy, Faults
from tests.support.fleet import EmulatedDevice, Fleet

LOSSY = Faults(drop=0.3, duplicate=0.1, reorder=0.15, corrupt=0.03, delay=(0, 0.03))


def proxied(proxy: FaultProxy, **options: object) -> LanTarget:
    options.setdefault("broadcast", proxy.fronts)
    options.setdefault("hard_coded", proxy.hard_coded)
    return LanTarget(**options)  # type: ignore[arg-type]


def upstream(devices: list[EmulatedDevice]) -> list[tuple[str, tuple[str, int]]]:
    return [(d.serial, d.addr) for d in devices]


def echo(i: int, serial: str) -> DeviceMessages.EchoRequest:  # type: ignore[name-defined]
    return DeviceMessages.EchoRequest(echoing=f"{serial}:{i:04d}".encode().ljust(64, b"."))


@pytest.mark.parametrize("seed", [11, 12])
async def test_every_send_completes_with_30_percent_loss_each_way(fleet: Fleet, seed: int) -> None:
    devices = [fleet.devices[i] for i in (0, 1, 2, 8, 9, 10)]
    async with FaultProxy(upstream(devices), seed=seed, to_device=LOSSY, to_client=LOSSY) as proxy:
        target = proxied(proxy)
        async with target.session() as sender:
            # a distinct payload per (message, device): a reply matched to the wrong request shows
            msgs = [echo(i, d.serial).clone(target=d.serial) for d in devices for i in range(12)]
            msgs += [
                DeviceMessages.GetPower(),
                DeviceMessages.SetPower(level=65535, res_required=False),
            ]
            start = time.monotonic()
            results = await sender(msgs, [d.serial for d in devices])
            assert time.monotonic() - start < 10  # within message_timeout
            stats = sender.stats
    echoes = [r for r in results if r.pkt | DeviceMessages.EchoResponse]
    assert len(echoes) == 12 * len(devices)
    for result in echoes:
        assert result.pkt.echoing == result.original.echoing
        assert result.pkt.serial == result.original.serial
    assert len([r for r in results if r.pkt | DeviceMessages.StatePower]) == len(devices)
    assert stats["retransmits"] > 0 and stats["timeouts"] == 0
    counts = proxy.log.counts
    assert counts[f"{TO_DEVICE}.dropped"] > 0 and counts[f"{TO_CLIENT}.dropped"] > 0
    assert counts[f"{TO_CLIENT}.duplicated"] > 0 and counts[f"{TO_CLIENT}.corrupted"] > 0
    assert stats["duplicates"] + stats["late"] > 0 and stats["unparsable"] > 0


async def test_multi_reply_sets_complete_under_loss(fleet: Fleet) -> None:
    strip = fleet.by_serial(strip_with(fleet, 164))
    tile = fleet.by_serial(serials_of(fleet, "tile")[0])
    async with FaultProxy(
        upstream([strip, tile]), seed=5, to_device=LOSSY, to_client=LOSSY
    ) as proxy:
        target = proxied(proxy)
        async with target.session() as sender:
            zones = await sender(MultiZoneMessages.GetExtendedColorZones(), strip.serial)
            legacy = await sender(MultiZoneMessages.GetColorZones(), strip.serial)
            tiles = await sender(TileMessages.Get64(tile_index=0, length=5, width=8), tile.serial)
    assert sorted(r.pkt.zone_index for r in zones) == [0, 82]
    assert sorted(r.pkt.zone_index for r in legacy) == list(range(0, 164, 8))
    assert sorted(r.pkt.tile_index for r in tiles) == [0, 1, 2, 3, 4]


async def test_echoes_under_retries_never_match_the_wrong_request(fleet: Fleet) -> None:
    """Many concurrent echoes to one device, with late duplicates and reordering."""
    device = fleet.devices[1]
    noisy = Faults(drop=0.2, duplicate=0.3, reorder=0.3, delay=(0, 0.25), reorder_delay=0.3)
    async with FaultProxy(upstream([device]), seed=9, to_device=noisy, to_client=noisy) as proxy:
        target = proxied(proxy)
        async with target.session() as sender:
            results = await sender([echo(i, device.serial) for i in range(80)], device.serial)
            stats = sender.stats
    assert len(results) == 80
    assert all(r.pkt.echoing == r.original.echoing for r in results)
    assert len({r.pkt.echoing for r in results}) == 80
    assert stats["retransmits"] > 0 and stats["late"] + stats["duplicates"] > 0


async def test_a_silent_device_times_out_at_message_timeout(fleet: Fleet) -> None:
    device, other = fleet.devices[2], fleet.devices[3]
    async with FaultProxy(upstream([device, other]), seed=4) as proxy:
        proxy.silence(device.serial)
        target = proxied(proxy)
        async with target.session() as sender:
            start = time.monotonic()
            with pytest.raises(RunFailed) as failed:
                async with asyncio.timeout(10):
                    await sender(
                        DeviceMessages.GetPower(), [device.serial, other.serial], message_timeout=3
                    )
            elapsed = time.monotonic() - start
        sent = proxy.log.requests_to(bytes.fromhex(device.serial) + b"\0\0")
    (error,) = failed.value.errors
    assert isinstance(error, TimedOut)
    assert (error.serial, error.pkt_type, error.source) == (device.serial, 20, sender.source)
    assert error.sequence == sent[-1][2]  # the last transmission's sequence
    assert [r.pkt.serial for r in failed.value.results] == [other.serial]
    assert 3 <= elapsed < 4
    # transmissions at 0, 0.2, 0.4, 0.5, 0.6, 0.8, 1.0, 1.2, 2.2 and none at or after 3 s
    offsets = [round(t - sent[0][0], 1) for t, *_ in sent]
    assert offsets == [0.0, 0.2, 0.4, 0.5, 0.6, 0.8, 1.0, 1.2, 2.2]
    assert len({seq for _, _, seq, _ in sent}) == len(sent)  # each its own sequence


async def test_after_an_ack_it_spreads_as_many_resends_as_the_schedule_had(fleet: Fleet) -> None:
    """GetInfrared to a bulb without infrared: the emulator acks and never answers."""
    bulb = fleet.by_serial(serials_of(fleet, "color")[0])
    async with FaultProxy(upstream([bulb]), seed=6) as proxy:
        target = proxied(proxy)
        async with target.session() as sender:
            errors: list[BaseException] = []
            await sender(
                LightMessages.GetInfrared(), bulb.serial, message_timeout=3, error_catcher=errors
            )
        sent = proxy.log.requests_to(bytes.fromhex(bulb.serial) + b"\0\0")
    assert isinstance(errors[0], TimedOut) and errors[0].acked
    gaps = [b[0] - a[0] for a, b in itertools.pairwise(sent)]
    # photons' schedule sends 9 times in 3 s (0, .2, .4, .5, .6, .8, 1.0, 1.2, 2.2); once acked
    # the same 9 chances come spread evenly (every 1/3 s), not 7 of them in the first 1.2 s.
    # (On a loaded machine the ack may only arrive after the 0.2 s resend: hence gaps[0].)
    assert len(sent) == 9
    assert all(gap >= 0.3 for gap in gaps[1:]), gaps


def most_in_flight(proxy: FaultProxy) -> int:
    """Requests the devices have received and whose answer has not reached the engine."""
    events = [
        (t, 1, (src, seq, tgt)) for t, d, src, seq, tgt, _ in proxy.log.packets if d == TO_DEVICE
    ]
    events += [
        (t, -1, (src, seq, tgt)) for t, d, src, seq, tgt, _ in proxy.log.delivered if d == TO_CLIENT
    ]
    open_now: set[object] = set()
    most = 0
    for _, kind, key in sorted(events, key=lambda e: (e[0], e[1])):
        if kind == 1:
            open_now.add(key)
        else:
            open_now.discard(key)
        most = max(most, len(open_now))
    return most


@pytest.mark.parametrize(("shared", "expected"), [(True, 2), (False, 4)])
async def test_a_shared_semaphore_caps_two_concurrent_runs(
    fleet: Fleet, shared: bool, expected: int
) -> None:
    devices = fleet.devices[:6]
    async with FaultProxy(upstream(devices), seed=8, to_client=Faults(delay=0.05)) as proxy:
        target = proxied(proxy)
        msg = DeviceMessages.SetPower(level=65535, res_required=False)
        semaphore = asyncio.Semaphore(2)
        async with target.session() as sender:
            limit = semaphore if shared else 2
            await asyncio.gather(
                sender([msg, msg], [d.serial for d in devices], limit=limit),
                sender([msg, msg], [d.serial for d in devices], limit=limit),
            )
            assert sender.stats["retransmits"] == 0
    assert most_in_flight(proxy) == expected


async def test_the_default_limit_is_per_run(fleet: Fleet) -> None:
    devices = fleet.devices[:6]
    async with FaultProxy(upstream(devices), seed=8, to_client=Faults(delay=0.05)) as proxy:
        target = proxied(proxy, default_limit=3)
        msg = DeviceMessages.SetPower(level=65535, res_required=False)
        await target.script([msg, msg]).run_with_all([d.serial for d in devices])
    assert most_in_flight(proxy) == 3


async def test_rate_cap_per_device(fleet: Fleet) -> None:
    devices = fleet.devices[:2]
    async with FaultProxy(upstream(devices), seed=10) as proxy:
        target = proxied(proxy, rate_limit=10)
        msgs = [DeviceMessages.GetPower() for _ in range(4)]
        await target.script(msgs).run_with_all([d.serial for d in devices])
        for device in devices:
            times = [t for t, *_ in proxy.log.requests_to(bytes.fromhex(device.serial) + b"\0\0")]
            assert len(times) >= 4  # retransmissions, if any, keep the spacing too
            # send k waits for a slot k/10 s after the first (counted from the first, so one
            # late wake-up cannot shrink the next gap into a failure; one slot of slack, as the
            # proxy may stamp the first packet late on a loaded machine). Uncapped, all 4
            # would arrive within milliseconds.
            assert all(t - times[0] >= (k - 1) * 0.1 for k, t in enumerate(times))


async def test_rate_cap_queue_does_not_use_up_message_timeout(fleet: Fleet) -> None:
    """40 sends at 20 a second queue for 2 s; each still gets its whole 1 s timeout."""
    device = fleet.devices[0]
    async with FaultProxy(upstream([device]), seed=11) as proxy:
        target = proxied(proxy, rate_limit=20)
        msgs = [DeviceMessages.GetPower() for _ in range(40)]
        results = await target.script(msgs).run_with_all(
            device.serial, limit=None, message_timeout=1
        )
        times = [t for t, *_ in proxy.log.requests_to(bytes.fromhex(device.serial) + b"\0\0")]
    assert len(results) == 40
    # the cap held (two slots of slack for a late stamp; uncapped, all 40 go at once)
    assert times[-1] - times[0] >= 37 * 0.05


async def test_a_reply_to_any_transmission_counts_even_seconds_late(fleet: Fleet) -> None:
    """Every answer takes 4 s to come back: the reply to the first transmission completes
    the send, although a dozen retransmissions went out meanwhile."""
    device = fleet.devices[0]
    async with FaultProxy(upstream([device]), seed=13, to_client=Faults(delay=4)) as proxy:
        target = proxied(proxy)
        results = await target.script(DeviceMessages.GetPower()).run_with_all(
            device.serial, message_timeout=8
        )
        stats = proxy.log
    assert [r.pkt.name for r in results] == ["StatePower"]
    assert len(stats.requests_to(bytes.fromhex(device.serial) + b"\0\0")) > 4
