"""Layer 2 of the engine: UDP, reply matching, sequences, retries, rate cap and discovery."""

from __future__ import annotations

from .addresses import DEFAULT_BROADCAST, DEFAULT_PORT, Addr, parse_address, parse_addresses
from .discovery import DISCOVERY_INTERVAL, DISCOVERY_SCHEDULE, discover
from .link import Link, mode_of
from .matcher import STAT_NAMES, Matcher, Reply, Waiter
from .rate import RateLimiter
from .retry import DEFAULT_AFTER_ACK, DEFAULT_INTERVAL, DEFAULT_SCHEDULE, RetrySchedule
from .sequences import SequenceAllocator
from .udp import UdpEndpoint

__all__ = [
    "DEFAULT_AFTER_ACK",
    "DEFAULT_BROADCAST",
    "DEFAULT_INTERVAL",
    "DEFAULT_PORT",
    "DEFAULT_SCHEDULE",
    "DISCOVERY_INTERVAL",
    "DISCOVERY_SCHEDULE",
    "STAT_NAMES",
    "Addr",
    "Link",
    "Matcher",
    "RateLimiter",
    "Reply",
    "RetrySchedule",
    "SequenceAllocator",
    "UdpEndpoint",
    "Waiter",
    "discover",
    "mode_of",
    "parse_address",
    "parse_addresses",
]
