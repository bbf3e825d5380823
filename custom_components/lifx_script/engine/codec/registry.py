"""Namespaces and the ``Messages`` registry: lookup by name or type, and unpacking."""

from __future__ import annotations

import struct
from collections.abc import Iterator
from typing import Any

from .errors import DecodeError, UnknownMessageError
from .header import HEADER_SIZE, TAGGED_BIT, Header, read_header_fields
from .message import Message, MessageDef, UnknownPacket, build_message_class

# what odd bytes (or a non-bytes argument) make the struct and field code raise
_BAD_BYTES = (TypeError, ValueError, struct.error, IndexError, OverflowError)

# other spellings accepted by lookup and as namespace attributes
ALIASES: dict[str, str] = {"TileCopyFrameBuffer": "CopyFrameBuffer"}


class Namespace:
    """One photons namespace (e.g. ``LightMessages``): its message classes as attributes."""

    def __init__(self, name: str, classes: list[type[Message]]) -> None:
        self.name = name
        self.by_name: dict[str, type[Message]] = {cls.name: cls for cls in classes}
        self._classes = tuple(classes)

    def __getattr__(self, key: str) -> type[Message]:
        by_name: dict[str, type[Message]] = self.__dict__.get("by_name", {})
        cls = by_name.get(key) or by_name.get(ALIASES.get(key, ""))
        if cls is None:
            raise AttributeError(f"{self.__dict__.get('name', 'namespace')} has no message {key!r}")
        return cls

    def __iter__(self) -> Iterator[type[Message]]:
        return iter(self._classes)

    def __len__(self) -> int:
        return len(self._classes)

    def __contains__(self, item: object) -> bool:
        return item in self._classes

    def __dir__(self) -> list[str]:
        return [*super().__dir__(), *self.by_name]

    def __repr__(self) -> str:
        return f"<{self.name}: {len(self._classes)} messages>"


class MessageRegistry:
    """Every message class, by pkt_type and by name, plus ``unpack`` for network bytes."""

    def __init__(self, tables: tuple[tuple[str, tuple[MessageDef, ...]], ...]) -> None:
        self.namespaces: dict[str, Namespace] = {}
        self.by_type: dict[int, type[Message]] = {}
        self._by_name: dict[str, type[Message]] = {}
        self._by_lower: dict[str, type[Message] | None] = {}
        classes: list[type[Message]] = []
        for namespace, definitions in tables:
            built = [build_message_class(namespace, d) for d in definitions]
            self.namespaces[namespace] = Namespace(namespace, built)
            for cls in built:
                if cls.pkt_type in self.by_type:
                    raise ValueError(f"duplicate pkt_type {cls.pkt_type}")
                if cls.name in self._by_name:
                    raise ValueError(f"duplicate message name {cls.name}")
                self.by_type[cls.pkt_type] = cls
                self._by_name[cls.name] = cls
                self._by_name[f"{namespace}.{cls.name}"] = cls
                classes.append(cls)
        for alias, target in ALIASES.items():
            cls = self._by_name[target]
            self._by_name[alias] = cls
            self._by_name[f"{cls.namespace}.{alias}"] = cls
        for key, cls in self._by_name.items():
            lower = key.lower()
            previous = self._by_lower.get(lower, cls)
            self._by_lower[lower] = cls if previous is cls else None
        for cls in classes:
            type.__setattr__(
                cls,
                "reply_types",
                frozenset(self._by_name[reply].pkt_type for reply in cls.reply_names),
            )
        self._classes = tuple(classes)

    def all(self) -> list[type[Message]]:
        """Every message class, in table order."""
        return list(self._classes)

    def __iter__(self) -> Iterator[type[Message]]:
        return iter(self._classes)

    def __len__(self) -> int:
        return len(self._classes)

    def lookup(self, key: str | int) -> type[Message]:
        """The class for "SetColor", "LightMessages.SetColor" (any case) or 102."""
        if isinstance(key, bool):
            raise UnknownMessageError(key, "expected a name or a pkt_type")
        if isinstance(key, int):
            cls = self.by_type.get(key)
            if cls is None:
                raise UnknownMessageError(key, "no message has this pkt_type")
            return cls
        if not isinstance(key, str):
            raise UnknownMessageError(key, "expected a name or a pkt_type")
        text = key.strip()
        if text.isdigit():
            return self.lookup(int(text))
        cls = self._by_name.get(text)
        if cls is not None:
            return cls
        lowered = self._by_lower.get(text.lower())
        if lowered is not None:
            return lowered
        raise UnknownMessageError(key)

    def unpack(self, data: Any) -> Message:
        """Decode one packet from the network.

        Raises DecodeError, and nothing else, for bad bytes: too short, a size field
        that differs from the data's length, protocol other than 1024, or a payload
        whose length differs from its message's (extra bytes are refused, not
        ignored). An unknown pkt_type gives an UnknownPacket, not an error.
        """
        try:
            _, word, source, target, flags, sequence, pkt_type = read_header_fields(data)
        except _BAD_BYTES as error:
            raise DecodeError(f"cannot decode packet: {error}") from None
        return self._decode(
            data, pkt_type, target, source, sequence, flags, bool(word & TAGGED_BIT)
        )

    def unpack_after_header(self, header: Header, data: Any) -> Message:
        """Decode a packet whose header ``unpack_header`` has already read (the transport
        matches replies by header first); raises as ``unpack`` does."""
        h = header
        flags = int(h.res_required) | int(h.ack_required) << 1
        return self._decode(data, h.pkt_type, h.target, h.source, h.sequence, flags, h.tagged)

    def _decode(
        self,
        data: Any,
        pkt_type: int,
        target: bytes,
        source: int,
        sequence: int,
        flags: int,
        tagged: bool,
    ) -> Message:
        try:
            payload = bytes(data[HEADER_SIZE:])
            cls = self.by_type.get(pkt_type)
            if cls is None:
                return UnknownPacket._from_network(
                    pkt_type, payload, target, source, sequence, flags, tagged
                )
            if len(payload) != cls.payload_size:
                raise DecodeError(
                    f"{cls.name} payload is {len(payload)} bytes, expected {cls.payload_size}"
                )
            items = cls._struct.unpack(payload)
            return cls._from_wire(items, payload, target, source, sequence, flags, tagged)
        except DecodeError:
            raise
        except _BAD_BYTES as error:
            raise DecodeError(f"cannot decode packet: {error}") from None
