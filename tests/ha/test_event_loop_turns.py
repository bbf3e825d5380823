"""The largest calls the limits allow share Home Assistant's event loop instead of holding it.

Not timed: a sampler task takes a turn whenever the loop lets it, and counts how many tasks
were started since its last turn. A call that started all its sends in one go would show
thousands between two turns; started in slices, never more than a slice.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Coroutine, Iterator
from contextlib import contextmanager
from typing import Any

from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.lifx_script.const import DOMAIN, MAX_MESSAGES_PER_CALL, MAX_SENDS_PER_CALL
from custom_components.lifx_script.engine.script.nodes import START_SLICE
from tests.support.fleet import Fleet


@contextmanager
def counted_task_starts() -> Iterator[list[int]]:
    """Count every task the loop creates (chaining to a task factory already set)."""
    loop = asyncio.get_running_loop()
    previous = loop.get_task_factory()
    started = [0]

    def factory(
        loop: asyncio.AbstractEventLoop, coro: Coroutine[Any, Any, Any], **kwargs: Any
    ) -> asyncio.Future[Any]:
        started[0] += 1
        if previous is not None:
            return previous(loop, coro, **kwargs)
        return asyncio.Task(coro, loop=loop, **kwargs)

    loop.set_task_factory(factory)  # type: ignore[arg-type]
    try:
        yield started
    finally:
        loop.set_task_factory(previous)


async def most_starts_between_turns(hass: HomeAssistant, data: dict[str, Any]) -> tuple[int, int]:
    """Run a call while a sampler takes turns: (most tasks started between two turns, replies)."""
    with counted_task_starts() as started:
        samples: list[int] = []
        done = asyncio.Event()

        async def sampler() -> None:
            while not done.is_set():
                samples.append(started[0])
                await asyncio.sleep(0)

        sampling = asyncio.get_running_loop().create_task(sampler())
        await asyncio.sleep(0)
        try:
            response = await hass.services.async_call(
                DOMAIN, "run", data, blocking=True, return_response=True
            )
        finally:
            done.set()
            await sampling
    assert isinstance(response, dict)
    jumps = [later - earlier for earlier, later in itertools.pairwise(samples)]
    return max(jumps), response["stats"]["replies"]


async def test_the_largest_call_starts_its_sends_in_slices(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, fleet_reset: Fleet
) -> None:
    """MAX_MESSAGES_PER_CALL messages to 4 devices: 2000 sends, never all started at once."""
    serials = fleet_reset.serials[:4]
    messages = MAX_SENDS_PER_CALL // len(serials)
    assert messages <= MAX_MESSAGES_PER_CALL
    most, replies = await most_starts_between_turns(
        hass, {"serials": serials, "messages": ["GetPower"] * messages}
    )
    assert replies == messages * len(serials)
    # a slice, plus the few tasks Home Assistant itself starts around a call
    assert most <= START_SLICE + 10, f"{most} tasks started between two turns of the loop"


async def test_many_devices_start_in_slices_too(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, fleet_reset: Fleet
) -> None:
    """Every device of the fleet, many messages each: the same bound."""
    serials = fleet_reset.serials
    messages = min(MAX_MESSAGES_PER_CALL, MAX_SENDS_PER_CALL // len(serials))
    most, replies = await most_starts_between_turns(
        hass, {"serials": serials, "messages": ["GetPower"] * messages}
    )
    assert replies == messages * len(serials)
    assert most <= START_SLICE + 10, f"{most} tasks started between two turns of the loop"
