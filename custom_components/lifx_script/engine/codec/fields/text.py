"""Strings, opaque bytes and reserved gaps."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from ..errors import FieldError
from .base import FieldType, Items, Scalar


def _decode_string(data: bytes) -> str:
    end = data.find(b"\x00")
    if end >= 0:
        data = data[:end]
    return data.decode("utf-8", "replace")


class String(Scalar):
    """UTF-8 text, NUL-padded to the field; text longer than the field is refused, not cut.

    Decoding stops at the first NUL and replaces invalid UTF-8; a full-length
    value has no terminator.
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self.fmt = f"{size}s"

    def encode(self, value: Any, out: list[Any]) -> None:
        if isinstance(value, str):
            # every character takes at least one byte: a longer text is refused unencoded
            if len(value) > self.size:
                raise FieldError(
                    f"at most {self.size} bytes of UTF-8, got {len(value)} characters", value
                )
            try:
                data = value.encode("utf-8")
            except UnicodeEncodeError as error:  # a lone surrogate (os.fsdecode and the like)
                raise FieldError(f"not valid text: {error.reason}", value) from None
            if len(data) > self.size:
                raise FieldError(f"at most {self.size} bytes of UTF-8, got {len(data)}", value)
            out.append(data.ljust(self.size, b"\x00"))
            return
        self.encode_raw(value, out)

    def encode_raw(self, value: Any, out: list[Any]) -> None:
        if isinstance(value, bytes | bytearray | memoryview):
            data = bytes(value)
            if len(data) > self.size:
                raise FieldError(f"at most {self.size} bytes", value)
            out.append(data.ljust(self.size, b"\x00"))
            return
        raise FieldError(f"expected a string, got {type(value).__name__}", value)

    def converter(self) -> Callable[[Any], Any] | None:
        return _decode_string

    def decode(self, items: Items, i: int) -> Any:
        return _decode_string(items[i])

    def zero(self, out: list[Any]) -> None:
        out.append(bytes(self.size))

    def describe(self) -> str:
        return f"string({self.size})"


class Bytes(Scalar):
    """Opaque bytes (ids, echo payloads): bytes, hex string or UUID; zero-padded."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.fmt = f"{size}s"

    def encode(self, value: Any, out: list[Any]) -> None:
        if isinstance(value, bytes | bytearray | memoryview):
            data = bytes(value)
        elif isinstance(value, str):
            try:
                data = bytes.fromhex(value)
            except ValueError:
                raise FieldError("expected bytes or a hex string", value) from None
        elif isinstance(value, uuid.UUID):
            data = value.bytes
        else:
            raise FieldError(f"expected bytes or a hex string, got {type(value).__name__}", value)
        if len(data) > self.size:
            raise FieldError(f"at most {self.size} bytes", value)
        out.append(data.ljust(self.size, b"\x00"))

    encode_raw = encode

    def decode(self, items: Items, i: int) -> Any:
        data: bytes = items[i]
        if len(data) < self.size:  # only for values built by hand, never from the wire
            data = data.ljust(self.size, b"\x00")
        return data

    decode_raw = decode

    def zero(self, out: list[Any]) -> None:
        out.append(bytes(self.size))

    def describe(self) -> str:
        return f"bytes({self.size})"


class Reserved(FieldType):
    """Reserved bytes: written as zeros, skipped when read (never validated)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.fmt = f"{size}x"
        self.n = 0

    def describe(self) -> str:
        return f"reserved({self.size})"
