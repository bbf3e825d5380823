"""Discovery: GetService to every broadcast address on a schedule, StateService -> address.

A search for specific serials ends as soon as all are found; a search for "all" ends a
quiet gap after the last reply of the first round that found any. Neither raises when
nothing answers: the caller decides what a missing device means.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..codec import DiscoveryMessages, Message, target_to_serial
from ..errors import TimedOut
from .addresses import Addr
from .link import Link
from .matcher import RES, ZERO_TARGET, Waiter
from .retry import RetrySchedule

DISCOVERY_SCHEDULE = (0.0, 0.6, 1.2, 1.8, 2.4, 3.4, 5.4, 7.4, 11.4, 16.4)
DISCOVERY_INTERVAL = 5.0
UDP_SERVICE = 1


def found_in(replies: Sequence[tuple[Message, Addr]]) -> dict[str, Addr]:
    """serial -> (ip the reply came from, advertised UDP port)."""
    found: dict[str, Addr] = {}
    for pkt, addr in replies:
        if pkt.pkt_type != 3 or int(pkt.service) != UDP_SERVICE:
            continue
        port = int(pkt.port) or addr[1]
        found[target_to_serial(pkt.target)] = (addr[0], port)
    return found


async def discover(
    link: Link,
    addrs: Sequence[Addr],
    *,
    timeout: float,  # noqa: ASYNC109 - the deadline ends a schedule of rounds
    schedule: RetrySchedule,
    wanted: set[str] | None = None,
) -> dict[str, Addr]:
    """Devices that answered GetService at addrs within timeout (all of wanted, if given)."""
    msg = DiscoveryMessages.GetService(ack_required=False, res_required=True)
    waiter = Waiter(msg, RES, unbounded=True)
    if wanted is not None:
        if not wanted:
            return {}
        remaining = set(wanted)

        def all_found(w: Waiter) -> bool:
            pkt, _ = w.replies[-1]
            remaining.discard(target_to_serial(pkt.target))
            return not remaining

        waiter.check = all_found
    if timeout <= 0:
        return {}
    try:
        await link.run_waiter(
            waiter,
            msg,
            ZERO_TARGET,
            addrs,
            timeout,
            no_retry=False,
            schedule=schedule,
            keep_sending=wanted is not None,
        )
    except TimedOut:
        pass  # nothing (or not everything wanted) answered: report what did
    return found_in(waiter.replies)
