"""Messages.unpack on random and mutated bytes: a message or DecodeError, nothing else."""

from __future__ import annotations

import json
import random
import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from custom_components.lifx_script.engine.codec import (
    DecodeError,
    Message,
    Messages,
    UnknownPacket,
    unpack_header,
)

from .helpers import golden_records

GOLDEN = [bytes.fromhex(r["hex"]) for r in golden_records()]


def _exercise(data: bytes) -> None:
    """Decode, and when that works, read every value and pack again."""
    try:
        pkt = Messages.unpack(data)
    except DecodeError:
        try:
            header = unpack_header(data)
        except DecodeError:
            return  # the header alone is bad
        cls = Messages.by_type.get(header.pkt_type)
        assert cls is not None and len(data) - 36 != cls.payload_size
        return
    assert isinstance(pkt, Message)
    json.dumps(pkt.as_dict())
    json.dumps(pkt.header_dict())
    repr(pkt)
    for key in pkt.field_names:
        pkt.raw(key)
    again = pkt.pack()
    assert again[36:] == data[36:]
    assert Messages.unpack(again) == pkt
    if isinstance(pkt, UnknownPacket):
        assert pkt.payload == data[36:]


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=1000))
def test_random_bytes(data: bytes) -> None:
    _exercise(data)


@st.composite
def _framed(draw: st.DrawFn) -> bytes:
    """Random payloads behind a plausible header, so decoding goes past the header checks."""
    pkt_type = draw(st.sampled_from([*Messages.by_type, 0, 9999, 65535]))
    cls = Messages.by_type.get(pkt_type)
    size = (
        cls.payload_size if cls is not None and draw(st.booleans()) else draw(st.integers(0, 900))
    )
    payload = draw(st.binary(min_size=size, max_size=size))
    word = 1024 | draw(st.sampled_from([0, 0x1000, 0x3000, 0xC000, 0xF000]))
    header = struct.pack(
        "<HHI8s6sBB8sH2s",
        36 + size,
        word,
        draw(st.integers(0, 2**32 - 1)),
        draw(st.binary(min_size=8, max_size=8)),
        draw(st.binary(min_size=6, max_size=6)),
        draw(st.integers(0, 255)),
        draw(st.integers(0, 255)),
        draw(st.binary(min_size=8, max_size=8)),
        pkt_type,
        draw(st.binary(min_size=2, max_size=2)),
    )
    return header + payload


@settings(max_examples=800, deadline=None)
@given(_framed())
def test_framed_random_payloads(data: bytes) -> None:
    _exercise(data)


@settings(max_examples=1000, deadline=None)
@given(st.sampled_from(GOLDEN), st.data())
def test_mutated_golden_packets(base: bytes, data: st.DataObject) -> None:
    packet = bytearray(base)
    for _ in range(data.draw(st.integers(1, 8))):
        op = data.draw(st.sampled_from(["flip", "truncate", "extend", "set"]))
        if op == "flip" and packet:
            i = data.draw(st.integers(0, len(packet) - 1))
            packet[i] ^= 1 << data.draw(st.integers(0, 7))
        elif op == "truncate":
            del packet[data.draw(st.integers(0, len(packet))) :]
        elif op == "extend":
            packet.extend(data.draw(st.binary(min_size=1, max_size=20)))
        elif op == "set" and packet:
            i = data.draw(st.integers(0, len(packet) - 1))
            packet[i] = data.draw(st.integers(0, 255))
    _exercise(bytes(packet))


def test_seeded_bulk_mutation() -> None:
    """A fixed-seed sweep of many more mutations than hypothesis runs, including size fixes."""
    rng = random.Random(1024)
    for _ in range(20000):
        packet = bytearray(rng.choice(GOLDEN))
        for _ in range(rng.randint(1, 6)):
            i = rng.randrange(len(packet))
            packet[i] = rng.randrange(256)
        if rng.random() < 0.7:  # keep the size and protocol right so the payload gets decoded
            struct.pack_into("<H", packet, 0, len(packet))
            packet[2] = 0x00
            packet[3] = (packet[3] & 0xF0) | 0x04
        _exercise(bytes(packet))


@pytest.mark.parametrize(
    "data",
    [b"", b"\x00" * 35, "not bytes", None, 12, bytearray(36), memoryview(b"\x24\x00" + bytes(34))],
    ids=["empty", "short", "str", "none", "int", "zeros", "memoryview-zero-protocol"],
)
def test_garbage_objects(data: object) -> None:
    with pytest.raises(DecodeError):
        Messages.unpack(data)


def test_unknown_type_is_a_packet() -> None:
    payload = b"\x01\x02\x03"
    header = struct.pack(
        "<HHI8s6xBB8xH2x", 39, 0x1400, 7, b"\xd0\x73\xd5\x00\x00\x01\x00\x00", 0, 9, 4242
    )
    pkt = Messages.unpack(header + payload)
    assert isinstance(pkt, UnknownPacket)
    assert (pkt.pkt_type, pkt.payload, pkt.serial, pkt.sequence) == (
        4242,
        payload,
        "d073d5000001",
        9,
    )
    assert pkt.as_dict() == {"payload": "010203"}
    assert pkt.pack() == header + payload
    assert not (pkt | Messages.lookup("SetColor"))
