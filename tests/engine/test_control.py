"""Transform, power toggle and the gatherer over real UDP against emulated devices."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest

from custom_components.lifx_script.engine import (
    DeviceMessages,
    Gatherer,
    InvalidScript,
    LanTarget,
    LightMessages,
    Pipeline,
    PowerToggle,
    RunFailed,
    Skip,
    Transformer,
)
from custom_components.lifx_script.engine.control import ColourParser, PartialColour
from custom_components.lifx_script.engine.control.planner import PLAN_NAMES, SUMMARY_PLANS
from tests.engine.conftest import hard_coded_target
from tests.support.fault_proxy import TO_CLIENT, FaultProxy
from tests.support.fleet import Fleet

# every kind the emulator offers; product:31 is a LIFX Z without extended multizone, 117 a
# LIFX Z with it from the start
CONTROL_FLEET = (
    "colorx2",
    "multizone:16",
    "multizone:82",
    "multizone:164",
    "product:31",
    "product:117",
    "beam:80",
    "tile:5",
    "candle",
    "switch",
    "infrared",
    "hev",
    "white",
)
COLOUR_WIRE = 65535


@pytest.fixture(scope="module")
def control_fleet() -> Iterator[Fleet]:
    with Fleet(*CONTROL_FLEET, serial_prefix="d073d6") as running:
        yield running


def kind_of(fleet: Fleet, serial: str) -> str:
    device = fleet.by_serial(serial)
    return f"product:{device.product_id}" if device.kind == "product" else device.kind


def wire(colour: dict[str, Any]) -> tuple[int, int, int, int]:
    """A gathered colour in the emulator's wire units (for comparison)."""
    return (
        round(colour["hue"] / 360 * 65536) % 65536,
        round(colour["saturation"] * COLOUR_WIRE),
        round(colour["brightness"] * COLOUR_WIRE),
        colour["kelvin"],
    )


def close(gathered: dict[str, Any], emulated: dict[str, int]) -> bool:
    ours = wire(gathered)
    theirs = (emulated["hue"], emulated["saturation"], emulated["brightness"], emulated["kelvin"])
    return all(abs(a - b) <= 8 for a, b in zip(ours, theirs, strict=True))


# -- the gatherer ---------------------------------------------------------------------------

UNSUPPORTED = {
    "color": {"zones", "chain", "hev", "infrared"},
    "multizone": {"chain", "hev", "infrared"},
    "product:31": {"chain", "hev", "infrared"},
    "product:117": {"chain", "hev", "infrared"},
    "beam": {"chain", "hev", "infrared"},
    "tile": {"zones", "hev", "infrared"},
    "candle": {"zones", "hev", "infrared"},
    "switch": {"color", "zones", "chain", "colors", "hev", "infrared"},
    "infrared": {"zones", "chain", "hev"},
    "hev": {"zones", "chain", "infrared"},
    "white": {"zones", "chain", "hev", "infrared"},
}


async def test_every_plan_on_every_kind(control_fleet: Fleet) -> None:
    fleet = control_fleet
    target = hard_coded_target(fleet, message_timeout=3)
    errors: list[BaseException] = []
    gathered = await Gatherer(target).gather_all(PLAN_NAMES, fleet.serials, error_catcher=errors)
    assert errors == []
    assert sorted(gathered) == sorted(fleet.serials)
    for serial, (complete, info) in gathered.items():
        kind = kind_of(fleet, serial)
        assert complete, (kind, info)
        skipped = {plan for plan, value in info.items() if value is Skip}
        assert skipped == (UNSUPPORTED.get(kind) or UNSUPPORTED[kind.split(":")[0]]), kind
        emulated = fleet.state(serial)
        assert info["label"] == emulated["label"]
        level = emulated["power_level"]
        assert info["power"] == {"on": level > 0, "level": level}
        assert info["version"]["product"] == fleet.by_serial(serial).product_id
        assert info["capability"]["product_id"] == fleet.by_serial(serial).product_id
        for plan in ("firmware", "wifi", "group", "location"):
            assert isinstance(info[plan], dict), (kind, plan)
        if "zones" in skipped and "chain" in skipped and "color" not in skipped:
            # a bulb (strips and tiles answer GetColor with a mix of their zones)
            assert close(info["color"], emulated["color"]), (kind, info["color"], emulated)
        if kind == "hev":
            assert set(info["hev"]) >= {"active", "duration_s", "remaining_s", "last_power"}
        if kind == "infrared":
            assert 0 <= info["infrared"]["brightness"] <= 1


async def test_strips_read_every_zone_extended_or_legacy(control_fleet: Fleet) -> None:
    fleet = control_fleet
    target = hard_coded_target(fleet, message_timeout=3)
    strips = [d for d in fleet.devices if d.kind in ("multizone", "beam", "product")]
    fleet.reset()
    gathered = await Gatherer(target).gather_all(["zones", "colors"], [d.serial for d in strips])
    by_type = fleet.stats()["stats"]
    counts = set()
    for device in strips:
        complete, info = gathered[device.serial]
        emulated = fleet.state(device.serial)["zone_colors"]
        zones = info["zones"]
        assert complete
        assert len(zones) == len(emulated)
        counts.add(len(zones))
        assert all(close(ours, theirs) for ours, theirs in zip(zones, emulated, strict=True))
        assert info["colors"] == [zones]
        received = by_type[device.serial]["by_type"]
        if device.product_id == 31:  # no extended multizone ever: legacy, no firmware read
            assert received == {"32": 1, "502": 1}
        elif device.product_id == 117:  # extended from the start: no firmware read
            assert received == {"32": 1, "511": 1}
        else:  # LIFX Z and Beam gained it in firmware 2.77: read the firmware, then extended
            assert received == {"32": 1, "14": 1, "511": 1}
    assert {16, 80, 82, 164} <= counts


async def test_five_tile_chain_and_every_frame(control_fleet: Fleet) -> None:
    fleet = control_fleet
    target = hard_coded_target(fleet, message_timeout=3)
    tile = fleet.of_kind("tile")[0].serial
    candle = fleet.of_kind("candle")[0].serial
    fleet.reset()
    gathered = await Gatherer(target).gather_all(["chain", "colors"], [tile, candle])
    complete, info = gathered[tile]
    assert complete
    assert [t["index"] for t in info["chain"]] == [0, 1, 2, 3, 4]
    emulated = fleet.state(tile)["tile_colors"]
    assert [len(frame) for frame in info["colors"]] == [64] * 5
    for ours, theirs in zip(info["colors"], emulated, strict=True):
        assert all(close(a, b) for a, b in zip(ours, theirs, strict=True))
    # one Get64 for the whole 8x8 chain (five State64 replies), after one chain read
    received = fleet.stats()["stats"][tile]["by_type"]
    assert received.get("707") == 1 and received.get("701") == 1
    complete, info = gathered[candle]
    width, height = info["chain"][0]["width"], info["chain"][0]["height"]
    assert complete and len(info["colors"]) == 1 and len(info["colors"][0]) == width * height


async def test_unsupported_plans_send_nothing_and_facts_are_remembered(
    control_fleet: Fleet,
) -> None:
    fleet = control_fleet
    target = hard_coded_target(fleet, message_timeout=3)
    bulb = fleet.of_kind("color")[0].serial
    gatherer = Gatherer(target)
    fleet.reset()
    first = await gatherer.gather_all(["zones", "chain", "hev", "infrared"], bulb)
    assert first[bulb] == (True, dict.fromkeys(["zones", "chain", "hev", "infrared"], Skip))
    # only the product was asked for ...
    assert fleet.stats()["stats"][bulb]["by_type"] == {"32": 1}
    fleet.reset()
    seen = [item async for item in gatherer.gather_per_serial(["zones", "hev"], bulb)]
    # ... and the second time nothing at all
    assert seen == [(bulb, True, {"zones": Skip, "hev": Skip})]
    assert fleet.received(bulb) == 0


async def test_summary_is_three_messages_for_a_light_and_one_state_answers_three_plans(
    control_fleet: Fleet,
) -> None:
    fleet = control_fleet
    target = hard_coded_target(fleet, message_timeout=3)
    bulb = fleet.of_kind("color")[0].serial
    switch = fleet.of_kind("switch")[0].serial
    fleet.reset()
    gathered = await Gatherer(target).gather_all(SUMMARY_PLANS, [bulb, switch])
    stats = fleet.stats()["stats"]
    assert stats[bulb]["by_type"] == {"32": 1, "14": 1, "101": 1}
    # a switch is not a light: power and label by their own messages, colour unsupported
    assert stats[switch]["by_type"] == {"32": 1, "14": 1, "20": 1, "23": 1}
    assert gathered[switch][1]["color"] is Skip


async def test_a_silent_device_fails_only_itself(control_fleet: Fleet) -> None:
    fleet = control_fleet
    bulbs = [d for d in fleet.devices if d.kind == "color"] + fleet.of_kind("multizone")[:1]
    async with FaultProxy([(d.serial, d.addr) for d in bulbs]) as proxy:
        silent = bulbs[0].serial
        proxy.silence(silent)
        target = LanTarget(
            broadcast=[("127.0.0.1", 9)],
            hard_coded=proxy.hard_coded,
            message_timeout=0.6,
            retry_schedule=(0, 0.2),
        )
        errors: list[BaseException] = []
        serials = [d.serial for d in bulbs]
        gathered = await Gatherer(target).gather_all(
            [*SUMMARY_PLANS, "zones"], serials, error_catcher=errors
        )
        assert gathered[silent] == (False, {})
        assert errors and {getattr(e, "serial", None) for e in errors} == {silent}
        for device in bulbs[1:]:
            assert gathered[device.serial][0], device.kind
        # without a catcher: the others are still yielded, then the error is raised
        seen: list[str] = []
        with pytest.raises(Exception) as raised:
            async for serial, _, _ in Gatherer(target).gather(["power"], serials):
                seen.append(serial)
        assert getattr(raised.value, "serial", None) == silent
        assert sorted(set(seen)) == sorted(serials[1:])


async def test_bad_plans_are_refused_before_sending(control_fleet: Fleet) -> None:
    target = hard_coded_target(control_fleet)
    with pytest.raises(InvalidScript, match="unknown plan"):
        async for _ in Gatherer(target).gather(["power", "moon_phase"], control_fleet.serials):
            pass
    with pytest.raises(InvalidScript, match="broadcast"):
        async for _ in Gatherer(target).gather(["power"], None, broadcast=True):
            pass


# -- transform -------------------------------------------------------------------------------


async def _set(target: LanTarget, serial: str, *msgs: Any) -> None:
    await target.script(Pipeline(*msgs)).run_with_all(serial)


class Observer:
    """The device's state (at the emulator) after each packet it answered, via a proxy."""

    def __init__(self, fleet: Fleet, serial: str) -> None:
        self.fleet = fleet
        self.serial = serial
        self.states: list[dict[str, Any]] = []

    def __call__(self, direction: str, data: bytes) -> None:
        if direction == TO_CLIENT:
            self.states.append(self.fleet.state(self.serial))

    def flashes(self, old_hue: int) -> list[dict[str, Any]]:
        """States where the device was on, lit, and still showing the old hue."""
        return [
            s
            for s in self.states
            if s["power_level"] > 0
            and s["color"]["brightness"] > 0
            and s["color"]["hue"] == old_hue
        ]


async def _observe_turn_on(fleet: Fleet, serial: str, script: Any) -> Observer:
    device = fleet.by_serial(serial)
    async with FaultProxy([(serial, device.addr)]) as proxy:
        target = LanTarget(broadcast=[("127.0.0.1", 9)], hard_coded=proxy.hard_coded)
        # off, at green, bright: the colour that must never show
        await _set(
            target,
            serial,
            LightMessages.SetColor(hue=120, saturation=1, brightness=0.8, kelvin=3500),
            DeviceMessages.SetPower(level=0),
        )
        observer = Observer(fleet, serial)
        proxy.on_packet = observer
        await target.script(script).run_with_all(serial)
        proxy.on_packet = None
    return observer


GREEN_WIRE = round(120 / 360 * 65536)


async def test_turning_on_never_shows_the_old_colour(control_fleet: Fleet) -> None:
    serial = control_fleet.of_kind("color")[0].serial
    script = Transformer.using({"power": "on", "color": "red", "duration": 0.2})
    observer = await _observe_turn_on(control_fleet, serial, script)
    assert len(observer.states) >= 4  # the read, dark colour, power on, fade
    assert observer.flashes(GREEN_WIRE) == []
    await asyncio.sleep(0.3)
    # read back through the protocol: the emulator settles a fade when a packet arrives
    target = hard_coded_target(control_fleet)
    final = (await Gatherer(target).gather_all(["power", "color"], serial))[serial][1]
    assert final["power"]["on"]
    assert final["color"]["hue"] == 0 and final["color"]["saturation"] == 1
    # no brightness asked: it comes back at the brightness it had
    assert final["color"]["brightness"] == pytest.approx(0.8, abs=0.001)


async def test_the_observer_sees_a_flash_when_there_is_one(control_fleet: Fleet) -> None:
    """Power first, colour second (the naive order) flashes green: the check can fail."""
    serial = control_fleet.of_kind("color")[0].serial
    naive = Pipeline(
        DeviceMessages.SetPower(level=65535, res_required=False),
        LightMessages.SetColor(hue=0, saturation=1, brightness=0.8, res_required=False),
    )
    observer = await _observe_turn_on(control_fleet, serial, naive)
    assert observer.flashes(GREEN_WIRE) != []


async def test_toggle_turns_on_what_is_off_and_off_what_is_on(control_fleet: Fleet) -> None:
    fleet = control_fleet
    target = hard_coded_target(fleet)
    on, off = [d.serial for d in fleet.of_kind("color")]
    await _set(target, on, DeviceMessages.SetPower(level=65535))
    await _set(target, off, DeviceMessages.SetPower(level=0))
    await target.script(PowerToggle(duration=0)).run_with_all([on, off])
    assert fleet.state(on)["power_level"] == 0
    assert fleet.state(off)["power_level"] == 65535
    await target.script(Transformer.using({"power": "toggle"})).run_with_all([on, off])
    assert fleet.state(on)["power_level"] == 65535
    assert fleet.state(off)["power_level"] == 0


async def test_group_toggle_turns_everything_off_when_any_is_on(control_fleet: Fleet) -> None:
    fleet = control_fleet
    target = hard_coded_target(fleet)
    a, b = [d.serial for d in fleet.of_kind("color")]
    await _set(target, a, DeviceMessages.SetPower(level=65535))
    await _set(target, b, DeviceMessages.SetPower(level=0))
    await target.script(PowerToggle(duration=0, group=True)).run_with_all([a, b])
    assert fleet.state(a)["power_level"] == 0 and fleet.state(b)["power_level"] == 0


async def test_keep_brightness(control_fleet: Fleet) -> None:
    fleet = control_fleet
    target = hard_coded_target(fleet)
    lit, dark = [d.serial for d in fleet.of_kind("color")]
    colour = LightMessages.SetColor(hue=120, saturation=1, brightness=0.3, kelvin=3500)
    await _set(target, lit, colour, DeviceMessages.SetPower(level=65535))
    await _set(target, dark, colour, DeviceMessages.SetPower(level=0))
    script = Transformer.using({"power": "on", "color": "blue"}, keep_brightness=True)
    await target.script(script).run_with_all([lit, dark])
    for serial in (lit, dark):
        state = fleet.state(serial)
        assert state["power_level"] == 65535
        assert state["color"]["hue"] == round(250 / 360 * 65536)
        assert abs(state["color"]["brightness"] - round(0.3 * COLOUR_WIRE)) <= 2
    # without keep_brightness the colour string's brightness applies
    await target.script(Transformer.using({"color": "blue brightness:0.6"})).run_with_all(lit)
    assert abs(fleet.state(lit)["color"]["brightness"] - round(0.6 * COLOUR_WIRE)) <= 2


@pytest.mark.parametrize(
    ("hue", "saturation", "kelvin"), [(1, 3, 3500), (65535, 65534, 2501), (12345, 54321, 9000)]
)
async def test_changing_brightness_leaves_the_other_components_exactly_as_they_were(
    control_fleet: Fleet, hue: int, saturation: int, kelvin: int
) -> None:
    # Decoded, hue has two decimals and saturation four: hue 1 reads 0.01 degrees, which
    # encodes back to 2. A brightness change must not nudge the others (again and again).
    fleet = control_fleet
    target = hard_coded_target(fleet)
    bulb = fleet.of_kind("color")[0].serial
    start = LightMessages.SetColor.from_raw(
        hue=hue, saturation=saturation, brightness=1000, kelvin=kelvin, duration=0
    )
    await _set(target, bulb, start, DeviceMessages.SetPower(level=65535))
    for brightness in (0.5, 0.25, 0.75):
        await target.script(Transformer.using({"brightness": brightness})).run_with_all(bulb)
        colour = fleet.state(bulb)["color"]
        assert (colour["hue"], colour["saturation"], colour["kelvin"]) == (hue, saturation, kelvin)
        assert abs(colour["brightness"] - round(brightness * COLOUR_WIRE)) <= 1


async def test_transform_to_a_silent_device_fails_only_it(control_fleet: Fleet) -> None:
    fleet = control_fleet
    bulbs = fleet.of_kind("color")
    async with FaultProxy([(d.serial, d.addr) for d in bulbs]) as proxy:
        proxy.silence(bulbs[0].serial)
        target = LanTarget(
            broadcast=[("127.0.0.1", 9)],
            hard_coded=proxy.hard_coded,
            message_timeout=0.6,
            retry_schedule=(0, 0.2),
        )
        await _set(hard_coded_target(fleet), bulbs[1].serial, DeviceMessages.SetPower(level=0))
        script = Transformer.using({"power": "on", "color": "hue:200 saturation:1"})
        with pytest.raises(RunFailed) as failed:
            await target.script(script).run_with_all([d.serial for d in bulbs])
        assert {e.serial for e in failed.value.errors} == {bulbs[0].serial}  # type: ignore[attr-defined]
    state = fleet.state(bulbs[1].serial)
    assert state["power_level"] == 65535 and state["color"]["hue"] == round(200 / 360 * 65536)


@pytest.mark.parametrize(
    ("state", "options", "match"),
    [
        ({"power": "sideways"}, {}, "power"),
        ({"power": "on", "brightness": 1.5}, {}, "brightness"),
        ({"kelvin": 100}, {}, "kelvin"),
        ({"color": "reddish"}, {}, "unknown colour"),
        ({"color": "hue:400"}, {}, "hue"),
        ({"color": "red", "colour": "blue"}, {}, "not both"),
        ({"brightness": 0.5}, {"keep_brightness": True}, "contradict"),
        ({"duration": 3}, {}, "nothing to do"),
        ({"power": "on", "speed": 3}, {}, "unknown transform key"),
        ({"power": "on", "duration": -1}, {}, "duration"),
    ],
)
def test_bad_transforms_are_refused(
    state: dict[str, Any], options: dict[str, Any], match: str
) -> None:
    with pytest.raises(InvalidScript, match=match):
        Transformer.using(state, **options)


def test_colour_strings() -> None:
    assert ColourParser.hsbk("red saturation:0.5") == PartialColour(0, 0.5)
    assert ColourParser.hsbk("#ff0000") == PartialColour(0, 1, 1)
    assert ColourParser.hsbk("hsb:120,50%,1") == PartialColour(120, 0.5, 1)
    assert ColourParser.hsbk("kelvin:2700 brightness:40%") == PartialColour(None, 0, 0.4, 2700)
    assert ColourParser.hsbk("rgb:0,0,255").hue == 240
    assert ColourParser.hsbk("white") == PartialColour(saturation=0)


async def test_plans_without_capabilities_send_one_message_each(control_fleet: Fleet) -> None:
    fleet = control_fleet
    target = hard_coded_target(fleet, message_timeout=3)
    bulb = fleet.of_kind("color")[0].serial
    fleet.reset()
    gathered = {
        serial: info
        async for serial, _, info in Gatherer(target).gather_per_serial(
            ["firmware", "wifi", "group", "location", "power"], bulb
        )
    }
    assert set(gathered[bulb]) == {"firmware", "wifi", "group", "location", "power"}
    assert gathered[bulb]["firmware"]["version"].count(".") == 1
    assert fleet.stats()["stats"][bulb]["by_type"] == {"14": 1, "16": 1, "51": 1, "48": 1, "20": 1}


class HostileTile(asyncio.DatagramProtocol):
    """A "tile" on loopback that claims sixteen 255x255 tiles (and never sends a frame)."""

    def __init__(self, serial: str) -> None:
        self.serial = serial
        self.transport: asyncio.DatagramTransport | None = None
        self.received: list[int] = []

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.DatagramTransport)
        self.transport = transport

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        from custom_components.lifx_script.engine import Messages, TileMessages, serial_to_target

        request = Messages.unpack(data)
        self.received.append(request.pkt_type)
        target = serial_to_target(self.serial)
        reply: Any = None
        if request | DeviceMessages.GetVersion:
            reply = DeviceMessages.StateVersion(vendor=1, product=55)
        elif request | TileMessages.GetDeviceChain:
            tile = {"width": 255, "height": 255}
            reply = TileMessages.StateDeviceChain(tile_devices=[tile] * 16, tile_devices_count=16)
        if reply is not None and self.transport is not None:
            packed = reply.pack_for(target, request.source, request.sequence)
            self.transport.sendto(
                packed + b"\xff" * 3 if request | TileMessages.Get64 else packed, addr
            )


async def test_a_device_that_lies_about_its_chain_gets_no_flood_of_requests() -> None:
    loop = asyncio.get_running_loop()
    serial = "d073d5f00001"
    transport, device = await loop.create_datagram_endpoint(
        lambda: HostileTile(serial), local_addr=("127.0.0.1", 0)
    )
    try:
        port = transport.get_extra_info("sockname")[1]
        target = LanTarget(
            broadcast=[("127.0.0.1", 9)],
            hard_coded={serial: ("127.0.0.1", port)},
            message_timeout=0.5,
        )
        errors: list[BaseException] = []
        gathered = await Gatherer(target).gather_all(
            ["chain", "colors"], serial, error_catcher=errors
        )
        complete, info = gathered[serial]
        assert not complete and len(info["chain"]) == 16
        assert "colors" not in info
        assert [str(e) for e in errors] == ["implausible size of tile(s) " + str(list(range(16)))]
        assert 707 not in device.received  # not one Get64
    finally:
        transport.close()
