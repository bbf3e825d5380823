"""Gatherer: named facts about devices, with as few messages as their capabilities allow.

As photons_control.planner (``Gatherer(target).gather(plans, reference)``), built on the
engine's FromGenerator: the run's reference, limits, retries and error catcher apply to
every message. Per device: the product and firmware are read once (when a plan depends on
them) and remembered by the gatherer; then every message the plans need goes out in one
parallel batch, one reply answering every plan it can (a light's LightState gives power,
label and colour); tile frames follow the chain. A plan the device cannot answer yields
``Skip`` without sending; a device that fails affects only its own plans.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import AsyncGenerator, AsyncIterator, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..codec import (
    Color,
    DeviceMessages,
    LightMessages,
    Message,
    MultiZoneMessages,
    TileMessages,
)
from ..errors import InvalidScript, ScriptError
from ..script import FromGenerator, LanTarget, Sender
from ..script.options import error_reporter
from .capabilities import PRODUCTS, Cap, Kelvin, capabilities

# the largest tile frame believed (a 16x8 Ceiling has 128 zones)
MAX_TILE_ZONES = 1024


class _Skip:
    """A plan this device cannot answer (photons' ``Skip``); shown as "unsupported"."""

    _instance: _Skip | None = None

    def __new__(cls) -> _Skip:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "Skip"

    def __str__(self) -> str:
        return "unsupported"


Skip = _Skip()


class IncompleteReply(ScriptError):
    """A multi-part reply (zones, tile frames) arrived with parts missing."""


PLAN_NAMES = (
    "power",
    "label",
    "color",
    "zones",
    "chain",
    "colors",
    "firmware",
    "version",
    "capability",
    "hev",
    "infrared",
    "wifi",
    "group",
    "location",
)
ALIASES = {
    "colour": "color",
    "state": "color",
    "colours": "colors",
    "product": "capability",
    "capabilities": "capability",
    "signal": "wifi",
}
SUMMARY_PLANS = ("label", "power", "color", "capability")
# plans that need the product and firmware before anything else is sent
_NEEDS_DEVICE = frozenset({"color", "zones", "chain", "colors", "capability", "hev", "infrared"})
# ... and the ones that also need the firmware read with it (zones only for some strips)
_NEEDS_FIRMWARE = frozenset({"capability", "firmware"})


def make_plans(plans: str | Iterable[str] | None) -> tuple[str, ...]:
    """Plan names in order, aliases resolved, unknown names refused (InvalidScript)."""
    if plans is None:
        return SUMMARY_PLANS
    names = [plans] if isinstance(plans, str) else list(plans)
    out: list[str] = []
    for name in names:
        if not isinstance(name, str):
            raise InvalidScript(f"a plan is a name, not {name!r}")
        key = ALIASES.get(name.strip().lower(), name.strip().lower())
        if key not in PLAN_NAMES:
            raise InvalidScript(
                f"unknown plan {name!r}; known: {', '.join(PLAN_NAMES)} "
                f"(aliases: {', '.join(sorted(ALIASES))})"
            )
        if key not in out:
            out.append(key)
    if not out:
        raise InvalidScript("give at least one plan")
    return tuple(out)


@dataclass(frozen=True, slots=True)
class DeviceFacts:
    """What a device is: its product and (once read) firmware, and what those allow.

    Without the firmware, ``caps`` and ``kelvin`` are the product's own (no upgrades): enough
    for every decision except which zone message a LIFX Z or Beam of old firmware takes.
    """

    vendor: int
    product_id: int
    firmware: tuple[int, int] | None
    firmware_build: int | None
    caps: Cap
    kelvin: Kelvin

    @classmethod
    def read(cls, version: Message, firmware: Message | None) -> DeviceFacts:
        product_id = int(version.product)
        if firmware is None:
            caps, kelvin = capabilities(product_id)
            return cls(int(version.vendor), product_id, None, None, caps, kelvin)
        major, minor = int(firmware.version_major), int(firmware.version_minor)
        caps, kelvin = capabilities(product_id, f"{major}.{minor}")
        return cls(
            int(version.vendor), product_id, (major, minor), int(firmware.build), caps, kelvin
        )

    def with_firmware(self, firmware: Message) -> DeviceFacts:
        major, minor = int(firmware.version_major), int(firmware.version_minor)
        caps, kelvin = capabilities(self.product_id, f"{major}.{minor}")
        return DeviceFacts(
            self.vendor, self.product_id, (major, minor), int(firmware.build), caps, kelvin
        )

    @property
    def known(self) -> bool:
        return self.vendor == 1 and self.product_id in PRODUCTS

    @property
    def is_light(self) -> bool:
        """Unknown products are assumed lights; known ones without a kelvin range are not."""
        return not self.known or self.kelvin is not None

    def has(self, cap: Cap) -> bool:
        return cap in self.caps

    @property
    def zones_depend_on_firmware(self) -> bool:
        """A strip that gained extended multizone in a firmware upgrade (LIFX Z, Beam)."""
        product = PRODUCTS.get(self.product_id) if self.vendor == 1 else None
        if product is None or Cap.EXTENDED_MULTIZONE in product.caps:
            return False
        return any(Cap.EXTENDED_MULTIZONE in added for _, _, added, _ in product.upgrades)

    def firmware_dict(self) -> dict[str, Any]:
        assert self.firmware is not None
        major, minor = self.firmware
        return {
            "version": f"{major}.{minor}",
            "major": major,
            "minor": minor,
            "build": self.firmware_build,
        }

    def capability_dict(self) -> dict[str, Any]:
        product = PRODUCTS.get(self.product_id) if self.vendor == 1 else None
        names = [flag.name.lower() for flag in Cap if flag and flag in self.caps and flag.name]
        zones = None
        if self.has(Cap.MULTIZONE):
            zones = "extended" if self.has(Cap.EXTENDED_MULTIZONE) else "legacy"
        return {
            "vendor": self.vendor,
            "product_id": self.product_id,
            "product": product.name if product else f"LIFX product {self.product_id}",
            "capabilities": names,
            "min_kelvin": self.kelvin[0] if self.kelvin else None,
            "max_kelvin": self.kelvin[1] if self.kelvin else None,
            "zones": zones,
            "firmware": f"{self.firmware[0]}.{self.firmware[1]}" if self.firmware else None,
        }


def colour_dict(colour: Any) -> dict[str, Any]:
    hue, saturation, brightness, kelvin = colour
    return {
        "hue": round(float(hue), 2),
        "saturation": round(float(saturation), 4),
        "brightness": round(float(brightness), 4),
        "kelvin": int(kelvin),
    }


def _place(pkt: Message, kind: str) -> dict[str, Any]:
    return {"id": bytes(getattr(pkt, kind)).hex(), "label": pkt.label, "updated_at": pkt.updated_at}


def _zones(replies: Sequence[Message]) -> list[dict[str, Any]]:
    """Every zone in order from StateMultiZone / StateExtendedColorZones replies."""
    if not replies:
        raise IncompleteReply("no zone replies")
    count = int(replies[0].zones_count)
    zones: list[Any] = [None] * count
    for pkt in replies:
        colours = list(pkt.colors)
        if pkt | MultiZoneMessages.StateExtendedColorZones:
            colours = colours[: int(pkt.colors_count)]
        start = int(pkt.zone_index)
        for offset, colour in enumerate(colours):
            if start + offset < count:
                zones[start + offset] = colour
    missing = [i for i, zone in enumerate(zones) if zone is None]
    if missing:
        raise IncompleteReply(f"{len(missing)} of {count} zones missing")
    return [colour_dict(zone) for zone in zones]


def _tile(index: int, tile: Any) -> dict[str, Any]:
    return {
        "index": index,
        "width": int(tile.width),
        "height": int(tile.height),
        "user_x": round(float(tile.user_x), 4),
        "user_y": round(float(tile.user_y), 4),
        "accel_meas": [int(tile.accel_meas_x), int(tile.accel_meas_y), int(tile.accel_meas_z)],
        "product_id": int(tile.device_version_product),
        "firmware": f"{tile.firmware_version_major}.{tile.firmware_version_minor}",
    }


def _chain(pkt: Message) -> list[dict[str, Any]]:
    start = int(pkt.start_index)
    count = int(pkt.tile_devices_count)
    return [_tile(start + i, tile) for i, tile in enumerate(pkt.tile_devices[:count])]


def _frame_requests(chain: list[dict[str, Any]]) -> list[Message]:
    """Get64s that cover every tile: one per band of rows for tiles of the same width."""
    if not chain:
        return []
    widths = {tile["width"] for tile in chain}
    heights = {tile["height"] for tile in chain}
    first = chain[0]["index"]
    if len(widths) == 1 and len(heights) == 1:
        width = max(1, widths.pop())
        rows = max(1, 64 // width)
        return [
            TileMessages.Get64(
                tile_index=first, length=len(chain), x=0, y=y, width=width, ack_required=False
            )
            for y in range(0, heights.pop(), rows)
        ]
    out: list[Message] = []
    for tile in chain:
        width = max(1, tile["width"])
        rows = max(1, 64 // width)
        out.extend(
            TileMessages.Get64(
                tile_index=tile["index"], length=1, x=0, y=y, width=width, ack_required=False
            )
            for y in range(0, tile["height"], rows)
        )
    return out


def _frames(chain: list[dict[str, Any]], replies: Sequence[Message]) -> list[list[dict[str, Any]]]:
    """Each tile's colours, row by row, from State64 replies; every pixel accounted for."""
    frames: dict[int, list[Any]] = {
        tile["index"]: [None] * (tile["width"] * tile["height"]) for tile in chain
    }
    sizes = {tile["index"]: (tile["width"], tile["height"]) for tile in chain}
    for pkt in replies:
        index = int(pkt.tile_index)
        if index not in frames:
            continue
        tile_width, tile_height = sizes[index]
        width = max(1, int(pkt.width))
        for i, colour in enumerate(pkt.colors):
            x, y = int(pkt.x) + i % width, int(pkt.y) + i // width
            if x < tile_width and y < tile_height:
                frames[index][y * tile_width + x] = colour
    out = []
    for tile in chain:
        frame = frames[tile["index"]]
        if any(colour is None for colour in frame):
            raise IncompleteReply(f"tile {tile['index']}: frame incomplete")
        out.append([colour_dict(colour) for colour in frame])
    return out


def _missing_tiles(chain: list[dict[str, Any]], replies: Sequence[Message]) -> list[int]:
    seen = {int(pkt.tile_index) for pkt in replies}
    return [tile["index"] for tile in chain if tile["index"] not in seen]


class _Device:
    """One device's gathering: batches, replies by type, values per plan."""

    def __init__(
        self,
        gatherer: Gatherer,
        serial: str,
        plans: tuple[str, ...],
        sender: Sender,
        options: dict[str, Any],
        emit: Any,
    ) -> None:
        self.gatherer = gatherer
        self.serial = serial
        self.plans = plans
        self.sender = sender
        self.options = options
        self.report = error_reporter(options["error_catcher"])
        self.emit = emit
        self.failed = False

    async def send(self, msgs: list[Message]) -> list[Message]:
        """Replies to msgs (in parallel); errors go to the run, marked against this device."""
        errors: list[BaseException] = []
        options = dict(self.options, error_catcher=errors)
        results = await self.sender(msgs, self.serial, **options)
        for error in errors:
            self.failed = True
            self.report(error)
        return [result.pkt for result in results]

    async def facts(self, need_firmware: bool) -> DeviceFacts | None:
        """The product (and the firmware when it matters), from the cache or the device."""
        cached = self.gatherer.facts.get(self.serial)
        if cached is not None and (cached.firmware is not None or not need_firmware):
            return cached
        ask: list[Message] = []
        if cached is None:
            ask.append(DeviceMessages.GetVersion(ack_required=False))
        if need_firmware:
            ask.append(DeviceMessages.GetHostFirmware(ack_required=False))
        replies = await self.send(ask)
        version = next((p for p in replies if p | DeviceMessages.StateVersion), None)
        firmware = next((p for p in replies if p | DeviceMessages.StateHostFirmware), None)
        if (cached is None and version is None) or (need_firmware and firmware is None):
            return None
        if cached is None:
            assert version is not None
            facts = DeviceFacts.read(version, firmware)
        else:
            assert firmware is not None
            facts = cached.with_firmware(firmware)
        self.gatherer.facts[self.serial] = facts
        return facts

    def fail(self, plan: str, error: BaseException) -> None:
        if isinstance(error, ScriptError) and error.serial is None:
            error.serial = self.serial
        self.failed = True
        self.report(error)

    async def run(self) -> None:
        plans = self.plans
        facts: DeviceFacts | None = None
        if any(plan in _NEEDS_DEVICE for plan in plans) or (
            # firmware and version alone go in the main batch, unless already known
            self.serial in self.gatherer.facts
            and any(plan in ("firmware", "version") for plan in plans)
        ):
            facts = await self.facts(any(plan in _NEEDS_FIRMWARE for plan in plans))
            if facts is None:
                return  # the error is reported; no plan of this device can be answered
            if (
                facts.firmware is None
                and facts.zones_depend_on_firmware
                and any(plan in ("zones", "colors") for plan in plans)
            ):
                facts = await self.facts(True)  # a LIFX Z or Beam: which zone message?
                if facts is None:
                    return
        assert facts is not None or not any(plan in _NEEDS_DEVICE for plan in plans)

        wanted: dict[str, Message] = {}
        answers: dict[str, Any] = {}

        def unsupported(plan: str) -> None:
            answers[plan] = Skip

        light = facts.is_light if facts is not None else None
        colour_plans = [p for p in plans if p in ("power", "label", "color")]
        # one GetColor answers power, label and colour of a light
        one_state = light is True and ("color" in plans or len(colour_plans) >= 2)
        for plan in plans:
            if plan in ("power", "label", "color") and one_state:
                wanted["state"] = LightMessages.GetColor(ack_required=False)
            elif plan == "power":
                wanted["power"] = DeviceMessages.GetPower(ack_required=False)
            elif plan == "label":
                wanted["label"] = DeviceMessages.GetLabel(ack_required=False)
            elif plan == "color":
                unsupported(plan)  # not a light
            elif plan == "firmware" and facts is None:
                wanted["firmware"] = DeviceMessages.GetHostFirmware(ack_required=False)
            elif plan == "version" and facts is None:
                wanted["version"] = DeviceMessages.GetVersion(ack_required=False)
            elif plan in ("firmware", "version", "capability"):
                pass  # from the facts
            elif plan == "zones" or (plan == "colors" and facts and facts.has(Cap.MULTIZONE)):
                assert facts is not None
                if not facts.has(Cap.MULTIZONE):
                    unsupported(plan)
                elif facts.has(Cap.EXTENDED_MULTIZONE):
                    wanted["zones"] = MultiZoneMessages.GetExtendedColorZones(ack_required=False)
                else:
                    wanted["zones"] = MultiZoneMessages.GetColorZones(
                        start_index=0, end_index=255, ack_required=False
                    )
            elif plan == "chain" or (plan == "colors" and facts and facts.has(Cap.MATRIX)):
                assert facts is not None
                if facts.has(Cap.MATRIX):
                    wanted["chain"] = TileMessages.GetDeviceChain(ack_required=False)
                else:
                    unsupported(plan)
            elif plan == "colors":
                if light:
                    wanted["state"] = LightMessages.GetColor(ack_required=False)
                else:
                    unsupported(plan)
            elif plan == "hev":
                assert facts is not None
                if facts.has(Cap.HEV):
                    wanted["hev"] = LightMessages.GetHevCycle(ack_required=False)
                    wanted["hev_result"] = LightMessages.GetLastHevCycleResult(ack_required=False)
                else:
                    unsupported(plan)
            elif plan == "infrared":
                assert facts is not None
                if facts.has(Cap.INFRARED):
                    wanted["infrared"] = LightMessages.GetInfrared(ack_required=False)
                else:
                    unsupported(plan)
            elif plan == "wifi":
                wanted["wifi"] = DeviceMessages.GetWifiInfo(ack_required=False)
            elif plan == "group":
                wanted["group"] = DeviceMessages.GetGroup(ack_required=False)
            elif plan == "location":
                wanted["location"] = DeviceMessages.GetLocation(ack_required=False)

        if "state" in wanted:
            wanted.pop("power", None)
            wanted.pop("label", None)
        replies = await self.send(list(wanted.values())) if wanted else []
        by_type: dict[int, list[Message]] = {}
        for pkt in replies:
            by_type.setdefault(int(pkt.pkt_type), []).append(pkt)

        def first(kind: Any) -> Message | None:
            found = by_type.get(int(kind.pkt_type))
            return found[0] if found else None

        state = first(LightMessages.LightState)
        for plan in plans:
            if plan in answers:
                continue
            try:
                value = self.value(plan, facts, state, first, by_type)
            except IncompleteReply as error:
                self.fail(plan, error)
                continue
            if value is not _NO_REPLY:
                answers[plan] = value

        pending = answers.get("colors")
        if isinstance(pending, _Chain):
            del answers["colors"]
            frames = await self.tile_frames(pending.tiles)
            if frames is not None:
                answers["colors"] = frames

        for plan in plans:
            if plan in answers:
                self.emit(self.serial, plan, answers[plan])

    async def tile_frames(self, chain: list[dict[str, Any]]) -> list[list[dict[str, Any]]] | None:
        odd = [t["index"] for t in chain if not 0 < t["width"] * t["height"] <= MAX_TILE_ZONES]
        if odd:  # the chain came from the network: no flood of Get64s for a nonsense size
            self.fail("colors", IncompleteReply(f"implausible size of tile(s) {odd}"))
            return None
        replies = await self.send(_frame_requests(chain)) if chain else []
        replies = [p for p in replies if p | TileMessages.State64]
        missing = _missing_tiles(chain, replies)
        if missing:  # a lost State64 of a multi-tile request: ask those tiles alone
            again = [
                TileMessages.Get64(
                    tile_index=i, length=1, x=0, y=y, width=max(1, t["width"]), ack_required=False
                )
                for i in missing
                for t in chain
                if t["index"] == i
                for y in range(0, t["height"], max(1, 64 // max(1, t["width"])))
            ]
            replies += [p for p in await self.send(again) if p | TileMessages.State64]
        try:
            return _frames(chain, replies)
        except IncompleteReply as error:
            self.fail("colors", error)
            return None

    def value(
        self,
        plan: str,
        facts: DeviceFacts | None,
        state: Message | None,
        first: Any,
        by_type: dict[int, list[Message]],
    ) -> Any:
        if plan == "firmware":
            if facts is not None:
                return facts.firmware_dict()
            pkt = first(DeviceMessages.StateHostFirmware)
            if pkt is None:
                return _NO_REPLY
            major, minor = int(pkt.version_major), int(pkt.version_minor)
            version = f"{major}.{minor}"
            return {"version": version, "major": major, "minor": minor, "build": int(pkt.build)}
        if plan == "version":
            if facts is not None:
                return {"vendor": facts.vendor, "product": facts.product_id}
            pkt = first(DeviceMessages.StateVersion)
            return {"vendor": int(pkt.vendor), "product": int(pkt.product)} if pkt else _NO_REPLY
        if plan == "capability":
            return facts.capability_dict() if facts else _NO_REPLY
        if plan == "power":
            if state is not None:
                return {"on": state.power > 0, "level": int(state.power)}
            pkt = first(DeviceMessages.StatePower)
            return {"on": pkt.level > 0, "level": int(pkt.level)} if pkt else _NO_REPLY
        if plan == "label":
            if state is not None:
                return state.label
            pkt = first(DeviceMessages.StateLabel)
            return pkt.label if pkt else _NO_REPLY
        if plan == "color":
            return colour_dict(_hsbk(state)) if state is not None else _NO_REPLY
        zone_replies = by_type.get(int(MultiZoneMessages.StateExtendedColorZones.pkt_type)) or (
            by_type.get(int(MultiZoneMessages.StateMultiZone.pkt_type), [])
            + by_type.get(int(MultiZoneMessages.StateZone.pkt_type), [])
        )
        if plan == "zones" or (plan == "colors" and facts and facts.has(Cap.MULTIZONE)):
            if not zone_replies:
                return _NO_REPLY
            zones = _zones([_as_multizone(p) for p in zone_replies])
            return [zones] if plan == "colors" else zones
        if plan == "chain" or (plan == "colors" and facts and facts.has(Cap.MATRIX)):
            pkt = first(TileMessages.StateDeviceChain)
            if pkt is None:
                return _NO_REPLY
            return _chain(pkt) if plan == "chain" else _Chain(_chain(pkt))
        if plan == "colors":
            return [[colour_dict(_hsbk(state))]] if state is not None else _NO_REPLY
        if plan == "hev":
            pkt = first(LightMessages.StateHevCycle)
            if pkt is None:
                return _NO_REPLY
            result = first(LightMessages.StateLastHevCycleResult)
            return {
                "active": pkt.remaining_s > 0,
                "duration_s": int(pkt.duration_s),
                "remaining_s": int(pkt.remaining_s),
                "last_power": bool(pkt.last_power),
                "last_result": getattr(result.result, "name", str(result.result))
                if result is not None
                else None,
            }
        if plan == "infrared":
            pkt = first(LightMessages.StateInfrared)
            return {"brightness": round(pkt.brightness / 65535, 4)} if pkt else _NO_REPLY
        if plan == "wifi":
            pkt = first(DeviceMessages.StateWifiInfo)
            if pkt is None:
                return _NO_REPLY
            signal = float(pkt.signal)
            # the protocol's milliwatts; some firmware (and the emulator) report dBm directly
            if signal > 0:
                rssi: int | None = math.floor(10 * math.log10(signal) + 0.5)
            else:
                rssi = round(signal) if signal < 0 else None
            return {"signal": signal, "rssi": rssi}
        if plan in ("group", "location"):
            kind = DeviceMessages.StateGroup if plan == "group" else DeviceMessages.StateLocation
            pkt = first(kind)
            return _place(pkt, plan) if pkt else _NO_REPLY
        return _NO_REPLY


class _Chain:
    """The chain, waiting for its frames (the "colors" plan of a matrix device)."""

    def __init__(self, tiles: list[dict[str, Any]]) -> None:
        self.tiles = tiles


_NO_REPLY: Any = object()


def _hsbk(state: Message) -> Color:
    return Color(state.hue, state.saturation, state.brightness, state.kelvin)


def _as_multizone(pkt: Message) -> Message:
    """A StateZone (one zone) read as a one-colour StateMultiZone."""
    if pkt | MultiZoneMessages.StateZone:
        return MultiZoneMessages.StateMultiZone(
            zones_count=pkt.zones_count, zone_index=pkt.zone_index, colors=[_hsbk(pkt)]
        )
    return pkt


class Gatherer:
    """``async for serial, plan, value in Gatherer(target).gather(plans, reference)``.

    Remembers each device's product and firmware between gathers (``forget`` drops them).
    Options are the run's (message_timeout, limit, error_catcher, find_timeout, ...).
    """

    def __init__(self, target: LanTarget) -> None:
        self.target = target
        self.facts: dict[str, DeviceFacts] = {}

    def forget(self, serial: str | None = None) -> None:
        if serial is None:
            self.facts.clear()
        else:
            self.facts.pop(serial, None)

    def gather(
        self,
        plans: str | Iterable[str] | None,
        reference: Any = None,
        sender: Sender | None = None,
        **options: Any,
    ) -> AsyncIterator[tuple[str, str, Any]]:
        """(serial, plan, value) as each device's plans complete; Skip where unsupported.

        Errors are per device: with an error_catcher they go there and the rest goes on;
        without one they are raised together after every device has finished. Bad plans
        or options raise InvalidScript here, before anything is sent.
        """
        names = make_plans(plans)
        self._check(options)
        return self._values(self._stream(names, reference, sender, options))

    def gather_per_serial(
        self,
        plans: str | Iterable[str] | None,
        reference: Any = None,
        sender: Sender | None = None,
        **options: Any,
    ) -> AsyncIterator[tuple[str, bool, dict[str, Any]]]:
        """(serial, every plan answered, {plan: value}) as each device finishes."""
        names = make_plans(plans)
        self._check(options)
        return self._per_serial(names, self._stream(names, reference, sender, options))

    async def gather_all(
        self,
        plans: str | Iterable[str] | None,
        reference: Any = None,
        sender: Sender | None = None,
        **options: Any,
    ) -> dict[str, tuple[bool, dict[str, Any]]]:
        """photons' shape: {serial: (every plan answered, {plan: value})} for every device."""
        return {
            serial: (complete, info)
            async for serial, complete, info in self.gather_per_serial(
                plans, reference, sender, **options
            )
        }

    @staticmethod
    def _check(options: Mapping[str, Any]) -> None:
        if options.get("broadcast") not in (None, False):
            raise InvalidScript("gathering is per device: the broadcast option is not supported")

    @staticmethod
    async def _values(
        stream: AsyncIterator[tuple[str, str, Any]],
    ) -> AsyncIterator[tuple[str, str, Any]]:
        async for serial, plan, value in stream:
            if plan is not _DEVICE_DONE:
                yield serial, plan, value

    @staticmethod
    async def _per_serial(
        names: tuple[str, ...], stream: AsyncIterator[tuple[str, str, Any]]
    ) -> AsyncIterator[tuple[str, bool, dict[str, Any]]]:
        found: dict[str, dict[str, Any]] = {}
        async for serial, plan, value in stream:
            info = found.setdefault(serial, {})
            if plan is _DEVICE_DONE:
                yield serial, all(name in info for name in names), info
            else:
                info[plan] = value

    async def _stream(
        self,
        names: tuple[str, ...],
        reference: Any,
        sender: Sender | None,
        options: dict[str, Any],
    ) -> AsyncIterator[tuple[str, str, Any]]:
        """Every (serial, plan, value), and (serial, _DEVICE_DONE, None) when a device ends."""
        queue: asyncio.Queue[tuple[str, str, Any] | None] = asyncio.Queue()

        def emit(serial: str, plan: str, value: Any) -> None:
            queue.put_nowait((serial, plan, value))

        async def one(device: _Device) -> None:
            try:
                await device.run()
            finally:
                emit(device.serial, _DEVICE_DONE, None)

        async def gen(serials: Any, run_sender: Sender, **kwargs: Any) -> AsyncGenerator[Any, Any]:
            async with asyncio.TaskGroup() as group:
                for serial in serials or []:
                    group.create_task(one(_Device(self, serial, names, run_sender, kwargs, emit)))
            return
            yield  # an async generator that sends nothing itself

        handle = self.target.script(FromGenerator(gen)).run_with(
            reference, sender=sender, **options
        )

        async def drive() -> None:
            try:
                async for _ in handle:
                    pass
            finally:
                queue.put_nowait(None)

        task = asyncio.get_running_loop().create_task(drive())
        try:
            while (item := await queue.get()) is not None:
                yield item
        finally:
            if not task.done():
                task.cancel()
            await asyncio.wait([task])
        error = None if task.cancelled() else task.exception()
        if error is not None:
            raise error


_DEVICE_DONE: Any = object()  # in place of a plan name: this device is done


def plan_values_jsonable(values: Mapping[str, Any]) -> dict[str, Any]:
    """Skip as "unsupported"; everything else is already JSON-friendly."""
    return {plan: "unsupported" if value is Skip else value for plan, value in values.items()}


__all__ = [
    "ALIASES",
    "PLAN_NAMES",
    "SUMMARY_PLANS",
    "DeviceFacts",
    "Gatherer",
    "IncompleteReply",
    "Skip",
    "make_plans",
    "plan_values_jsonable",
]
