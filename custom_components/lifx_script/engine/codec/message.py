"""The Message base class and the builder that turns a table entry into a class.

A message instance holds its header values and the flat tuple of wire items of
its payload (``_wire``); human values are decoded from the wire items when read
(arrays, records and unions once, then cached), so unpacking is cheap and what a
user reads is exactly what goes on the wire. Messages are immutable (slots and
read-only attributes): use :meth:`Message.clone`.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, NamedTuple

from .errors import FieldError, ValidationError
from .fastinit import compile_init
from .fields import MISSING, Derived, FieldType, Layout, Scalar, Spec, Union, jsonable
from .header import (
    HEADER_SIZE,
    TAGGED_WORD,
    UNICAST_WORD,
    ZERO_TARGET,
    pack_header_fields,
    serial_to_target,
    target_to_serial,
)

HEADER_KEYWORDS = frozenset({"target", "source", "sequence", "ack_required", "res_required"})

# names a field may not take because the Message API uses them
_TAKEN = frozenset(
    {
        "target", "serial", "source", "sequence", "ack_required", "res_required", "tagged",
        "pkt_type", "name", "namespace", "field_names", "reply_types", "payload_size",
        "pack", "pack_for", "clone", "raw", "raw_dict", "as_dict", "header_dict",
        "expected_replies", "from_raw", "payload",
    }
)  # fmt: skip


class MessageDef(NamedTuple):
    """One table entry: a message's name, type number, fields and replies."""

    name: str
    pkt_type: int
    specs: tuple[Spec, ...]
    replies: tuple[str, ...]
    multi: str


def msg(
    name: str,
    pkt_type: int,
    *specs: Spec,
    reply: str | Sequence[str] = (),
    multi: str = "single",
) -> MessageDef:
    """Declare a message in a namespace table.

    ``reply`` names the State message(s) the request is answered with; ``multi``
    selects the reply-count rule (single, color_zones, extended, get64, unbounded).
    """
    replies = (reply,) if isinstance(reply, str) else tuple(reply)
    return MessageDef(name, pkt_type, tuple(specs), replies, multi)


class _FieldAttr:
    """Class attribute of a scalar field: converts its wire item on each access (cheap)."""

    __slots__ = ("convert", "decode", "ftype", "index", "name")

    def __init__(self, name: str, ftype: FieldType, index: int) -> None:
        self.name = name
        self.ftype = ftype
        self.index = index
        self.decode = ftype.decode
        self.convert = ftype.converter() if isinstance(ftype, Scalar) else None

    def __get__(self, inst: Message | None, owner: type | None = None) -> Any:
        if inst is None:
            return self
        convert = self.convert
        if convert is None:
            return inst._wire[self.index]
        return convert(inst._wire[self.index])


class _CachedFieldAttr(_FieldAttr):
    """Class attribute of an array, record or union field: decoded once, then cached."""

    __slots__ = ()

    def __get__(self, inst: Message | None, owner: type | None = None) -> Any:
        if inst is None:
            return self
        cache = inst._cache
        if cache is None:
            cache = inst._cache = {}
        value = cache.get(self.name, MISSING)
        if value is MISSING:
            value = cache[self.name] = self.decode(inst._wire, self.index)
        return value


def _check_flag(name: str, key: str, value: Any) -> bool:
    if value is True or value is False:
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    raise ValidationError(name, key, value, "expected a bool")


def _check_uint(name: str, key: str, value: Any, hi: int) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= hi:
        return int(value)
    raise ValidationError(name, key, value, f"expected an integer between 0 and {hi}")


def _generic_init(
    self: Message,
    fields: Mapping[str, Any],
    target: Any,
    source: Any,
    sequence: Any,
    ack_required: Any,
    res_required: Any,
) -> None:
    """The generic constructor, which a compiled one (codec/fastinit.py) falls back to."""
    self._init(fields, False)
    self._set_header(target, source, sequence, ack_required, res_required)


class Message:
    """Base of every LIFX message class.

    Construct with human values and header keywords, e.g.
    ``LightMessages.SetColor(hue=120, saturation=1, brightness=0.5, target="d073d5001337")``;
    or with wire values through :meth:`from_raw`. Header defaults follow photons:
    ``ack_required=True``, ``res_required=True``, ``source=0``, ``sequence=0``,
    ``target=None`` (broadcast, sent tagged). Instances are immutable (slots,
    read-only attributes): derive new ones with :meth:`clone`.
    """

    __slots__ = (
        "_ack",
        "_cache",
        "_payload",
        "_res",
        "_sequence",
        "_source",
        "_tagged",
        "_target",
        "_wire",
    )

    pkt_type: int = -1
    name: ClassVar[str] = "Message"
    namespace: ClassVar[str] = ""
    field_names: ClassVar[tuple[str, ...]] = ()
    reply_types: ClassVar[frozenset[int]] = frozenset()
    reply_names: ClassVar[tuple[str, ...]] = ()
    payload_size: ClassVar[int] = 0
    multi: ClassVar[str] = "single"
    _layout: ClassVar[Layout] = Layout("Message", ())
    _struct: ClassVar[struct.Struct] = struct.Struct("<")

    _target: bytes
    _source: int
    _sequence: int
    _ack: bool
    _res: bool
    _tagged: bool
    _wire: tuple[Any, ...]
    _payload: bytes | None
    _cache: dict[str, Any] | None

    def __init__(
        self,
        *,
        target: Any = None,
        source: int = 0,
        sequence: int = 0,
        ack_required: bool = True,
        res_required: bool = True,
        **fields: Any,
    ) -> None:
        self._init(fields, False)
        self._set_header(target, source, sequence, ack_required, res_required)

    @classmethod
    def from_raw(
        cls,
        *,
        target: Any = None,
        source: int = 0,
        sequence: int = 0,
        ack_required: bool = True,
        res_required: bool = True,
        **fields: Any,
    ) -> Message:
        """Build from wire values (hue 0..65535, durations in ms, bytes for labels, ...).

        Missing fields take their (human) defaults, exactly as in the constructor.
        """
        self = cls.__new__(cls)
        self._init(fields, True)
        self._set_header(target, source, sequence, ack_required, res_required)
        return self

    def _init(self, fields: Mapping[str, Any], raw: bool) -> None:
        out: list[Any] = []
        try:
            self._layout.encode_mapping(fields, out, raw)
        except FieldError as error:
            raise ValidationError(self.name, error.path, error.value, error.reason) from None
        self._wire = tuple(out)
        self._payload = None
        self._cache = None

    def _set_header(
        self, target: Any, source: Any, sequence: Any, ack_required: Any, res_required: Any
    ) -> None:
        name = self.name
        if target.__class__ is not bytes or len(target) != 8:
            target = serial_to_target(target, name)
        self._target = target
        self._tagged = target == ZERO_TARGET
        if source.__class__ is not int or not 0 <= source <= 0xFFFFFFFF:
            source = _check_uint(name, "source", source, 0xFFFFFFFF)
        self._source = source
        if sequence.__class__ is not int or not 0 <= sequence <= 255:
            sequence = _check_uint(name, "sequence", sequence, 255)
        self._sequence = sequence
        if ack_required is not True and ack_required is not False:
            ack_required = _check_flag(name, "ack_required", ack_required)
        self._ack = ack_required
        if res_required is not True and res_required is not False:
            res_required = _check_flag(name, "res_required", res_required)
        self._res = res_required

    @classmethod
    def _from_wire(
        cls,
        items: tuple[Any, ...],
        payload: bytes,
        target: bytes,
        source: int,
        sequence: int,
        flags: int,
        tagged: bool,
    ) -> Message:
        """Internal: a message decoded from the network (no validation)."""
        self = cls.__new__(cls)
        self._target = target
        self._tagged = tagged
        self._source = source
        self._sequence = sequence
        self._ack = bool(flags & 2)
        self._res = bool(flags & 1)
        self._wire = items
        self._payload = payload
        self._cache = None
        return self

    def __getattr__(self, key: str) -> Any:
        """Only reached for unknown attributes: say which fields exist."""
        if key.startswith("_"):
            raise AttributeError(key)
        raise AttributeError(
            f"{self.name} has no field {key!r} (fields: {', '.join(self.field_names) or 'none'})"
        )

    # -- header ----------------------------------------------------------------------------

    @property
    def target(self) -> bytes:
        """The 8-byte target: 6-byte serial + 2 zero bytes, all zeros when broadcast."""
        return self._target

    @property
    def source(self) -> int:
        """The header's source (0 unless given; the transport picks one per session)."""
        return self._source

    @property
    def sequence(self) -> int:
        """The header's sequence number (0..255)."""
        return self._sequence

    @property
    def ack_required(self) -> bool:
        """Whether the device should send an Acknowledgement."""
        return self._ack

    @property
    def res_required(self) -> bool:
        """Whether the device should send its State reply."""
        return self._res

    @property
    def tagged(self) -> bool:
        """The tagged bit as received; for a message built here, target == all zeros."""
        return self._tagged

    @property
    def serial(self) -> str:
        """The target's 12 hex digits ("000000000000" when broadcast)."""
        return target_to_serial(self._target)

    def header_dict(self) -> dict[str, Any]:
        """JSON-serialisable header values (as_dict() holds only payload fields)."""
        return {
            "pkt_type": self.pkt_type,
            "serial": self.serial,
            "target": self._target.hex(),
            "source": self._source,
            "sequence": self._sequence,
            "ack_required": self._ack,
            "res_required": self._res,
            "tagged": self._tagged,
        }

    # -- packing ---------------------------------------------------------------------------

    def payload_bytes(self) -> bytes:
        """The packed payload (cached: packing is done once per message)."""
        payload = self._payload
        if payload is None:
            payload = self._payload = self._struct.pack(*self._wire)
        return payload

    def pack(self) -> bytes:
        """The whole packet: header (tagged iff the target is all zeros) and payload."""
        payload = self._payload
        if payload is None:
            payload = self._payload = self._struct.pack(*self._wire)
        target = self._target
        return (
            pack_header_fields(
                HEADER_SIZE + len(payload),
                TAGGED_WORD if target == ZERO_TARGET else UNICAST_WORD,
                self._source,
                target,
                (2 if self._ack else 0) | (1 if self._res else 0),
                self._sequence,
                self.pkt_type,
            )
            + payload
        )

    def pack_for(self, target: bytes, source: int, sequence: int) -> bytes:
        """Pack with another target/source/sequence, reusing the cached payload.

        The transport calls this for every transmission and retry.
        """
        payload = self._payload
        if payload is None:
            payload = self._payload = self._struct.pack(*self._wire)
        if target.__class__ is not bytes or len(target) != 8:
            target = serial_to_target(target, self.name)
        try:
            return (
                pack_header_fields(
                    HEADER_SIZE + len(payload),
                    TAGGED_WORD if target == ZERO_TARGET else UNICAST_WORD,
                    source,
                    target,
                    (2 if self._ack else 0) | (1 if self._res else 0),
                    sequence,
                    self.pkt_type,
                )
                + payload
            )
        except struct.error as error:
            raise ValidationError(
                self.name, "header", (source, sequence), f"cannot pack header: {error}"
            ) from None

    # -- values ----------------------------------------------------------------------------

    def _field(self, key: str) -> tuple[FieldType, int]:
        layout = self._layout
        if key not in layout.offsets:
            raise ValidationError(self.name, key, None, "no such field")
        return layout.types[key], layout.offsets[key]

    def raw(self, key: str) -> Any:
        """The wire value of a field (ints, bytes, dicts/lists of wire values for records)."""
        ftype, index = self._field(key)
        return ftype.decode_raw(self._wire, index)

    def raw_dict(self) -> dict[str, Any]:
        """Wire values of every field."""
        return self._layout.decode_raw_dict(self._wire, 0)

    def as_dict(self) -> dict[str, Any]:
        """JSON-serialisable human values of the payload fields (no header: see header_dict)."""
        return {key: jsonable(getattr(self, key)) for key in self.field_names}

    def clone(self, **changes: Any) -> Message:
        """A copy with header and/or field changes (validated).

        Unchanged fields keep their exact wire values. A ``*_count`` field follows
        a changed array and a ``set_*`` flag is set for a changed component unless
        given too; a union whose selector changed takes the new variant's defaults.
        """
        cls = type(self)
        header: dict[str, Any] = {
            "target": self._target,
            "source": self._source,
            "sequence": self._sequence,
            "ack_required": self._ack,
            "res_required": self._res,
        }
        fields: dict[str, Any] = {}
        for key, value in changes.items():
            if key in HEADER_KEYWORDS:
                header[key] = value
            else:
                fields[key] = value
        new = cls.__new__(cls)
        if not fields:
            new._wire = self._wire
            new._payload = self._payload
            new._cache = self._cache
            new._set_header(**header)
            return new
        layout = cls._layout
        for key in fields:
            if key not in layout.name_set:
                raise ValidationError(self.name, key, fields[key], "unknown field")
        out: list[Any] = []
        wire = self._wire
        try:
            for key, ftype, default, index in layout.fields:
                try:
                    if key in fields:
                        ftype.encode(fields[key], out)
                    elif isinstance(default, Derived) and default.depends_on in fields:
                        ftype.encode(default.compute(fields), out)
                    elif isinstance(ftype, Union) and ftype.selector in fields:
                        ftype.encode({}, out)
                    else:
                        out.extend(wire[index : index + ftype.n])
                except FieldError as error:
                    raise error.within(key) from None
        except FieldError as error:
            raise ValidationError(self.name, error.path, error.value, error.reason) from None
        new._wire = tuple(out)
        new._payload = None
        new._cache = None
        new._set_header(**header)
        return new

    # -- replies ---------------------------------------------------------------------------

    def expected_replies(self, first_reply: Message) -> tuple[int | None, bool]:
        """How many State replies complete this request, given the first one.

        ``(n, True)``: exactly n; ``(n, False)``: at most n (finish at n or after a
        quiet gap); ``(None, False)``: unbounded (finish after a quiet gap).
        """
        rule = self.multi
        if rule == "unbounded":
            return None, False
        if first_reply.pkt_type not in self.reply_types:
            return 1, True
        if rule == "color_zones":
            if first_reply.pkt_type == 503:  # StateZone: a single zone was asked for
                return 1, True
            start: int = self.start_index
            end: int = self.end_index
            zones: int = first_reply.zones_count
            # blocks of 8 from start_index up to the last zone that exists (the spec's
            # (end - start)//8 + 1 over-counts a range that starts part-way along a strip)
            last = min(end, zones - 1)
            requested = max(1, (last - start) // 8 + 1)
            available = math.ceil(zones / 8)
            return max(1, min(requested, available)), True
        if rule == "extended":
            return max(1, math.ceil(first_reply.zones_count / 82)), True
        if rule == "get64":
            return max(1, int(self.length)), False
        return 1, True

    # -- comparison and display ------------------------------------------------------------

    def _key(self) -> tuple[Any, ...]:
        # the payload re-packed from the wire items: reserved bytes as zeros, and NaN floats
        # compare by their bits (a tuple holding NaN is not equal to itself)
        return (
            self.pkt_type,
            self._struct.pack(*self._wire),
            self._target,
            self._source,
            self._sequence,
            self._ack,
            self._res,
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Message):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __or__(self, kls: Any) -> bool:
        """``pkt | LightMessages.LightState``: is this packet of that message type?"""
        if isinstance(kls, type) and issubclass(kls, Message):
            return self.pkt_type == kls.pkt_type and kls.pkt_type >= 0
        return NotImplemented

    def __repr__(self) -> str:
        try:
            values = ", ".join(f"{key}={getattr(self, key)!r}" for key in self.field_names)
            head = f"serial={self.serial}, source={self._source}, sequence={self._sequence}"
        except AttributeError:
            return f"<{self.namespace}.{self.name} (incomplete)>"
        return f"<{self.namespace}.{self.name}({values}) {head}>"


class UnknownPacket(Message):
    """A packet whose pkt_type no table knows; keeps the payload bytes as they came."""

    __slots__ = ("_pkt_type",)
    name: ClassVar[str] = "UnknownPacket"
    field_names: ClassVar[tuple[str, ...]] = ("payload",)
    _pkt_type: int

    def __init__(
        self,
        *,
        pkt_type: int,
        payload: bytes = b"",
        target: Any = None,
        source: int = 0,
        sequence: int = 0,
        ack_required: bool = True,
        res_required: bool = True,
    ) -> None:
        self._pkt_type = _check_uint("UnknownPacket", "pkt_type", pkt_type, 0xFFFF)
        if not isinstance(payload, bytes | bytearray):
            raise ValidationError("UnknownPacket", "payload", payload, "expected bytes")
        self._wire = ()
        self._payload = bytes(payload)
        self._cache = None
        self._set_header(target, source, sequence, ack_required, res_required)

    @property
    def pkt_type(self) -> int:  # type: ignore[override]
        """The type number the packet came with."""
        return self._pkt_type

    @property
    def payload(self) -> bytes:
        """The payload bytes, undecoded."""
        assert self._payload is not None
        return self._payload

    @classmethod
    def _from_network(
        cls,
        pkt_type: int,
        payload: bytes,
        target: bytes,
        source: int,
        sequence: int,
        flags: int,
        tagged: bool,
    ) -> UnknownPacket:
        self = cls.__new__(cls)
        self._pkt_type = pkt_type
        self._target = target
        self._tagged = tagged
        self._source = source
        self._sequence = sequence
        self._ack = bool(flags & 2)
        self._res = bool(flags & 1)
        self._wire = ()
        self._payload = payload
        self._cache = None
        return self

    def raw(self, key: str) -> Any:
        if key == "payload":
            return self.payload
        return super().raw(key)

    def raw_dict(self) -> dict[str, Any]:
        return {"payload": self.payload}

    def as_dict(self) -> dict[str, Any]:
        return {"payload": self.payload.hex()}

    def clone(self, **changes: Any) -> Message:
        values: dict[str, Any] = {
            "pkt_type": self._pkt_type,
            "payload": self.payload,
            "target": self._target,
            "source": self._source,
            "sequence": self._sequence,
            "ack_required": self._ack,
            "res_required": self._res,
        }
        for key, value in changes.items():
            if key not in values:
                raise ValidationError(self.name, key, value, "unknown field")
            values[key] = value
        return UnknownPacket(**values)

    def _key(self) -> tuple[Any, ...]:
        return (*super()._key(), self.payload)


def build_message_class(namespace: str, definition: MessageDef) -> type[Message]:
    """Compile a table entry into a Message subclass with one struct for its payload."""
    layout = Layout(definition.name, definition.specs)
    for key in layout.names:
        if key in _TAKEN or key.startswith("_"):
            raise ValueError(f"{definition.name}: field name {key!r} is reserved")
    attrs: dict[str, Any] = {
        "__slots__": (),
        "pkt_type": definition.pkt_type,
        "name": definition.name,
        "namespace": namespace,
        "field_names": layout.names,
        "reply_names": definition.replies,
        "payload_size": layout.size,
        "multi": definition.multi,
        "_layout": layout,
        "_struct": struct.Struct("<" + layout.fmt),
        "__doc__": f"{namespace}.{definition.name} (pkt_type {definition.pkt_type}).",
        "__module__": __name__.rsplit(".", 1)[0],
        "__qualname__": f"{namespace}.{definition.name}",
    }
    for key, ftype, _, index in layout.fields:
        cached = not isinstance(ftype, Scalar) or isinstance(ftype, Union)
        attrs[key] = (_CachedFieldAttr if cached else _FieldAttr)(key, ftype, index)
    init = compile_init(definition.name, layout, _generic_init)
    if init is not None:
        attrs["__init__"] = init
    return type(definition.name, (Message,), attrs)
