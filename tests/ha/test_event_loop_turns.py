"""The largest calls the limits allow share Home Assistant's event loop instead of holding it.

Not timed: a sampler task takes a turn whenever the loop lets it, and counts how many tasks
were started (or messages built) since its last turn. A call that started all its sends in
one go would show thousands between two turns; started in slices, never more than a slice.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Coroutine, Iterator
from contextlib import contextmanager
from typing import Any
from unittest.mock import patch

import pytest
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.lifx_script import build
from custom_components.lifx_script.build import BUILD_SLICE
from custom_components.lifx_script.const import DOMAIN, MAX_MESSAGES_PER_CALL, MAX_SENDS_PER_CALL
from custom_components.lifx_script.engine import Message
from custom_components.lifx_script.engine.script.nodes import START_SLICE
from tests.support.action_data import tile_frames
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


@contextmanager
def counted_builds() -> Iterator[list[int]]:
    """Count every message the action builds (the real builder, counted on its way through)."""
    built = [0]
    real = build.build_message

    def counting(item: Any, path: str) -> Message:
        built[0] += 1
        return real(item, path)

    with patch.object(build, "build_message", counting):
        yield built


async def most_between_turns(
    hass: HomeAssistant, data: dict[str, Any], counted: list[int]
) -> tuple[int, dict[str, Any]]:
    """Run a call while a sampler takes turns: (most counted between two turns, stats)."""
    samples: list[int] = []
    done = asyncio.Event()

    async def sampler() -> None:
        while not done.is_set():
            samples.append(counted[0])
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
    samples.append(counted[0])
    jumps = [later - earlier for earlier, later in itertools.pairwise(samples)]
    return max(jumps), response["stats"]


async def most_starts_between_turns(hass: HomeAssistant, data: dict[str, Any]) -> tuple[int, int]:
    """Run a call while a sampler takes turns: (most tasks started between two turns, replies)."""
    with counted_task_starts() as started:
        most, stats = await most_between_turns(hass, data, started)
    return most, stats["replies"]


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


async def test_a_tile_chain_painted_frame_by_frame_is_built_in_slices(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, fleet_reset: Fleet
) -> None:
    """5 tiles x 100 frames, the largest a call allows: built BUILD_SLICE messages per turn."""
    chain = fleet_reset.of_kind("tile")[0]
    frames = MAX_MESSAGES_PER_CALL // 5
    with counted_builds() as built:
        most, stats = await most_between_turns(
            hass, {"serials": [chain.serial], "pipeline": tile_frames(frames, 5)}, built
        )
    assert built[0] == MAX_MESSAGES_PER_CALL  # each message built once
    assert stats["errors"] == 0
    assert stats["messages"] == MAX_MESSAGES_PER_CALL
    assert most <= BUILD_SLICE, f"{most} messages built between two turns of the loop"


def nested(depth: int, inner: Any) -> Any:
    for _ in range(depth):
        inner = [inner]
    return inner


@pytest.mark.parametrize(
    ("messages", "pipeline"),
    [
        (["GetPower", {"type": "SetPower", "level": -1}], None),
        (None, ["GetPower", [], {"type": "NoSuchMessage"}]),
        (None, [nested(9, "GetPower"), {"type": "SetColor", "hue": 999}]),
        ([{"type": "SetColor", "hue": 999}, nested(9, "GetPower")], None),
        (["GetPower"] * (BUILD_SLICE * 2) + [{"label": "x"}], None),
        ("GetPower", ["GetPower"]),
    ],
)
async def test_the_sliced_build_refuses_as_the_whole_build_does(
    messages: Any, pipeline: Any
) -> None:
    """Same error, same words, whichever bad item comes first in the call's order."""
    with pytest.raises(build.RefusedCall) as whole:
        build.build_script(messages, pipeline, max_messages=MAX_MESSAGES_PER_CALL)
    with pytest.raises(build.RefusedCall) as sliced:
        await build.async_build_script(messages, pipeline, max_messages=MAX_MESSAGES_PER_CALL)
    assert str(sliced.value) == str(whole.value)
    assert sliced.value.translation_key == whole.value.translation_key
    assert sliced.value.translation_placeholders == whole.value.translation_placeholders
