"""End to end: `lifx_script.transform` and `lifx_script.query` in a real `hass`, over REST.

Same setup as test_hass_end_to_end (tests/e2e/conftest.py's hass on a copy of config/, and
the same kind of emulated fleet); one test does it all because starting Home Assistant is slow.
"""

from __future__ import annotations

import pytest

from tests.support.fleet import Fleet
from tests.support.hass_process import (
    DOMAIN,
    HassClient,
    HassProcess,
    fleet_broadcast_addresses,
)

pytestmark = pytest.mark.timeout(360)


def test_transform_and_query_through_rest(
    hass_process: HassProcess,
    e2e_fleet: Fleet,
) -> None:
    client = HassClient(hass_process.base_url)
    client.onboard("e2e", "e2e-password-123", name="E2E")
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
    assert entry["state"] == "loaded"
    bulb = e2e_fleet.of_kind("color")[0].serial
    strip = e2e_fleet.of_kind("multizone")[0].serial
    tile = e2e_fleet.of_kind("tile")[0].serial
    switch = e2e_fleet.of_kind("switch")[0].serial

    client.call_service(DOMAIN, "transform", {"serials": [bulb], "power": "off"})
    assert e2e_fleet.state(bulb)["power_level"] == 0
    answer = client.call_service(
        DOMAIN,
        "transform",
        {"serials": [bulb], "power": "on", "color": "blue", "brightness": 0.3},
        return_response=True,
    )
    response = answer["service_response"]
    assert response["errors"] == {}
    result = response["results"][bulb]
    assert [m["type"] for m in result["sent"]] == ["SetColor", "SetPower", "SetColor"]
    assert result["state"]["power"]["on"] is True
    assert result["state"]["color"]["hue"] == pytest.approx(250, abs=0.1)
    wire = e2e_fleet.state(bulb)
    assert wire["power_level"] == 65535
    assert abs(wire["color"]["hue"] - 250 / 360 * 65536) <= 2

    answer = client.call_service(
        DOMAIN,
        "query",
        {"serials": [bulb, strip, tile, switch], "plans": ["power", "zones", "colors"]},
        return_response=True,
    )
    response = answer["service_response"]
    assert response["errors"] == {}
    results = response["results"]
    assert len(results[strip]["zones"]) == len(e2e_fleet.state(strip)["zone_colors"])
    assert [len(frame) for frame in results[tile]["colors"]] == [64, 64]
    assert results[bulb]["zones"] == "unsupported"
    assert results[switch]["colors"] == "unsupported"
    assert results[bulb]["colors"][0][0]["hue"] == pytest.approx(250, abs=0.1)
    assert response["stats"]["answered"] == 4
