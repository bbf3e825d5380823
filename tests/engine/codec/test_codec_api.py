"""The public API: construction, validation errors, header, lookups, replies, helpers."""

from __future__ import annotations

import json
import math
import struct
import timeit
from typing import Any

import pytest

from custom_components.lifx_script.engine import codec
from custom_components.lifx_script.engine.codec import (
    HEADER_SIZE,
    ButtonMessages,
    Color,
    CoreMessages,
    DecodeError,
    DeviceMessages,
    DiscoveryMessages,
    Header,
    LightMessages,
    Message,
    Messages,
    MultiZoneMessages,
    RelayMessages,
    TileMessages,
    UnknownMessageError,
    ValidationError,
    serial_to_target,
    target_to_serial,
    unpack_header,
)
from custom_components.lifx_script.engine.codec.catalog import catalog

SERIAL = "d073d5001337"


def _set_color(**kwargs: Any) -> Message:
    values: dict[str, Any] = {"hue": 120, "saturation": 1, "brightness": 0.5}
    values.update(kwargs)
    return LightMessages.SetColor(**values)


# -- the example of the issue ---------------------------------------------------------------


def test_issue_example() -> None:
    msg = LightMessages.SetColor(
        hue=120, saturation=1, brightness=0.5, kelvin=3500, duration=1.5, target=SERIAL, source=9
    )
    pkt = Messages.unpack(msg.pack())
    assert pkt | LightMessages.SetColor
    assert isinstance(pkt, LightMessages.SetColor)
    assert not (pkt | LightMessages.LightState)
    assert (pkt.hue, pkt.saturation, pkt.brightness, pkt.kelvin, pkt.duration) == (
        120.0,
        1.0,
        0.5,
        3500,
        1.5,
    )
    assert (pkt.raw("hue"), pkt.raw("saturation"), pkt.raw("brightness"), pkt.raw("duration")) == (
        21845,
        65535,
        32768,
        1500,
    )
    assert (pkt.serial, pkt.source, pkt.sequence, pkt.pkt_type) == (SERIAL, 9, 0, 102)
    assert pkt.ack_required is True and pkt.res_required is True
    assert pkt.as_dict() == {
        "hue": 120.0,
        "saturation": 1.0,
        "brightness": 0.5,
        "kelvin": 3500,
        "duration": 1.5,
    }
    assert LightMessages.SetColor.field_names == (
        "hue",
        "saturation",
        "brightness",
        "kelvin",
        "duration",
    )
    assert LightMessages.SetColor.reply_types == frozenset({107})


def test_registry() -> None:
    assert len(Messages.all()) == 77 == len(Messages) == len(list(Messages))
    assert set(Messages.namespaces) == {
        "CoreMessages", "DiscoveryMessages", "DeviceMessages", "LightMessages",
        "MultiZoneMessages", "TileMessages", "RelayMessages", "ButtonMessages",
    }  # fmt: skip
    assert sum(len(ns) for ns in Messages.namespaces.values()) == 77
    assert Messages.lookup("SetColor") is LightMessages.SetColor
    assert Messages.lookup("LightMessages.SetColor") is LightMessages.SetColor
    assert Messages.lookup("setcolor") is LightMessages.SetColor
    assert Messages.lookup(102) is LightMessages.SetColor
    assert Messages.lookup("102") is LightMessages.SetColor
    assert Messages.lookup("TileCopyFrameBuffer") is TileMessages.CopyFrameBuffer
    assert TileMessages.TileCopyFrameBuffer is TileMessages.CopyFrameBuffer
    assert Messages.by_type[716] is TileMessages.CopyFrameBuffer
    for key in ("SetColour", 9999, "DeviceMessages.SetColor", True, None):
        with pytest.raises(UnknownMessageError) as info:
            Messages.lookup(key)  # type: ignore[arg-type]
        assert isinstance(info.value, KeyError) and isinstance(info.value, ValidationError)
    with pytest.raises(AttributeError):
        LightMessages.Nope  # noqa: B018
    for ns_name, ns in Messages.namespaces.items():
        assert getattr(codec, ns_name) is ns
        for cls in ns:
            assert cls.namespace == ns_name
            assert getattr(ns, cls.name) is cls
            assert Messages.by_type[cls.pkt_type] is cls


def test_names_follow_photons() -> None:
    expected = {
        "CoreMessages": {"Acknowledgement": 45, "StateUnhandled": 223},
        "DiscoveryMessages": {"GetService": 2, "StateService": 3},
        "RelayMessages": {"GetRPower": 816, "SetRPower": 817, "StateRPower": 818},
        "ButtonMessages": {
            "GetButton": 905, "SetButton": 906, "ButtonState": 907,
            "GetConfig": 909, "SetConfig": 910, "StateConfig": 911,
        },
    }  # fmt: skip
    for ns, messages in expected.items():
        assert {c.name: c.pkt_type for c in Messages.namespaces[ns]} == messages
    assert DeviceMessages.StateInfo.pkt_type == 35
    assert MultiZoneMessages.StateExtendedColorZones.pkt_type == 512


# -- defaults ---------------------------------------------------------------------------------


def test_header_defaults_follow_photons() -> None:
    msg = DeviceMessages.GetPower()
    assert (msg.target, msg.serial, msg.source, msg.sequence) == (bytes(8), "000000000000", 0, 0)
    assert msg.ack_required is True and msg.res_required is True and msg.tagged is True


def test_field_defaults() -> None:
    assert MultiZoneMessages.GetColorZones().as_dict() == {"start_index": 0, "end_index": 255}
    assert TileMessages.Get64().as_dict() == {
        "tile_index": 0, "length": 255, "fb_index": 0, "x": 0, "y": 0, "width": 8,
    }  # fmt: skip
    assert RelayMessages.GetRPower().relay_index == 0
    assert _set_color().kelvin == 3500 and _set_color().duration == 0
    wave = LightMessages.SetWaveform(hue=0, saturation=0, brightness=0)
    assert (wave.transient, wave.period, wave.cycles, wave.skew_ratio, wave.raw("skew_ratio")) == (
        False, 0, 1.0, 0.0, -32768,
    )  # fmt: skip
    assert (
        MultiZoneMessages.SetColorZones(
            start_index=0, end_index=7, hue=0, saturation=0, brightness=0
        ).apply.name
        == "APPLY"
    )
    effect = MultiZoneMessages.SetMultiZoneEffect()
    assert effect.type.name == "MOVE" and effect.speed == 5.0 and 1 <= effect.instanceid < 2**32
    assert effect.as_dict()["parameters"] == {"speed_direction": "RIGHT"}
    sky = TileMessages.SetTileEffect(type="SKY", instanceid=1)
    assert sky.as_dict()["parameters"] == {
        "sky_type": "CLOUDS",
        "cloud_saturation_min": 51,
        "cloud_saturation_max": 178,
    }
    assert TileMessages.SetTileEffect(instanceid=1).as_dict()["parameters"] == {
        f"parameter{i}": 0 for i in range(8)
    }


def test_waveform_optional_flags() -> None:
    msg = LightMessages.SetWaveformOptional(brightness=0.5)
    assert (msg.set_hue, msg.set_saturation, msg.set_brightness, msg.set_kelvin) == (
        False,
        False,
        True,
        False,
    )
    msg = LightMessages.SetWaveformOptional(hue=10, kelvin=3500, set_hue=False)
    assert (msg.set_hue, msg.set_kelvin) == (False, True)
    clone = msg.clone(saturation=1)
    assert (clone.set_hue, clone.set_saturation, clone.set_kelvin) == (False, True, True)


def test_counts_follow_lists() -> None:
    msg = MultiZoneMessages.SetExtendedColorZones(
        colors=[(0, 1, 1), {"hue": 90, "saturation": 1, "brightness": 1}]
    )
    assert msg.colors_count == 2
    assert len(msg.colors) == 82
    assert msg.colors[1] == Color(90.0, 1.0, 1.0, 3500)
    assert msg.colors[2] == Color(0.0, 0.0, 0.0, 0)
    assert (
        MultiZoneMessages.SetExtendedColorZones(colors=[(0, 1, 1)], colors_count=5).colors_count
        == 5
    )
    assert msg.clone(colors=[(0, 0, 0)] * 7).colors_count == 7
    assert msg.clone(duration=2).colors_count == 2


# -- validation -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("build", "field", "value"),
    [
        (lambda: LightMessages.SetColor(hue=1, saturation=0), "brightness", None),
        (lambda: _set_color(colour=1), "colour", 1),
        (lambda: _set_color(saturation=1.1), "saturation", 1.1),
        (lambda: _set_color(brightness=-0.01), "brightness", -0.01),
        (lambda: _set_color(kelvin=70000), "kelvin", 70000),
        (lambda: _set_color(kelvin=3500.5), "kelvin", 3500.5),
        (lambda: _set_color(hue="red"), "hue", "red"),
        (lambda: _set_color(hue=math.nan), "hue", math.nan),
        (lambda: _set_color(duration=-1), "duration", -1),
        (lambda: _set_color(duration=5_000_000), "duration", 5_000_000),
        (lambda: DeviceMessages.SetPower(level=True), "level", True),
        (lambda: DeviceMessages.SetPower(level=70000), "level", 70000),
        (lambda: DeviceMessages.SetLabel(label=12), "label", 12),
        (lambda: DeviceMessages.SetLabel(label=b"x" * 33), "label", b"x" * 33),
        # a lone surrogate, as os.fsdecode gives for bytes that are not UTF-8
        (lambda: DeviceMessages.SetLabel(label="Kitchen \udcff"), "label", "Kitchen \udcff"),
        (lambda: DeviceMessages.SetGroup(group="zz", label="", updated_at=0), "group", "zz"),
        (lambda: DeviceMessages.EchoRequest(echoing=b"x" * 65), "echoing", b"x" * 65),
        (
            lambda: LightMessages.SetWaveform(hue=0, saturation=0, brightness=0, waveform="SQUARE"),
            "waveform",
            "SQUARE",
        ),
        (
            lambda: LightMessages.SetWaveform(hue=0, saturation=0, brightness=0, waveform=256),
            "waveform",
            256,
        ),
        (
            lambda: LightMessages.SetWaveform(hue=0, saturation=0, brightness=0, skew_ratio=1.5),
            "skew_ratio",
            1.5,
        ),
        (
            lambda: LightMessages.SetWaveform(hue=0, saturation=0, brightness=0, cycles=1e39),
            "cycles",
            1e39,
        ),
        (lambda: LightMessages.SetHevCycle(enable=2, duration_s=1), "enable", 2),
        (
            lambda: MultiZoneMessages.SetExtendedColorZones(colors=[(0, 0, 0)] * 83),
            "colors",
            [(0, 0, 0)] * 83,
        ),
        (
            lambda: MultiZoneMessages.SetExtendedColorZones(colors=[(0, 0, 0), (0, 2, 0)]),
            "colors[1].saturation",
            2,
        ),
        (
            lambda: MultiZoneMessages.SetExtendedColorZones(colors=[{"hue": 0, "saturation": 0}]),
            "colors[0].brightness",
            None,
        ),
        (lambda: MultiZoneMessages.SetExtendedColorZones(colors="red"), "colors", "red"),
        (
            lambda: TileMessages.SetTileEffect(type="SKY", parameters={"sky_type": "NOON"}),
            "parameters.sky_type",
            "NOON",
        ),
        (
            lambda: TileMessages.SetTileEffect(type="SKY", parameters={"speed_direction": 1}),
            "parameters.speed_direction",
            1,
        ),
        (
            lambda: ButtonMessages.SetButton(
                buttons=[{"actions": [{"gesture": "PRESS", "target_type": "DEVICE", "target": {}}]}]
            ),
            "buttons[0].actions[0].target.serial",
            None,
        ),
    ],
)
def test_validation_errors_name_message_field_and_value(build: Any, field: str, value: Any) -> None:
    with pytest.raises(ValidationError) as info:
        build()
    error = info.value
    assert isinstance(error, ValueError)
    assert error.field == field
    if isinstance(value, float) and math.isnan(value):
        assert math.isnan(error.value)
    else:
        assert error.value == value
    text = str(error)
    assert error.message_name in text and field in text and repr(error.value)[:20] in text
    assert error.reason and error.reason in text


@pytest.mark.parametrize(
    ("key", "value"),
    [("target", "d073d5"), ("target", 5), ("target", b"\x00" * 7), ("source", -1),
     ("source", 2**32), ("sequence", 256), ("sequence", 1.0), ("ack_required", "yes"),
     ("res_required", 2)],
)  # fmt: skip
def test_header_validation(key: str, value: Any) -> None:
    with pytest.raises(ValidationError) as info:
        DeviceMessages.GetPower(**{key: value})
    assert info.value.field == key and info.value.message_name == "GetPower"
    with pytest.raises(ValidationError):
        DeviceMessages.GetPower().clone(**{key: value})


def test_enums_by_name_member_or_defined_int() -> None:
    base: dict[str, Any] = {"hue": 0, "saturation": 0, "brightness": 0}
    for value in ("PULSE", "pulse", "LIGHT_WAVEFORM_PULSE", codec.Waveform.PULSE, 4):
        msg = LightMessages.SetWaveform(**base, waveform=value)
        assert msg.waveform is codec.Waveform.PULSE and msg.as_dict()["waveform"] == "PULSE"
    with pytest.raises(ValidationError):
        LightMessages.SetWaveform(**base, waveform=codec.Services.UDP)
    # a value the protocol does not define is refused, never sent as given
    for unknown in (77, 5, 255):
        with pytest.raises(ValidationError) as info:
            LightMessages.SetWaveform(**base, waveform=unknown)
        assert info.value.field == "waveform" and info.value.value == unknown
        assert "not a Waveform value" in str(info.value) and f"value={unknown}" in str(info.value)
    with pytest.raises(ValidationError) as info:
        MultiZoneMessages.SetMultiZoneEffect(type=9)
    assert info.value.field == "type" and info.value.value == 9
    with pytest.raises(ValidationError) as info:
        LightMessages.SetWaveform.from_raw(**base, waveform=99)
    assert info.value.field == "waveform" and info.value.value == 99
    # the protocol's RESERVED placeholders are defined values
    assert MultiZoneMessages.SetMultiZoneEffect(type=2).type == 2
    # a device newer than the tables may still send one: decoding keeps the int
    packet = bytearray(LightMessages.SetWaveform(**base, waveform=4).pack())
    assert packet[-1] == 4
    packet[-1] = 77
    odd = Messages.unpack(bytes(packet))
    assert odd.waveform == 77 and odd.as_dict()["waveform"] == 77
    button = ButtonMessages.SetButton(
        buttons=[
            {
                "actions": [
                    {
                        "gesture": "BUTTON_GESTURE_PRESS",
                        "target_type": "power_toggle_relays",
                        "target": {"relays": [1, 2]},
                    }
                ]
            }
        ]
    )
    action = button.buttons[0].actions[0]
    assert action.target_type is codec.ButtonTargetType.RELAYS
    assert action.target == {
        "relays_count": 2,
        "relays": (1, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0),
    }
    assert button.buttons_count == 1 and button.buttons[0].actions_count == 1


# -- labels and bytes ---------------------------------------------------------------------------


def test_label_traps() -> None:
    full = "x" * 32
    assert DeviceMessages.SetLabel(label=full).pack()[36:] == full.encode()
    assert Messages.unpack(DeviceMessages.StateLabel(label=full).pack()).label == full
    # text longer than the field is refused, not cut (in characters or in UTF-8 bytes)
    for label in ("x" * 33, "a" * 31 + "★", "é" * 17, "x" * 10_000_000):
        with pytest.raises(ValidationError) as info:
            DeviceMessages.SetLabel(label=label)
        assert info.value.field == "label" and info.value.value == label
        assert "at most 32 bytes" in str(info.value) and len(str(info.value)) < 200
    assert DeviceMessages.SetLabel(label="é" * 16).label == "é" * 16
    with pytest.raises(ValidationError) as info:
        DeviceMessages.SetLocation(location=bytes(16), label="l" * 40, updated_at=0)
    assert info.value.field == "label"
    # decoding stops at the first NUL and tolerates invalid UTF-8
    payload = b"ab\xffc\x00zzz".ljust(32, b"\x00")
    header = struct.pack("<HHI8s6xBB8xH2x", 68, 0x1400, 1, bytes(8), 0, 1, 25)
    assert Messages.unpack(header + payload).label == "ab\ufffdc"
    assert DeviceMessages.SetLabel(label="").pack()[36:] == bytes(32)
    assert DeviceMessages.SetLabel(label="Küche").label == "Küche"


def test_bytes_fields() -> None:
    echo = DeviceMessages.EchoRequest(echoing=b"hi")
    assert (
        echo.echoing == b"hi" + bytes(62) and echo.as_dict()["echoing"] == (b"hi" + bytes(62)).hex()
    )
    group = DeviceMessages.SetGroup(group="00112233", label="g", updated_at=0)
    assert group.group == bytes.fromhex("00112233") + bytes(12)


# -- header ---------------------------------------------------------------------------------------


def test_tagged_iff_target_zero() -> None:
    broadcast = DiscoveryMessages.GetService(ack_required=False).pack()
    assert broadcast[2:4] == b"\x00\x34"
    unicast = DiscoveryMessages.GetService(target=SERIAL).pack()
    assert unicast[2:4] == b"\x00\x14"
    assert unpack_header(broadcast).tagged is True and unpack_header(unicast).tagged is False
    msg = DeviceMessages.GetPower(target=SERIAL)
    assert msg.pack_for(bytes(8), 1, 1)[2:4] == b"\x00\x34"
    assert msg.clone(target=None).tagged is True


def test_header_layout() -> None:
    msg = DeviceMessages.SetPower(
        level=65535,
        target=SERIAL,
        source=0x01020304,
        sequence=200,
        ack_required=True,
        res_required=False,
    )
    data = msg.pack()
    assert len(data) == HEADER_SIZE + 2
    assert data[:2] == struct.pack("<H", 38)
    assert data[4:8] == struct.pack("<I", 0x01020304)
    assert data[8:16] == bytes.fromhex(SERIAL) + b"\x00\x00"
    assert data[22] == 0b10 and data[23] == 200
    assert data[32:34] == struct.pack("<H", 21)
    header = unpack_header(data)
    assert header == Header(
        38, 1024, True, False, 0x01020304, bytes.fromhex(SERIAL + "0000"), False, True, 200, 21
    )


def test_header_reserved_bits_tolerated() -> None:
    data = bytearray(LightMessages.GetColor(target=SERIAL, source=5, sequence=3).pack())
    data[3] |= 0xC0  # origin bits
    data[16:22] = b"LIFXV2"
    data[22] |= 0xFC
    data[24:32] = b"\xff" * 8
    data[34:36] = b"\xff\xff"
    pkt = Messages.unpack(bytes(data))
    assert pkt | LightMessages.GetColor and (pkt.source, pkt.sequence, pkt.serial) == (5, 3, SERIAL)
    assert pkt.ack_required and pkt.res_required
    # the transport's path (header first, then the payload) gives the same packet
    again = Messages.unpack_after_header(unpack_header(bytes(data)), bytes(data))
    assert again == pkt and again.header_dict() == pkt.header_dict()


@pytest.mark.parametrize(
    ("mutate", "reason"),
    [
        (lambda d: d[:35], "shorter"),
        (lambda d: d[:-1], "size"),
        (lambda d: d + b"\x00", "size"),
        (lambda d: struct.pack("<H", len(d) + 1) + d[2:] + b"\x00", "payload"),
        (lambda d: struct.pack("<H", len(d) - 1) + d[2:-1], "payload"),
        (lambda d: d[:2] + b"\x00\x15" + d[4:], "protocol"),
    ],
)
def test_decode_errors(mutate: Any, reason: str) -> None:
    data = _set_color(target=SERIAL).pack()
    with pytest.raises(DecodeError) as info:
        Messages.unpack(mutate(data))
    assert reason in str(info.value)


def test_serial_helpers() -> None:
    target = bytes.fromhex(SERIAL) + b"\x00\x00"
    for value in (SERIAL, SERIAL.upper(), SERIAL + "0000", bytes.fromhex(SERIAL), target):
        assert serial_to_target(value) == target
        assert DeviceMessages.GetPower(target=value).target == target
    assert serial_to_target(None) == bytes(8)
    assert target_to_serial(target) == SERIAL
    with pytest.raises(ValidationError):
        serial_to_target("xyz")


# -- messages ---------------------------------------------------------------------------------


def test_immutable_and_clone() -> None:
    msg = _set_color(target=SERIAL, source=3)
    with pytest.raises(AttributeError):
        setattr(msg, "hue", 5)  # noqa: B010
    with pytest.raises(AttributeError):
        setattr(msg, "source", 5)  # noqa: B010
    with pytest.raises(AttributeError):
        setattr(msg, "anything", 5)  # noqa: B010
    with pytest.raises(AttributeError, match="no field 'colour'"):
        msg.colour  # noqa: B018
    other = msg.clone(hue=240, sequence=9)
    assert (other.hue, other.sequence, other.source, other.serial) == (240.0, 9, 3, SERIAL)
    assert (msg.hue, msg.sequence) == (120.0, 0)
    assert other.clone(hue=120, sequence=0) == msg
    with pytest.raises(ValidationError) as info:
        msg.clone(saturation=2)
    assert info.value.field == "saturation"
    with pytest.raises(ValidationError):
        msg.clone(colour=2)
    effect = TileMessages.SetTileEffect(
        type="SKY", instanceid=4, parameters={"cloud_saturation_min": 9}
    )
    morph = effect.clone(type="MORPH")
    assert morph.instanceid == 4 and morph.parameters == {f"parameter{i}": 0 for i in range(8)}


def test_pack_for_reuses_payload() -> None:
    msg = _set_color(target=SERIAL)
    data = msg.pack_for(bytes.fromhex("d073d5000002") + b"\x00\x00", 77, 254)
    pkt = Messages.unpack(data)
    assert (pkt.serial, pkt.source, pkt.sequence) == ("d073d5000002", 77, 254)
    assert data[36:] == msg.pack()[36:]
    assert msg.pack_for(SERIAL, 1, 1) == msg.clone(source=1, sequence=1).pack()  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        msg.pack_for(bytes(8), 1, 256)


def test_from_raw() -> None:
    msg = LightMessages.SetColor.from_raw(
        hue=21845, saturation=65535, brightness=32768, duration=1500
    )
    assert msg == _set_color(duration=1.5)
    label = DeviceMessages.SetLabel.from_raw(label=b"kitchen")
    assert label.label == "kitchen" and label.raw("label") == b"kitchen".ljust(32, b"\x00")
    with pytest.raises(ValidationError):
        LightMessages.SetColor.from_raw(hue=65536, saturation=0, brightness=0)


def test_as_dict_is_json() -> None:
    chain = TileMessages.StateDeviceChain(tile_devices=[{"user_x": 1.5, "width": 8}])
    data = json.loads(json.dumps(chain.as_dict()))
    assert data["tile_devices_count"] == 1 and len(data["tile_devices"]) == 16
    assert data["tile_devices"][0]["user_x"] == 1.5


def test_hue_units() -> None:
    def enc(h: float) -> int:
        return int(LightMessages.SetColor(hue=h, saturation=0, brightness=0).raw("hue"))

    assert enc(120) == 21845 and enc(360) == enc(0) == 0 and enc(-90) == 49152 and enc(720) == 0
    assert LightMessages.SetColor.from_raw(hue=65535, saturation=0, brightness=0).hue == 359.99


def test_durations() -> None:
    assert _set_color(duration=1.5).raw("duration") == 1500
    assert _set_color(duration=1.001).raw("duration") == 1001  # photons: 1000 (float noise)
    assert _set_color(duration=2.0009).raw("duration") == 2000
    effect = MultiZoneMessages.SetMultiZoneEffect(duration=1.5, instanceid=1)
    assert effect.raw("duration") == 1_500_000_000


# -- replies ----------------------------------------------------------------------------------


def _zones_reply(cls: type[Message], zones: int) -> Message:
    color: dict[str, Any] = {"hue": 0, "saturation": 0, "brightness": 0}
    return cls(zones_count=zones, zone_index=0, **({} if "colors" in cls.field_names else color))


@pytest.mark.parametrize(
    ("start", "end", "zones", "expected"),
    [
        (0, 255, 16, 2),
        (0, 255, 24, 3),
        (0, 7, 16, 1),
        (0, 8, 82, 2),
        (0, 255, 82, 11),
        (8, 15, 16, 1),
        (5, 2, 16, 1),
    ],
)
def test_color_zones_reply_count(start: int, end: int, zones: int, expected: int) -> None:
    request = MultiZoneMessages.GetColorZones(start_index=start, end_index=end)
    assert request.expected_replies(_zones_reply(MultiZoneMessages.StateMultiZone, zones)) == (
        expected,
        True,
    )
    assert request.expected_replies(_zones_reply(MultiZoneMessages.StateZone, zones)) == (1, True)
    setter = MultiZoneMessages.SetColorZones(
        start_index=start, end_index=end, hue=0, saturation=0, brightness=0
    )
    assert setter.expected_replies(_zones_reply(MultiZoneMessages.StateMultiZone, zones)) == (
        expected,
        True,
    )


@pytest.mark.parametrize(
    ("zones", "expected"), [(1, 1), (16, 1), (82, 1), (83, 2), (120, 2), (164, 2), (165, 3)]
)
def test_extended_zone_reply_count(zones: int, expected: int) -> None:
    reply = MultiZoneMessages.StateExtendedColorZones(zones_count=zones, zone_index=0)
    assert MultiZoneMessages.GetExtendedColorZones().expected_replies(reply) == (expected, True)
    assert MultiZoneMessages.SetExtendedColorZones().expected_replies(reply) == (expected, True)


def test_other_reply_counts() -> None:
    state = TileMessages.State64(tile_index=0)
    assert TileMessages.Get64(length=5).expected_replies(state) == (5, False)
    assert TileMessages.Get64().expected_replies(state) == (255, False)
    service = DiscoveryMessages.StateService(service="UDP", port=56700)
    assert DiscoveryMessages.GetService().expected_replies(service) == (None, False)
    assert LightMessages.GetColor().expected_replies(
        LightMessages.LightState(hue=0, saturation=0, brightness=0, power=0, label="")
    ) == (1, True)
    unhandled = CoreMessages.StateUnhandled(unhandled_type=502)
    assert MultiZoneMessages.GetColorZones().expected_replies(unhandled) == (1, True)


def test_reply_types() -> None:
    for name in (
        "Set64",
        "CopyFrameBuffer",
        "SetUserPosition",
        "SetReboot",
        "Acknowledgement",
        "LightState",
        "StateUnhandled",
    ):
        assert Messages.lookup(name).reply_types == frozenset(), name
    assert MultiZoneMessages.GetColorZones.reply_types == {503, 506}
    assert DiscoveryMessages.GetService.reply_types == {3}
    assert ButtonMessages.SetButton.reply_types == {907}
    assert RelayMessages.SetRPower.reply_types == {818}
    for cls in Messages.all():
        if cls.name.startswith(("Get", "Set")) and cls.name not in (
            "Set64",
            "SetReboot",
            "SetUserPosition",
        ):
            assert cls.reply_types, cls.name


def test_catalog() -> None:
    rows = catalog()
    assert len(rows) == 77
    assert ("LightMessages", "SetColor", 102) == rows[[r[1] for r in rows].index("SetColor")][:3]
    row = next(r for r in rows if r[1] == "SetColor")
    assert [f[0] for f in row[3]] == ["hue", "saturation", "brightness", "kelvin", "duration"]
    assert row[4] == ("LightState",)


def test_speed() -> None:
    """Not a benchmark: a guard against an accidental 10x slowdown of the hot path."""
    msg = _set_color(target=SERIAL)
    data = msg.pack()
    seconds = (
        min(
            timeit.repeat(
                lambda: Messages.unpack(msg.pack_for(msg.target, 1, 2)), number=2000, repeat=3
            )
        )
        / 2000
    )
    assert seconds < 50e-6
    assert Messages.unpack(data) == msg


def test_decoding_tables_hold_photons_rounding_for_every_wire_value() -> None:
    """The hue and fraction tables replace round() at run time: every entry must match it."""
    from custom_components.lifx_script.engine.codec.fields.units import (
        FRACTION_FROM_WIRE,
        HUE_FROM_WIRE,
    )

    assert len(HUE_FROM_WIRE) == len(FRACTION_FROM_WIRE) == 0x10000
    for w in range(0x10000):
        assert HUE_FROM_WIRE[w] == round(float(w) * 360 / 0x10000, 2), w
        assert FRACTION_FROM_WIRE[w] == round(float(w) / 0xFFFF, 4), w
