"""Run options, validated when a run is created (before anything is sent)."""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from ..codec import target_to_serial
from ..errors import InvalidScript
from ..transport import Addr, parse_address, parse_addresses
from .references import normalise_serial


class Limit(Protocol):
    """What a shared limit must offer: an asyncio.Semaphore, BoundedSemaphore or Lock."""

    async def acquire(self) -> Any: ...

    def release(self) -> None: ...


LimitSpec = int | Limit | None
ErrorCatcher = list[BaseException] | Callable[[BaseException], Any] | None


def error_reporter(
    catcher: list[BaseException] | Callable[[BaseException], Any],
) -> Callable[[BaseException], Any]:
    """photons' error_catcher is a list to append to or a callable: one way to report to it."""
    if isinstance(catcher, list):
        return catcher.append
    return catcher


OPTION_NAMES = frozenset(
    {
        "message_timeout",
        "find_timeout",
        "connect_timeout",
        "limit",
        "error_catcher",
        "broadcast",
        "found",
        "accept_found",
        "require_all_devices",
        "no_retry",
    }
)

# photons options this engine refuses, and why (a porter gets the reason, not "unknown option")
REFUSED_OPTIONS: dict[str, str] = {
    "timeout": (
        "photons ignores timeout= (it logs 'use message_timeout instead'); "
        "say message_timeout= for the per-message timeout or find_timeout= for discovery"
    ),
}

DEFAULT_CONNECT_TIMEOUT = 10.0


@dataclass(frozen=True, slots=True)
class RunOptions:
    """Options after validation; ``limits`` still holds ints (a new Semaphore per run)."""

    message_timeout: float
    find_timeout: float
    limits: tuple[LimitSpec, ...]
    error_catcher: ErrorCatcher
    broadcast: tuple[Addr, ...] | None
    accept_found: bool
    require_all_devices: bool
    no_retry: bool
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT
    found: Mapping[str, Addr] | None = None
    given: Mapping[str, Any] = field(default_factory=dict)  # as the caller wrote them

    def instantiate_limits(self) -> tuple[Limit, ...]:
        """Ints become new Semaphores (one per run), None means no limit."""
        out: list[Limit] = []
        for spec in self.limits:
            if spec is None:
                continue
            out.append(asyncio.Semaphore(spec) if isinstance(spec, int) else spec)
        return tuple(out)


def _timeout(name: str, value: Any, allow_zero: bool) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidScript(f"{name} must be a number of seconds, not {value!r}")
    number = float(value)
    if math.isnan(number) or number < 0 or (number == 0 and not allow_zero):
        raise InvalidScript(f"{name} must be {'>= 0' if allow_zero else '> 0'}, not {value!r}")
    return number


def _limit(value: Any) -> LimitSpec:
    if value is None:
        return None
    if isinstance(value, bool):
        raise InvalidScript(f"limit must be an int, a Semaphore or None, not {value!r}")
    if isinstance(value, int):
        if value < 1:
            raise InvalidScript(f"limit must be at least 1, not {value}")
        return value
    if callable(getattr(value, "acquire", None)) and callable(getattr(value, "release", None)):
        limit: Limit = value
        return limit
    raise InvalidScript(f"limit must be an int, an asyncio.Semaphore or None, not {value!r}")


def _flag(name: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise InvalidScript(f"{name} must be True or False, not {value!r}")
    return value


def build_options(
    options: dict[str, Any],
    *,
    message_timeout: float,
    find_timeout: float,
    default_limit: LimitSpec,
    broadcast: tuple[Addr, ...],
    discovery_port: int,
) -> RunOptions:
    """Validate user options against the target's defaults."""
    for name in sorted(set(options) & set(REFUSED_OPTIONS)):
        raise InvalidScript(f"option {name!r} is not used by this engine: {REFUSED_OPTIONS[name]}")
    unknown = set(options) - OPTION_NAMES
    if unknown:
        raise InvalidScript(
            f"unknown option(s) {', '.join(sorted(unknown))}; "
            f"known: {', '.join(sorted(OPTION_NAMES))}"
        )
    limit = options.get("limit", default_limit)
    if isinstance(limit, tuple | list):
        limits = tuple(_limit(item) for item in limit)
    else:
        limits = (_limit(limit),)
    catcher = options.get("error_catcher")
    if catcher is not None and not isinstance(catcher, list) and not callable(catcher):
        raise InvalidScript(f"error_catcher must be a list, a callable or None, not {catcher!r}")
    chosen = options.get("broadcast", False)
    addrs: tuple[Addr, ...] | None
    if chosen is None or chosen is False:
        addrs = None
    elif chosen is True:
        addrs = broadcast
    else:
        addrs = parse_addresses(chosen, discovery_port)
    return RunOptions(
        message_timeout=_timeout(
            "message_timeout", options.get("message_timeout", message_timeout), False
        ),
        find_timeout=_timeout("find_timeout", options.get("find_timeout", find_timeout), True),
        limits=limits,
        error_catcher=catcher,
        broadcast=addrs,
        accept_found=_flag("accept_found", options.get("accept_found", False)),
        require_all_devices=_flag("require_all_devices", options.get("require_all_devices", False)),
        no_retry=_flag("no_retry", options.get("no_retry", False)),
        connect_timeout=_timeout(
            "connect_timeout", options.get("connect_timeout", DEFAULT_CONNECT_TIMEOUT), False
        ),
        found=_found(options.get("found"), discovery_port),
        given=dict(options),
    )


def _found_key(key: Any) -> str:
    """A serial from a found key: 12 hex digits, or photons' 6/8-byte target (bytes or hex)."""
    if isinstance(key, bytes | bytearray) and len(key) in (6, 8):
        key = target_to_serial(bytes(key).ljust(8, b"\0"))
    elif isinstance(key, str) and len(key) == 16 and key.endswith("0000"):
        key = key[:12]
    return normalise_serial(key)


def _found_addr(value: Any, discovery_port: int) -> Addr:
    """An address from a found value: an address, or photons' services.

    Photons keeps ``{(service, (ip, port)), ...}`` (older: ``(that set, broadcast_addr)``);
    the UDP service's address is the one this engine talks to.
    """
    if isinstance(value, tuple) and len(value) == 2 and isinstance(value[0], set | frozenset):
        value = value[0]
    if isinstance(value, set | frozenset | list):
        pairs = [item for item in value if isinstance(item, tuple | list) and len(item) == 2]
        udp = [addr for service, addr in pairs if _is_udp(service)]
        if not udp:
            raise InvalidScript(f"found: no UDP service address in {value!r}")
        return parse_address(udp[0], discovery_port)
    return parse_address(value, discovery_port)


def _is_udp(service: Any) -> bool:
    name = getattr(service, "name", service)
    return name in ("UDP", 1) or getattr(service, "value", None) == 1


def _found(value: Any, discovery_port: int) -> Mapping[str, Addr] | None:
    """photons' found: where devices are, used in place of discovery for those serials."""
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise InvalidScript(
            f"found must map serial -> address (or photons' services set), not {value!r}"
        )
    return {_found_key(key): _found_addr(addr, discovery_port) for key, addr in value.items()}
