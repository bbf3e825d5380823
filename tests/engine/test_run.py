"""Running scripts against emulated bulbs: results, reply counts, references, capabilities."""

from __future__ import annotations

import struct

import pytest

from custom_components.lifx_script.engine import (
    CoreMessages,
    DeviceMessages,
    DiscoveryMessages,
    FoundSerials,
    HardCodedSerials,
    InvalidScript,
    LanTarget,
    LightMessages,
    MultiZoneMessages,
    RelayMessages,
    Result,
    RunFailed,
    ScriptError,
    TileMessages,
    TimedOut,
    Unsupported,
)
from tests.engine.conftest import hard_coded_target, serials_of, strip_with
from tests.support.fault_proxy import TO_CLIENT, FaultProxy
from tests.support.fleet import Fleet


async def test_every_device_answers_and_results_carry_pkt_addr_original(fleet: Fleet) -> None:
    target = hard_coded_target(fleet)
    msg = DeviceMessages.GetLabel()
    results = await target.script(msg).run_with_all(fleet.serials)
    assert sorted(r.pkt.serial for r in results) == sorted(fleet.serials)
    for result in results:
        assert isinstance(result, Result)
        pkt, addr, original = result
        assert pkt | DeviceMessages.StateLabel
        assert original is msg
        assert addr == fleet.by_serial(pkt.serial).addr
        assert pkt.label == fleet.by_serial(pkt.serial).label


async def test_streaming_yields_the_same_results(fleet: Fleet) -> None:
    target = hard_coded_target(fleet)
    seen = [
        pkt.serial
        async for pkt, _, _ in target.script(DeviceMessages.GetPower()).run_with(fleet.serials)
    ]
    assert sorted(seen) == sorted(fleet.serials)


@pytest.mark.parametrize("form", ["str", "comma", "list", "none", "underscore", "found", "hard"])
async def test_reference_forms(fleet: Fleet, form: str) -> None:
    target = hard_coded_target(fleet)
    two = fleet.serials[:2]
    reference: object = {
        "str": two[0],
        "comma": f"{two[0]}, {two[1]}",
        "list": two,
        "none": None,
        "underscore": "_",
        "found": FoundSerials(),
        "hard": HardCodedSerials(two),
    }[form]
    expected = {"str": two[:1], "none": fleet.serials, "underscore": fleet.serials}.get(
        form, fleet.serials if form == "found" else two
    )
    results = await target.script(DeviceMessages.GetPower()).run_with_all(reference)
    assert sorted(r.pkt.serial for r in results) == sorted(expected)


async def test_ack_only_gives_the_acknowledgement_and_sets(fleet: Fleet) -> None:
    target = hard_coded_target(fleet)
    serial = serials_of(fleet, "color")[0]
    off = DeviceMessages.SetPower(level=0, res_required=False)
    results = await target.script(off).run_with_all(serial)
    assert [r.pkt.pkt_type for r in results] == [CoreMessages.Acknowledgement.pkt_type]
    assert fleet.state(serial)["power_level"] == 0
    on = DeviceMessages.SetPower(level=65535, res_required=False)
    await target.script(on).run_with_all(serial)
    assert fleet.state(serial)["power_level"] == 65535


async def test_neither_ack_nor_res_is_one_transmission_and_no_result(fleet: Fleet) -> None:
    target = hard_coded_target(fleet)
    serial = serials_of(fleet, "color")[1]
    fleet.reset()
    msg = DeviceMessages.SetLabel(label="quiet", ack_required=False, res_required=False)
    async with target.session() as sender:
        assert await sender(msg, serial) == []
        assert sender.stats["sent"] == 1
    assert fleet.received(serial) == 1
    assert fleet.state(serial)["label"] == "quiet"
    await target.script(DeviceMessages.SetLabel(label=fleet.by_serial(serial).label)).run_with_all(
        serial
    )


async def test_res_required_set_without_state_reply_acts_as_ack_only(fleet: Fleet) -> None:
    target = hard_coded_target(fleet)
    tile = serials_of(fleet, "tile")[0]
    msg = TileMessages.Set64(tile_index=0, length=1, width=8, colors=[])
    assert msg.res_required and not msg.reply_types
    results = await target.script(msg).run_with_all(tile)
    assert [r.pkt.pkt_type for r in results] == [45]


@pytest.mark.parametrize(
    ("zones", "start", "end", "replies", "reply_type"),
    [
        (16, 0, 255, 2, 506),
        (82, 0, 255, 11, 506),
        (164, 0, 255, 21, 506),
        (16, 0, 7, 1, 506),
        (164, 8, 40, 5, 506),
        (16, 3, 3, 1, 503),
        # ranges that start part-way: blocks of 8 from start_index to the last zone
        (16, 8, 255, 1, 506),
        (16, 4, 12, 2, 506),
        (82, 80, 255, 1, 506),
        (164, 150, 255, 2, 506),
    ],
)
async def test_get_color_zones_reply_counts(
    fleet: Fleet, zones: int, start: int, end: int, replies: int, reply_type: int
) -> None:
    target = hard_coded_target(fleet)
    serial = strip_with(fleet, zones)
    msg = MultiZoneMessages.GetColorZones(start_index=start, end_index=end)
    results = await target.script(msg).run_with_all(serial, message_timeout=3)
    assert len(results) == replies
    assert {r.pkt.pkt_type for r in results} == {reply_type}
    assert len({r.pkt.zone_index for r in results}) == replies


@pytest.mark.parametrize(("zones", "indexes"), [(16, [0]), (82, [0]), (164, [0, 82])])
async def test_extended_color_zones_on_82_and_164_zone_strips(
    fleet: Fleet, zones: int, indexes: list[int]
) -> None:
    target = hard_coded_target(fleet)
    serial = strip_with(fleet, zones)
    async with target.session() as sender:
        results = await sender(MultiZoneMessages.GetExtendedColorZones(), serial, message_timeout=3)
        assert sender.stats["timeouts"] == 0
    assert sorted(r.pkt.zone_index for r in results) == indexes
    assert sum(r.pkt.colors_count for r in results) == zones


async def test_a_set_short_of_one_reply_times_out_with_the_replies_that_came(
    fleet: Fleet,
) -> None:
    # a 164-zone strip answers GetExtendedColorZones with zone_index 0 and 82; the second
    # never arrives: the request times out, and the error carries the first as partial
    serial = strip_with(fleet, 164)
    device = next(d for d in fleet.devices if d.serial == serial)

    def second_half(direction: str, data: bytes) -> bool:
        if direction != TO_CLIENT or struct.unpack_from("<H", data, 32)[0] != 512:
            return False
        return struct.unpack_from("<H", data, 38)[0] == 82  # (after the zones count)

    async with FaultProxy([(serial, device.addr)]) as proxy:
        proxy.drop_if = second_half
        target = LanTarget(broadcast=proxy.fronts, hard_coded=proxy.hard_coded)
        errors: list[BaseException] = []
        results = await target.script(MultiZoneMessages.GetExtendedColorZones()).run_with_all(
            serial, message_timeout=1, error_catcher=errors
        )
        dropped = proxy.log.counts[f"{TO_CLIENT}.dropped"]
    assert results == []
    assert len(errors) == 1 and isinstance(errors[0], TimedOut)
    partial = errors[0].partial
    assert [pkt.zone_index for pkt, _ in partial] == [0]
    assert partial[0][0].colors_count == 82
    assert dropped >= 2  # every resend's answer lost its second half too


async def test_set_color_zones_with_res_required_counts_its_replies(fleet: Fleet) -> None:
    target = hard_coded_target(fleet)
    serial = strip_with(fleet, 16)
    msg = MultiZoneMessages.SetColorZones(
        start_index=0, end_index=15, hue=120, saturation=1, brightness=0.5, kelvin=3500
    )
    results = await target.script(msg).run_with_all(serial, message_timeout=3)
    assert len(results) == 2 and {r.pkt.pkt_type for r in results} == {506}


@pytest.mark.parametrize(("index", "length", "replies"), [(0, 5, 5), (0, 255, 5), (3, 1, 1)])
async def test_get64_gives_one_state64_per_tile(
    fleet: Fleet, index: int, length: int, replies: int
) -> None:
    target = hard_coded_target(fleet)
    tile = serials_of(fleet, "tile")[0]
    msg = TileMessages.Get64(tile_index=index, length=length, width=8)
    results = await target.script(msg).run_with_all(tile, message_timeout=3)
    assert sorted(r.pkt.tile_index for r in results) == list(range(index, index + replies))


async def test_get_service_unicast_is_unbounded(fleet: Fleet) -> None:
    target = hard_coded_target(fleet)
    device = fleet.devices[0]
    results = await target.script(DiscoveryMessages.GetService()).run_with_all(device.serial)
    assert [(r.pkt.service, r.pkt.port) for r in results] == [(1, device.port)]


async def test_state_unhandled_is_unsupported_not_success(fleet: Fleet) -> None:
    target = hard_coded_target(fleet)
    bulb = serials_of(fleet, "color")[0]
    errors: list[BaseException] = []
    results = await target.script(MultiZoneMessages.GetColorZones()).run_with_all(
        bulb, error_catcher=errors
    )
    assert results == []
    assert len(errors) == 1 and isinstance(errors[0], Unsupported)
    assert (errors[0].serial, errors[0].pkt_type) == (bulb, 502)
    assert "GetColorZones" in str(errors[0])


async def test_relay_switch(fleet: Fleet) -> None:
    target = hard_coded_target(fleet)
    switch = serials_of(fleet, "switch")[0]
    # the switch answers device messages
    results = await target.script(DeviceMessages.GetPower()).run_with_all(switch)
    assert len(results) == 1
    # light messages: StateUnhandled; relay messages: the emulator has no handler (StateUnhandled)
    errors: list[BaseException] = []
    await target.script([LightMessages.GetColor(), RelayMessages.GetRPower()]).run_with_all(
        switch, error_catcher=errors, message_timeout=2
    )
    assert sorted(e.pkt_type for e in errors if isinstance(e, Unsupported)) == [101, 816]


async def test_infrared(fleet: Fleet) -> None:
    target = hard_coded_target(fleet)
    ir = serials_of(fleet, "infrared")[0]
    bulb = serials_of(fleet, "color")[0]
    set_ir = LightMessages.SetInfrared(brightness=16384, res_required=False)
    await target.script(set_ir).run_with_all(ir)
    results = await target.script(LightMessages.GetInfrared()).run_with_all(ir)
    assert len(results) == 1 and results[0].pkt.brightness == 16384
    # the emulator acks (and then says nothing) for infrared on a bulb without it
    with pytest.raises(RunFailed) as failed:
        await target.script(LightMessages.GetInfrared()).run_with_all(bulb, message_timeout=0.5)
    (error,) = failed.value.errors
    assert isinstance(error, TimedOut) and error.acked and error.partial == []


async def test_hev(fleet: Fleet) -> None:
    target = hard_coded_target(fleet)
    hev = serials_of(fleet, "hev")[0]
    msgs = [LightMessages.GetHevCycle(), LightMessages.GetHevCycleConfiguration()]
    results = await target.script(msgs).run_with_all(hev)
    assert sorted(r.pkt.pkt_type for r in results) == [144, 147]


async def test_bad_input_is_refused_before_anything_is_sent(fleet: Fleet) -> None:
    target = hard_coded_target(fleet)
    fleet.reset()
    script = target.script(DeviceMessages.GetPower())
    with pytest.raises(InvalidScript):
        target.script([DeviceMessages.GetPower(), "not a message"])
    with pytest.raises(InvalidScript):
        target.script(DeviceMessages.GetPower)  # the class, not a message
    with pytest.raises(InvalidScript):
        script.run_with(["d073d5zz0000"])
    with pytest.raises(InvalidScript):
        script.run_with([fleet.serials[0], 5])
    with pytest.raises(InvalidScript):
        script.run_with(fleet.serials, message_timout=3)  # a typo
    for options in (
        {"limit": 0},
        {"limit": "3"},
        {"message_timeout": -1},
        {"find_timeout": "x"},
        {"error_catcher": 3},
        {"no_retry": "yes"},
        {"broadcast": "127.0.0.1:x"},
    ):
        with pytest.raises(InvalidScript):
            script.run_with(fleet.serials, **options)
    for bad in ({"broadcast": 5}, {"retry_schedule": (1, 2)}, {"rate_limit": 0}):
        with pytest.raises(InvalidScript):
            LanTarget(**bad)  # type: ignore[arg-type]
    assert fleet.received() == 0


async def test_a_run_is_consumed_once(fleet: Fleet) -> None:
    target = hard_coded_target(fleet)
    handle = target.script(DeviceMessages.GetPower()).run_with(fleet.serials[0])
    async for _ in handle:
        pass
    with pytest.raises(ScriptError, match="only once"):
        await handle
    awaited = target.script(DeviceMessages.GetPower()).run_with(fleet.serials[0])
    await awaited
    with pytest.raises(ScriptError, match="only once"):
        async for _ in awaited:
            pass
