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

from collections.abc import Callable, Iterator
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
        for name in _slot_names(plain_class):
            object.__setattr__(plain, name, getattr(self, name))
        return plain

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickle and copy as make_result(packet, addr, original): the class is made at run time."""
        return (make_result, (self.packet(), self.addr, self.original))

    def clone(self, **changes: Any) -> Message:
        """A plain message (not a result) with the changes applied."""
        return self.packet().clone(**changes)

    def __repr__(self) -> str:
        return f"{super().__repr__()[:-1]} from {self.addr[0]}:{self.addr[1]}>"


_RESULT_CLASSES: dict[type[Message], tuple[type[Result], Callable[..., None]]] = {}


def _slot_names(cls: type[Message]) -> list[str]:
    """The slots a decoded packet of cls holds (header, wire items, caches)."""
    return list(
        dict.fromkeys(
            name for klass in reversed(cls.__mro__) for name in getattr(klass, "__slots__", ())
        )
    )


def _copier(names: list[str]) -> Callable[..., None]:
    """A function that copies these slots from one object to another, plus addr/original.

    Generated once per class: plain attribute assignments, about three times as fast as a
    loop over slot descriptors, on a path taken for every reply.
    """
    body = "".join(f"    dst.{name} = src.{name}\n" for name in names if name.isidentifier())
    source = (
        f"def copy(src, dst, addr, original):\n{body}"
        "    dst.addr = addr\n    dst.original = original\n"
    )
    namespace: dict[str, Any] = {}
    exec(compile(source, f"<result copier {len(names)}>", "exec"), namespace)
    copy: Callable[..., None] = namespace["copy"]
    return copy


def _result_class(cls: type[Message]) -> tuple[type[Result], Callable[..., None]]:
    made = _RESULT_CLASSES.get(cls)
    if made is None:
        result_cls = type(
            cls.__name__,
            (cls, Result),
            {
                "__slots__": ("addr", "original"),
                "__module__": cls.__module__,
                "__qualname__": cls.__qualname__,
                "__doc__": cls.__doc__,
            },
        )
        made = _RESULT_CLASSES[cls] = (result_cls, _copier(_slot_names(cls)))
    return made


def result_class(cls: type[Message]) -> type[Result]:
    """The result class of a codec class: a subclass of both it and Result."""
    return _result_class(cls)[0]


def make_result(pkt: Message, addr: Addr, original: Message) -> Result:
    """The reply as a result: same class (a subclass of it), same values, plus addr/original."""
    result_cls, copy = _result_class(type(pkt))
    result = result_cls.__new__(result_cls)
    copy(pkt, result, addr, original)
    return result
