"""What a run yields: the reply packet itself, which also unpacks to ``(pkt, addr, original)``.

Photons yields the packet a device sent, and that packet unpacks into the packet, the address
it came from and the message it answers. Here a result is an instance of a subclass of the
reply's own codec class (made once per class, cached) that adds two slots, ``addr`` and
``original``. So ``pkt.level``, ``pkt.serial``, ``pkt | DeviceMessages.StatePower`` and
``isinstance(pkt, DeviceMessages.StatePower)`` behave as on the decoded packet, and
``pkt, addr, original = result`` works as in photons. The codec stays free of transport
concerns: it never sees these subclasses.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, NamedTuple

from ..codec import Message
from ..transport import Addr


class PacketInformation(NamedTuple):
    """Photons' ``pkt.Information``: where the packet came from and what it answers."""

    remote_addr: Addr
    sender_message: Message


class Result(Message):
    """Base of every result class: a received packet with its address and original message.

    ``isinstance(result, Result)`` tells a result from a plain message; ``result.pkt`` is the
    result itself (the packet), kept for callers of the earlier tuple form.
    """

    __slots__ = ()

    addr: Addr
    original: Message

    @property
    def pkt(self) -> Message:
        """The packet (this object): ``result.pkt`` reads as ``result[0]`` of photons' tuple."""
        return self

    @property
    def Information(self) -> PacketInformation:
        """Photons' spelling of ``(addr, original)``: ``remote_addr`` and ``sender_message``."""
        return PacketInformation(self.addr, self.original)

    def __iter__(self) -> Iterator[Any]:
        """``pkt, addr, original = result``, as in photons."""
        yield self
        yield self.addr
        yield self.original

    def __len__(self) -> int:
        return 3

    def __getitem__(self, index: int) -> Any:
        return (self, self.addr, self.original)[index]

    def packet(self) -> Message:
        """The plain decoded packet (no addr/original), e.g. to keep or send on."""
        plain_class: type[Message] = type(self).__mro__[1]
        plain = plain_class.__new__(plain_class)
        for slot in _message_slots(plain_class):
            slot.__set__(plain, slot.__get__(self, plain_class))
        return plain

    def clone(self, **changes: Any) -> Message:
        """A plain message (not a result) with the changes applied."""
        return self.packet().clone(**changes)

    def __repr__(self) -> str:
        return f"{super().__repr__()[:-1]} from {self.addr[0]}:{self.addr[1]}>"


_RESULT_CLASSES: dict[type[Message], type[Result]] = {}
_SLOTS: dict[type[Message], tuple[Any, ...]] = {}


def _message_slots(cls: type[Message]) -> tuple[Any, ...]:
    """The slot descriptors a decoded packet of cls holds (header, wire items, caches)."""
    slots = _SLOTS.get(cls)
    if slots is None:
        names = dict.fromkeys(
            name for klass in reversed(cls.__mro__) for name in getattr(klass, "__slots__", ())
        )
        found: list[Any] = []
        for name in names:
            for klass in cls.__mro__:
                descriptor = klass.__dict__.get(name)
                if descriptor is not None and hasattr(descriptor, "__set__"):
                    found.append(descriptor)
                    break
        slots = _SLOTS[cls] = tuple(found)
    return slots


def result_class(cls: type[Message]) -> type[Result]:
    """The result class of a codec class: a subclass of both it and Result."""
    made = _RESULT_CLASSES.get(cls)
    if made is None:
        made = type(
            cls.__name__,
            (cls, Result),
            {
                "__slots__": ("addr", "original"),
                "__module__": cls.__module__,
                "__qualname__": cls.__qualname__,
                "__doc__": cls.__doc__,
            },
        )
        _RESULT_CLASSES[cls] = made
    return made


def make_result(pkt: Message, addr: Addr, original: Message) -> Result:
    """The reply as a result: same class (a subclass of it), same values, plus addr/original."""
    cls = type(pkt)
    result_cls = result_class(cls)
    result = result_cls.__new__(result_cls)
    for slot in _message_slots(cls):
        slot.__set__(result, slot.__get__(pkt, cls))
    extra = result_cls.__dict__
    extra["addr"].__set__(result, addr)
    extra["original"].__set__(result, original)
    return result
