"""References: which devices a run is for.

A serial, a list of serials, a comma-separated string, None or "_" (every device found),
``FoundSerials()`` or ``HardCodedSerials([...])``. Serials are validated before anything
is sent.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol

from ..codec import ValidationError, serial_to_target, target_to_serial
from ..errors import InvalidScript


class FindsDevices(Protocol):
    """What a reference needs of the run resolving it (a protocol: no import from above)."""

    async def find_all(self) -> list[str]:
        """Every device discovery finds (or the hard-coded ones)."""
        ...


def normalise_serial(value: Any) -> str:
    """12 lowercase hex digits; a clear error for anything else (including the zero serial)."""
    if not isinstance(value, str):
        raise InvalidScript(f"a serial must be a string of 12 hex digits, not {value!r}")
    try:
        serial = target_to_serial(serial_to_target(value))
    except ValidationError:
        raise InvalidScript(f"a serial must be 12 hex digits, not {value!r}") from None
    if serial == "000000000000":
        raise InvalidScript("the zero serial is not a device (use None or '_' for every device)")
    return serial


class SpecialReference:
    """A reference resolved when the run starts (and again when a Repeater loops)."""

    finds_all = False

    async def find(self, run: FindsDevices) -> list[str]:
        raise NotImplementedError

    def reset(self) -> None:
        """Forget what the last find gave, so the next one looks again."""


class FoundSerials(SpecialReference):
    """Every device that discovery finds (or the hard-coded ones); remembered until reset()."""

    finds_all = True

    def __init__(self) -> None:
        self._serials: list[str] | None = None

    async def find(self, run: FindsDevices) -> list[str]:
        if self._serials is None:
            self._serials = await run.find_all()
        return list(self._serials)

    def reset(self) -> None:
        self._serials = None

    def __repr__(self) -> str:
        return "FoundSerials()"


class HardCodedSerials(SpecialReference):
    """Exactly these serials (a missing one gives DeviceNotFound for each of its messages)."""

    def __init__(self, serials: str | Iterable[str]) -> None:
        if isinstance(serials, str):
            serials = [s for s in serials.split(",") if s.strip()]
        self.serials = list(dict.fromkeys(normalise_serial(s) for s in serials))

    async def find(self, run: FindsDevices) -> list[str]:
        return list(self.serials)

    def __repr__(self) -> str:
        return f"HardCodedSerials({self.serials!r})"


def parse_reference(reference: Any) -> SpecialReference:
    """Turn any accepted reference into a SpecialReference (validating serials)."""
    if isinstance(reference, SpecialReference):
        return reference
    if reference is None or (isinstance(reference, str) and reference.strip() in ("", "_")):
        return FoundSerials()
    if isinstance(reference, str):
        return HardCodedSerials(reference)
    if isinstance(reference, Iterable) and not isinstance(reference, bytes | bytearray):
        items = list(reference)
        if not all(isinstance(item, str) for item in items):
            raise InvalidScript(f"a reference list must hold serials (strings), not {items!r}")
        return HardCodedSerials(items)
    raise InvalidScript(
        "a reference is a serial, a list of serials, a comma-separated string, None, '_', "
        f"FoundSerials() or HardCodedSerials([...]); not {reference!r}"
    )
