"""Parse the "host[:port]" addresses users type for broadcasts and static hosts.

Forms give one text field (comma, space or newline separated); options keep a list of strings.
Only IPv4 literals are accepted: LIFX is IPv4-only, and resolving names would make a typo look
like a device that never answers.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from ipaddress import IPv4Address

from .const import LIFX_PORT

_SEPARATORS = re.compile(r"[\s,;]+")


class InvalidAddress(ValueError):
    """An entry is not an IPv4 address with an optional port from 1 to 65535."""

    def __init__(self, value: str) -> None:
        super().__init__(value)
        self.value = value


def parse_address(text: str) -> tuple[str, int]:
    """One "ip[:port]" to an (ip, port) pair; the port defaults to LIFX's 56700."""
    host, sep, port_text = text.strip().partition(":")
    try:
        ip = str(IPv4Address(host))
    except ValueError:
        raise InvalidAddress(text) from None
    if not sep:
        return ip, LIFX_PORT
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise InvalidAddress(text)
    return ip, int(port_text)


def format_address(addr: tuple[str, int]) -> str:
    """The canonical text of an address: the default port is left out."""
    ip, port = addr
    return ip if port == LIFX_PORT else f"{ip}:{port}"


def split_addresses(value: str | Iterable[str] | None) -> list[str]:
    """Normalise a typed text or a stored list to canonical, de-duplicated strings.

    Raises InvalidAddress naming the first bad entry, so a form can point at it.
    """
    if value is None:
        return []
    words = _SEPARATORS.split(value) if isinstance(value, str) else list(value)
    result: list[str] = []
    for word in words:
        if not word.strip():
            continue
        text = format_address(parse_address(word))
        if text not in result:
            result.append(text)
    return result


def join_addresses(values: Iterable[str]) -> str:
    """The stored list as the text a form shows as its default."""
    return ", ".join(values)
