"""Errors of the transport and script layers.

Every error subclasses ScriptError and carries ``.serial`` (None where no single device
applies), so that an error catcher can tell which device failed without parsing text.
Messages name the serial, the message name and the pkt_type.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def _describe(pkt_type: int | None, name: str | None) -> str:
    if pkt_type is None:
        return name or "message"
    return f"{name}({pkt_type})" if name else f"pkt_type {pkt_type}"


class ScriptError(Exception):
    """Base of every error the engine reports (raised, appended or given to a catcher)."""

    serial: str | None = None

    def __init__(self, message: str = "", *, serial: str | None = None) -> None:
        self.serial = serial
        super().__init__(message)

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (type(self), self.__dict__, self.args))


def _rebuild(cls: type[ScriptError], state: dict[str, Any], args: tuple[Any, ...]) -> ScriptError:
    """Unpickle/copy an error without calling its (keyword-heavy) constructor."""
    error = cls.__new__(cls)
    error.args = args
    error.__dict__.update(state)
    return error


class InvalidScript(ScriptError, ValueError):
    """A script, reference or option was not usable; nothing has been sent."""


class TimedOut(ScriptError):
    """No (complete) answer before message_timeout; ``partial`` keeps replies that did arrive."""

    def __init__(
        self,
        serial: str | None,
        pkt_type: int | None,
        source: int,
        sequence: int,
        partial: Sequence[Any] = (),
        *,
        name: str | None = None,
        timeout: float | None = None,
        acked: bool = False,
    ) -> None:
        self.pkt_type = pkt_type
        self.acked = acked
        self.name = name
        self.source = source
        self.sequence = sequence
        self.partial = list(partial)
        self.timeout = timeout
        after = f" after {timeout:g} s" if timeout is not None else ""
        got = f" ({len(self.partial)} partial replies kept)" if self.partial else ""
        super().__init__(
            f"{_describe(pkt_type, name)} to {serial or 'broadcast'} timed out{after}"
            f" (source={source}, sequence={sequence}){got}",
            serial=serial,
        )


class DeviceNotFound(ScriptError):
    """The serial was not in the cache and discovery did not find it within find_timeout."""

    def __init__(
        self, serial: str, *, pkt_type: int | None = None, name: str | None = None
    ) -> None:
        self.pkt_type = pkt_type
        self.name = name
        what = f" ({_describe(pkt_type, name)} not sent)" if pkt_type is not None else ""
        super().__init__(f"device {serial} was not found{what}", serial=serial)


class Unsupported(ScriptError):
    """The device answered StateUnhandled: it does not support this message."""

    def __init__(self, serial: str | None, pkt_type: int, *, name: str | None = None) -> None:
        self.pkt_type = pkt_type
        self.name = name
        super().__init__(
            f"device {serial} does not support {_describe(pkt_type, name)} (StateUnhandled)",
            serial=serial,
        )


class SessionClosed(ScriptError):
    """The session closed while this run was still sending."""

    def __init__(self, message: str = "the session closed while the run was still sending") -> None:
        super().__init__(message)


class MultipleErrors(ScriptError):
    """Several errors from one run (``.errors``)."""

    def __init__(self, errors: Sequence[BaseException]) -> None:
        self.errors = list(errors)
        serials = {getattr(e, "serial", None) for e in self.errors}
        serial = next(iter(serials)) if len(serials) == 1 else None
        lines = "; ".join(str(e) for e in self.errors[:10])
        more = f"; and {len(self.errors) - 10} more" if len(self.errors) > 10 else ""
        super().__init__(f"{len(self.errors)} errors: {lines}{more}", serial=serial)


class RunFailed(ScriptError):
    """An awaited run had errors; ``.results`` keeps what did succeed, ``.errors`` the rest."""

    def __init__(self, results: Sequence[Any], errors: Sequence[BaseException]) -> None:
        self.results = list(results)
        self.errors = list(errors)
        serials = {getattr(e, "serial", None) for e in self.errors}
        serial = next(iter(serials)) if len(serials) == 1 else None
        lines = "; ".join(str(e) for e in self.errors[:10])
        more = f"; and {len(self.errors) - 10} more" if len(self.errors) > 10 else ""
        super().__init__(
            f"{len(self.errors)} errors ({len(self.results)} results kept): {lines}{more}",
            serial=serial,
        )
