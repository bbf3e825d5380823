"""End to end: a real `hass` process and an emulated fleet, driven only over the REST API.

The same steps as scripts/develop (they share tests/support/hass_process.py): start `hass` on a
copy of the repo's config/ in a temporary folder, onboard it, create the lifx_script entry
through the REST config flow with the fleet's ports as broadcast addresses (interface
broadcasts off: nothing leaves 127.0.0.1), then call `lifx_script.run?return_response` and
check both the emulated bulb and the decoded replies. Slow (a Home Assistant start), so one
test does it all.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.fleet import Fleet
from tests.support.hass_process import (
    DOMAIN,
    NETWORK_SCANNERS,
    HassClient,
    HassProcess,
    fleet_broadcast_addresses,
)

# Start (up to 180 s on a loaded machine with precompiled bytecode) plus the calls.
pytestmark = pytest.mark.timeout(360)


def light_states(replies: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [reply for reply in replies if reply.get("type") == "LightState"]


def test_run_through_rest_changes_emulated_bulbs(
    hass_process: HassProcess, e2e_fleet: Fleet
) -> None:
    client = HassClient(hass_process.base_url)
    client.onboard("e2e", "e2e-password-123", name="E2E")
    assert client.onboarded()

    loaded = client.components()
    assert {"api", "config", "onboarding", "network"} <= loaded
    assert not loaded & NETWORK_SCANNERS, "an integration that scans the network is loaded"

    entry = client.config_flow(
        DOMAIN,
        {
            "user": {
                "interface_broadcasts": False,
                "broadcast_addresses": fleet_broadcast_addresses(d.addr for d in e2e_fleet.devices),
                "static_hosts": "",
            },
            "confirm": {},
        },
    )
    assert entry["domain"] == DOMAIN
    assert entry["state"] == "loaded"
    assert [e["entry_id"] for e in client.config_entries(DOMAIN)] == [entry["entry_id"]]

    found = client.call_service(DOMAIN, "discover", {}, return_response=True)
    devices = found["service_response"]["devices"]
    assert set(devices) == set(e2e_fleet.serials)
    assert {d["port"] for d in devices.values()} == {d.port for d in e2e_fleet.devices}

    bulb = e2e_fleet.of_kind("color")[0]
    before = e2e_fleet.state(bulb.serial)
    answer = client.call_service(
        DOMAIN,
        "run",
        {
            "serials": [bulb.serial],
            "pipeline": [
                {
                    "type": "SetColor",
                    "hue": 240,
                    "saturation": 0.75,
                    "brightness": 0.25,
                    "kelvin": 4000,
                    "duration": 0,
                },
                "GetColor",
            ],
        },
        return_response=True,
    )

    after = e2e_fleet.state(bulb.serial)
    assert after["color"] != before["color"]
    wire = after["color"]
    assert abs(wire["hue"] - 240 / 360 * 65535) <= 1
    assert abs(wire["saturation"] - 0.75 * 65535) <= 1
    assert abs(wire["brightness"] - 0.25 * 65535) <= 1
    assert wire["kelvin"] == 4000

    response = answer["service_response"]
    assert set(response) >= {"results", "errors", "stats"}
    assert not response["errors"].get(bulb.serial)
    states = light_states(response["results"][bulb.serial])
    assert states, response
    state = states[-1]
    assert state["pkt_type"] == 107
    assert state["hue"] == pytest.approx(240, abs=0.1)
    assert state["saturation"] == pytest.approx(0.75, abs=0.001)
    assert state["brightness"] == pytest.approx(0.25, abs=0.001)
    assert state["kelvin"] == 4000

    # Messages in parallel to every device: each answers GetPower (the switch too).
    answer = client.call_service(
        DOMAIN,
        "run",
        {"serials": e2e_fleet.serials, "messages": ["GetPower"]},
        return_response=True,
    )
    results = answer["service_response"]["results"]
    for serial in e2e_fleet.serials:
        assert [r["type"] for r in results[serial]] == ["StatePower"], (serial, results)
