"""Error classes of the codec: one for bad user input, one for bad bytes."""

from __future__ import annotations

from typing import Any


class CodecError(ValueError):
    """Base of every error the codec raises on purpose."""


class ValidationError(CodecError):
    """A user gave a message a value it cannot carry.

    Carries the message name, the field (a dotted path such as ``colors[3].hue``
    for nested values), the offending value and the reason, so that a script
    author can find the mistake without reading a traceback.
    """

    def __init__(self, message_name: str, field: str, value: Any, reason: str) -> None:
        self.message_name = message_name
        self.field = field
        self.value = value
        self.reason = reason
        super().__init__(str(self))

    def __str__(self) -> str:
        where = self.message_name or "message"
        if self.field:
            where = f"{where}.{self.field}"
        return f"{where}: {self.reason} (value={short_repr(self.value)})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.message_name, self.field, self.value, self.reason))


_REPR_LIMIT = 80


def short_repr(value: Any) -> str:
    """``repr(value)``, cut to a readable length (a 10 MB label must not become a 10 MB message)."""
    text = repr(value)
    if len(text) <= _REPR_LIMIT:
        return text
    size = f"{len(value)} long" if isinstance(value, str | bytes | list | tuple) else "cut"
    return f"{text[: _REPR_LIMIT - 20]}... ({size})"


class UnknownMessageError(ValidationError, KeyError):
    """``Messages.lookup`` was asked for a message that does not exist."""

    def __init__(self, key: Any, reason: str = "no such message") -> None:
        super().__init__(str(key), "", key, reason)

    def __str__(self) -> str:
        return f"unknown message {self.value!r}: {self.reason}"

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.value, self.reason))


class DecodeError(CodecError):
    """Bytes from the network are not a well-formed LIFX packet.

    The transport counts and drops these; the codec never raises anything else
    for bad bytes.
    """


class FieldError(Exception):
    """Internal: raised by field encoders, turned into ValidationError by the message."""

    def __init__(self, reason: str, value: Any, path: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.value = value
        self.path = path

    def within(self, name: str) -> FieldError:
        """Prefix the path with the enclosing field's name."""
        if not self.path:
            self.path = name
        elif self.path.startswith("["):
            self.path = f"{name}{self.path}"
        else:
            self.path = f"{name}.{self.path}"
        return self
