"""The 36-byte LIFX header: packing, cheap unpacking and serial/target helpers.

Layout (little-endian): size u16 | protocol 12 bits, addressable bit 12, tagged
bit 13 | source u32 | target 8 bytes | 6 reserved | flags (bit 0 res_required,
bit 1 ack_required) | sequence u8 | 8 reserved | pkt_type u16 | 2 reserved.
Reserved bits and bytes are written as zero and ignored when read.
"""

from __future__ import annotations

import struct
from typing import Any, NamedTuple

from .errors import DecodeError, ValidationError

HEADER_SIZE = 36
PROTOCOL = 1024
ZERO_TARGET = b"\x00" * 8

_HEADER = struct.Struct("<HHI8s6xBB8xH2x")
_ADDRESSABLE = 0x1000
TAGGED_BIT = 0x2000
# protocol word as packed: protocol 1024 | addressable, plus tagged when broadcast
UNICAST_WORD = PROTOCOL | _ADDRESSABLE
TAGGED_WORD = PROTOCOL | _ADDRESSABLE | TAGGED_BIT

pack_header_fields = _HEADER.pack
unpack_header_fields = _HEADER.unpack_from


class Header(NamedTuple):
    """The header fields of a packet, read before (and without) decoding its payload."""

    size: int
    protocol: int
    addressable: bool
    tagged: bool
    source: int
    target: bytes
    res_required: bool
    ack_required: bool
    sequence: int
    pkt_type: int


def read_header_fields(
    data: bytes | bytearray | memoryview,
) -> tuple[int, int, int, bytes, int, int, int]:
    """The raw header fields (size, protocol word, source, target, flags, sequence,
    pkt_type) of a packet whose header is sound.

    Raises DecodeError when the data is shorter than a header, its size field
    disagrees with the data's length, or the protocol is not 1024.
    """
    n = len(data)
    if n < HEADER_SIZE:
        raise DecodeError(f"packet of {n} bytes is shorter than the 36-byte header")
    fields: tuple[int, int, int, bytes, int, int, int] = unpack_header_fields(data)
    if fields[0] != n:
        raise DecodeError(f"size field says {fields[0]} bytes but the packet has {n}")
    if fields[1] & 0xFFF != PROTOCOL:
        raise DecodeError(f"protocol {fields[1] & 0xFFF} is not 1024")
    return fields


def unpack_header(data: bytes | bytearray | memoryview) -> Header:
    """Read the header so the transport can match a reply by (source, sequence, target).

    Raises DecodeError as read_header_fields does.
    """
    size, word, source, target, flags, sequence, pkt_type = read_header_fields(data)
    return Header(
        size,
        PROTOCOL,
        bool(word & _ADDRESSABLE),
        bool(word & TAGGED_BIT),
        source,
        target,
        bool(flags & 1),
        bool(flags & 2),
        sequence,
        pkt_type,
    )


_TARGET_CACHE: dict[bytes, str] = {}
_SERIAL_CACHE: dict[str, bytes] = {}


def target_to_serial(target: bytes) -> str:
    """The 12-hex-digit serial of an 8-byte (or 6-byte) target; zeros for broadcast."""
    serial = _TARGET_CACHE.get(target)
    if serial is None:
        serial = bytes(target[:6]).hex()
        if len(_TARGET_CACHE) < 4096:
            _TARGET_CACHE[bytes(target)] = serial
    return serial


def serial_to_target(value: Any, message_name: str = "") -> bytes:
    """Normalise a target given as None, 12 or 16 hex digits, or 6 or 8 bytes, to 8 bytes.

    None and all-zero values mean broadcast (the packet is sent tagged).
    """
    if value.__class__ is str:  # the common case, once per message built: cached
        cached = _SERIAL_CACHE.get(value)
        if cached is not None:
            return cached
    if value is None:
        return ZERO_TARGET
    if isinstance(value, bytes | bytearray | memoryview):
        raw = bytes(value)
        if len(raw) == 8:
            return raw
        if len(raw) == 6:
            return raw + b"\x00\x00"
        raise ValidationError(message_name, "target", value, "a target must be 6 or 8 bytes")
    if isinstance(value, str):
        text = value.strip().lower()
        if len(text) in (12, 16):
            try:
                raw = bytes.fromhex(text)
            except ValueError:
                pass
            else:
                target = raw if len(raw) == 8 else raw + b"\x00\x00"
                if len(_SERIAL_CACHE) < 4096:
                    _SERIAL_CACHE[value] = target
                return target
        raise ValidationError(
            message_name, "target", value, "a serial must be 12 (or 16) hex digits"
        )
    raise ValidationError(
        message_name, "target", value, "a target must be a hex serial, bytes or None"
    )
