"""The quiet gap that ends a broadcast adapts to how its replies arrive (issue 11)."""

from __future__ import annotations

import asyncio
import itertools

from custom_components.lifx_script.engine import DeviceMessages, DiscoveryMessages, LanTarget
from custom_components.lifx_script.engine.transport.matcher import (
    QUIET_FLOOR,
    RES,
    Waiter,
)
from tests.engine.conftest import loopback_target
from tests.support.fault_proxy import FaultProxy, Faults
from tests.support.fleet import Fleet

CAP = 0.45


def broadcast_waiter(arrivals: list[float]) -> Waiter:
    """A discovery waiter whose replies arrived at these times (seconds)."""
    waiter = Waiter(DiscoveryMessages.GetService(), RES, unbounded=True)
    waiter.first_reply = arrivals[0]
    waiter.last_reply = arrivals[-1]
    waiter.spacing = max((b - a for a, b in itertools.pairwise(arrivals)), default=0)
    return waiter


def test_replies_that_came_together_end_after_the_floor() -> None:
    waiter = broadcast_waiter([0.001 * i for i in range(12)])
    assert waiter.quiet_gap(CAP) == QUIET_FLOOR < CAP


def test_replies_spread_out_wait_longer_but_never_past_the_cap() -> None:
    spread = broadcast_waiter([0.002 * i for i in range(300)])  # 0.6 s of replies
    assert QUIET_FLOOR < spread.quiet_gap(CAP) < CAP
    long = broadcast_waiter([0.002 * i for i in range(1000)])  # 2 s of replies
    assert long.quiet_gap(CAP) == CAP
    sparse = broadcast_waiter([0.0, 0.08])  # a long wait between two replies
    assert QUIET_FLOOR < sparse.quiet_gap(CAP) <= CAP


def test_a_request_to_one_device_keeps_the_fixed_gap() -> None:
    waiter = Waiter(DeviceMessages.GetPower(), RES, unbounded=False)
    assert waiter.quiet_gap(CAP) == CAP


async def test_discovery_of_all_still_finds_a_slow_device(fleet: Fleet) -> None:
    """One device answers 0.1 s after the others (under the 0.2 s floor): it is found."""
    fast, slow = fleet.devices[:5], fleet.devices[5]
    async with FaultProxy([(slow.serial, slow.addr)], seed=2, to_client=Faults(delay=0.1)) as proxy:
        target = LanTarget(broadcast=[*(d.addr for d in fast), *proxy.fronts])
        async with target.session() as sender:
            found = await sender.discover()
    assert found == {**{d.serial: d.addr for d in fast}, slow.serial: proxy.fronts[0]}


async def test_discovery_of_all_sends_one_round(fleet: Fleet) -> None:
    target = loopback_target(fleet)
    async with target.session() as sender:
        found = await asyncio.wait_for(sender.discover(), 5)
        assert found == fleet.hard_coded
        assert sender.stats["sent"] == len(fleet.devices)
