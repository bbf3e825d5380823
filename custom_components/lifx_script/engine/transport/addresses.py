"""Parsing of the addresses a target broadcasts to: ("host", port) pairs or "host[:port]"."""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Iterable
from typing import Any

from ..errors import InvalidScript

Addr = tuple[str, int]

DEFAULT_PORT = 56700
DEFAULT_BROADCAST: tuple[Addr, ...] = (("255.255.255.255", DEFAULT_PORT),)


@functools.lru_cache(maxsize=1024)
def is_ip_literal(host: str) -> bool:
    """An IPv4 literal (what replies come from), not a host name (resolved when sending)."""
    try:
        return str(ipaddress.IPv4Address(host)) == host
    except ValueError:
        return False


def parse_address(value: Any, default_port: int = DEFAULT_PORT) -> Addr:
    """One address: ("host", port), "host" or "host:port" (IPv4 literals or host names)."""
    host: Any
    port: Any
    if isinstance(value, str):
        text = value.strip()
        host, sep, port_text = text.rpartition(":")
        if not sep:
            host, port = text, default_port
        else:
            try:
                port = int(port_text)
            except ValueError:
                raise InvalidScript(f"bad port in address {value!r}") from None
    elif isinstance(value, tuple | list) and len(value) == 2:
        host, port = value
    else:
        raise InvalidScript(f"an address must be 'host[:port]' or (host, port), not {value!r}")
    if not isinstance(host, str) or not host:
        raise InvalidScript(f"bad host in address {value!r}")
    if isinstance(port, bool) or not isinstance(port, int) or not 0 < port < 65536:
        raise InvalidScript(f"bad port in address {value!r}: expected 1..65535")
    try:
        host = str(ipaddress.IPv4Address(host))
    except ValueError:
        if any(c.isspace() for c in host):
            raise InvalidScript(f"bad host in address {value!r}") from None
    return (host, port)


def parse_addresses(value: Any, default_port: int = DEFAULT_PORT) -> tuple[Addr, ...]:
    """A list of addresses, or one address given alone; never empty."""
    if isinstance(value, str) or (
        # ("host", port): a pair, also when the port is wrongly given as "1234"
        isinstance(value, tuple)
        and len(value) == 2
        and (isinstance(value[1], int) or (isinstance(value[1], str) and value[1].isdigit()))
    ):
        items: Iterable[Any] = [value]
    elif isinstance(value, Iterable):
        items = list(value)
    else:
        raise InvalidScript(f"expected addresses, not {value!r}")
    result = tuple(dict.fromkeys(parse_address(item, default_port) for item in items))
    if not result:
        raise InvalidScript("expected at least one address")
    return result
