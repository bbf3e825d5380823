"""End to end: refused calls over Home Assistant's REST API answer 400 with the action's words.

A real `hass` process (tests/support/hass_process.py) and an emulated fleet on 127.0.0.1.
Every refused call must answer HTTP 400 with {"message": ...}, the same text the websocket API
(Developer Tools, the automation editor) shows, send nothing to the bulbs, and log no
traceback. Slow (a Home Assistant start), so one test does it all.
"""

from __future__ import annotations

import asyncio
import json
import urllib.error
import urllib.request
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

REST_FLEET = ("colorx2",)


@pytest.fixture
def rest_fleet() -> Iterator[Fleet]:
    with Fleet(*REST_FLEET, serial_prefix="d073e3") as fleet:
        yield fleet


def post_raw(client: HassClient, path: str, body: bytes) -> tuple[int, str]:
    """POST a raw body; (status, text), whatever the status."""
    request = urllib.request.Request(
        client.base_url + path,
        data=body,
        headers={"Authorization": f"Bearer {client.token}", "Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode(errors="replace")


def websocket_errors(client: HassClient, calls: list[Any]) -> list[dict[str, Any]]:
    """Each call through the websocket API, as Developer Tools sends it; the error answers."""

    async def run() -> list[dict[str, Any]]:
        url = client.base_url.replace("http", "ws", 1) + "/api/websocket"
        answers = []
        async with aiohttp.ClientSession() as session, session.ws_connect(url) as ws:
            await ws.receive_json()
            await ws.send_json({"type": "auth", "access_token": client.token})
            assert (await ws.receive_json())["type"] == "auth_ok"
            for number, data in enumerate(calls, start=1):
                await ws.send_json(
                    {
                        "id": number,
                        "type": "call_service",
                        "domain": DOMAIN,
                        "service": "run",
                        "service_data": data,
                        "return_response": True,
                    }
                )
                answer = await ws.receive_json()
                assert not answer["success"], answer
                answers.append(answer["error"])
        return answers

    return asyncio.run(run())


def test_refused_calls_answer_400_with_the_message(
    hass_process: HassProcess, rest_fleet: Fleet
) -> None:
    client = HassClient(hass_process.base_url)
    client.onboard("e2e", "e2e-password-123", name="E2E")
    entry = client.config_flow(
        DOMAIN,
        {
            "user": {
                "interface_broadcasts": False,
                "broadcast_addresses": fleet_broadcast_addresses(
                    d.addr for d in rest_fleet.devices
                ),
                "static_hosts": "",
            },
            "confirm": {},
        },
    )
    assert entry["state"] == "loaded"
    bulb = rest_fleet.serials[0]
    rest_fleet.reset()

    bad_calls: list[tuple[dict[str, Any], str]] = [
        ({"serials": ["000000000000"], "messages": ["GetPower"]}, "000000000000"),
        ({"serials": {"a": 1}, "messages": ["GetPower"]}, '{"a": 1}'),
        ({"serials": [bulb], "messages": ["SetColour"]}, "did you mean SetColor?"),
        ({"serials": [bulb], "messages": ["GetPower"] * 501}, "at most 500"),
        ({"serials": [bulb], "messages": ["GetPower"], "pipeline": ["GetPower"]}, "not both"),
        ({"area_id": "nowhere", "messages": ["GetPower"]}, "nowhere"),
        ({"messages": ["GetPower"]}, "No device to send to"),
        (
            {"serials": [bulb], "messages": [{"type": "SetPower", "level": 70000}]},
            "70000",
        ),
    ]
    rest_messages = []
    for data, expected in bad_calls:
        status, text = post_raw(
            client, f"/api/services/{DOMAIN}/run?return_response", json.dumps(data).encode()
        )
        assert status == 400, (data, status, text)
        message = json.loads(text)["message"]
        assert expected in message, (data, message)
        rest_messages.append(message)

    # A JSON body that is not a mapping.
    status, text = post_raw(client, f"/api/services/{DOMAIN}/run", b"[1, 2]")
    assert status == 400, text
    assert "[1, 2]" in json.loads(text)["message"]

    # The websocket API shows the same text, translated (key and placeholders for the UI).
    ws_errors = websocket_errors(client, [data for data, _ in bad_calls])
    for error, message in zip(ws_errors, rest_messages, strict=True):
        assert error["code"] == "service_validation_error", error
        assert error["message"] == f"Validation error: {message}", error
        assert error["translation_domain"] == DOMAIN
        assert error["translation_key"]

    assert rest_fleet.received() == 0

    # A good call still works over REST.
    answer = client.call_service(
        DOMAIN, "run", {"serials": [bulb], "messages": ["GetPower"]}, return_response=True
    )
    assert [r["type"] for r in answer["service_response"]["results"][bulb]] == ["StatePower"]

    log = hass_process.log_tail(100000)
    assert "Traceback" not in log
    assert "Error handling request" not in log
