"""End to end: an area as the target, from the websocket API (as the UI sends it) and REST.

A real `hass` and three emulated bulbs: two are put in an area through the websocket API, as
the device page does; `lifx_script.run` aimed at the area must answer from exactly those two.
A device failure keeps its translated error on the websocket API.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import aiohttp
import pytest

from tests.support.fleet import Fleet
from tests.support.hass_process import (
    DOMAIN,
    HassClient,
    HassProcess,
    fleet_broadcast_addresses,
)

pytestmark = pytest.mark.timeout(360)


@pytest.fixture
def area_fleet() -> Iterator[Fleet]:
    with Fleet("colorx3", serial_prefix="d073e4") as fleet:
        yield fleet


def websocket(client: HassClient, commands: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Send commands one after another on one websocket connection; their answers."""

    async def run() -> list[dict[str, Any]]:
        url = client.base_url.replace("http", "ws", 1) + "/api/websocket"
        answers = []
        async with aiohttp.ClientSession() as session, session.ws_connect(url) as ws:
            await ws.receive_json()
            await ws.send_json({"type": "auth", "access_token": client.token})
            assert (await ws.receive_json())["type"] == "auth_ok"
            for number, command in enumerate(commands, start=1):
                await ws.send_json({"id": number, **command})
                answers.append(await ws.receive_json())
        return answers

    return asyncio.run(run())


def test_area_target_reaches_exactly_its_bulbs(
    hass_process: HassProcess, area_fleet: Fleet
) -> None:
    client = HassClient(hass_process.base_url)
    client.onboard("e2e", "e2e-password-123", name="E2E")
    addresses = fleet_broadcast_addresses(d.addr for d in area_fleet.devices)
    entry = client.config_flow(
        DOMAIN,
        {
            "user": {
                "interface_broadcasts": False,
                "broadcast_addresses": addresses,
                "static_hosts": "",
            },
            "confirm": {},
        },
    )
    assert entry["state"] == "loaded"
    first, second, third = area_fleet.serials

    area, devices = websocket(
        client,
        [
            {"type": "config/area_registry/create", "name": "Reading nook"},
            {"type": "config/device_registry/list"},
        ],
    )
    assert area["success"], area
    area_id = area["result"]["area_id"]
    by_serial = {
        ident[1]: device["id"]
        for device in devices["result"]
        for ident in device["identifiers"]
        if ident[0] == DOMAIN
    }
    updates = websocket(
        client,
        [
            {"type": "config/device_registry/update", "device_id": by_serial[s], "area_id": area_id}
            for s in (first, second)
        ],
    )
    assert all(answer["success"] for answer in updates), updates
    area_fleet.reset()

    # As Developer Tools sends it: the target beside the data.
    (answer,) = websocket(
        client,
        [
            {
                "type": "call_service",
                "domain": DOMAIN,
                "service": "run",
                "service_data": {"messages": ["GetPower"]},
                "target": {"area_id": area_id},
                "return_response": True,
            }
        ],
    )
    assert answer["success"], answer
    results = answer["result"]["response"]["results"]
    assert set(results) == {first, second}
    assert all(replies for replies in results.values())
    assert area_fleet.received(third) == 0

    # Over REST the target keys are part of the data.
    answer = client.call_service(
        DOMAIN, "run", {"area_id": area_id, "messages": ["GetPower"]}, return_response=True
    )
    assert set(answer["service_response"]["results"]) == {first, second}
    assert area_fleet.received(third) == 0

    # A device failure is not a refused call: the translated device error, naming the serial.
    missing = "d073e4abcdef"
    (answer,) = websocket(
        client,
        [
            {
                "type": "call_service",
                "domain": DOMAIN,
                "service": "run",
                "service_data": {"serials": [missing], "messages": ["GetPower"], "timeout": 0.3},
                "return_response": True,
            }
        ],
    )
    assert not answer["success"]
    error = answer["error"]
    assert error["code"] == "home_assistant_error", error
    assert error["translation_key"] == "device_error"
    assert error["message"] == f"A device failed: {missing}: not found"
