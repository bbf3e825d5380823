"""Run options, validated when a run is created (before anything is sent)."""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from ..errors import InvalidScript
from ..transport import Addr, parse_addresses


class Limit(Protocol):
    """What a shared limit must offer: an asyncio.Semaphore, BoundedSemaphore or Lock."""

    async def acquire(self) -> Any: ...

    def release(self) -> None: ...


LimitSpec = int | Limit | None
ErrorCatcher = list[BaseException] | Callable[[BaseException], Any] | None

OPTION_NAMES = frozenset(
    {
        "message_timeout",
        "find_timeout",
        "limit",
        "error_catcher",
        "broadcast",
        "accept_found",
        "require_all_devices",
        "no_retry",
    }
)


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
    )
