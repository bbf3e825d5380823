"""The orchestration behind scripts/develop: an emulated fleet and a ready Home Assistant.

Run with .venv's Python (scripts/develop does the set-up first). It wipes the state a previous
run left in config/, starts a dozen emulated LIFX devices on 127.0.0.1 (.venv-emulator/, through
tests/support/fleet.py), starts `hass -c config` on 127.0.0.1, onboards it (owner user
demo / demo-password-123), creates the lifx_script entry through the REST config flow with the
fleet's addresses and interface broadcasts off, checks one action call, and prints the URL,
the login and ready-made calls. Ctrl-C (or SIGTERM) stops Home Assistant, then the fleet.
Nothing listens or sends beyond 127.0.0.1.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import signal
import sys
import time
from pathlib import Path
from types import FrameType
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from tests.support.fleet import Fleet, FleetError  # noqa: E402
from tests.support.hass_process import (  # noqa: E402
    DOMAIN,
    NETWORK_SCANNERS,
    HassClient,
    HassError,
    HassProcess,
    clean_state,
    fleet_broadcast_addresses,
    port_in_use,
    seed_storage,
)

CONFIG_DIR = REPO_ROOT / "config"
USERNAME = "demo"
PASSWORD = "demo-password-123"
# Twelve devices; serials d073d5000000.. in this order (config/dashboards/lifx_script.yaml uses
# them): four colour bulbs, white to warm, infrared, Clean (HEV), Candle, a 16-zone LIFX Z,
# a 40-zone Beam, a 5-tile chain and a Switch.
DEMO_FLEET = (
    "colorx4",
    "white",
    "infrared",
    "hev",
    "candle",
    "multizone:16",
    "beam:40",
    "tile:5",
    "switch",
)
BULBS = ("d073d5000000", "d073d5000001", "d073d5000002", "d073d5000003")


def log(message: str) -> None:
    """One progress line on stderr, like scripts/lib.sh's log."""
    print(f"\033[1m[lifx_script]\033[0m {message}", file=sys.stderr, flush=True)


def entry_answers(fleet: Fleet) -> dict[str, dict[str, Any]]:
    """The config flow's answers: the fleet's ports as broadcast addresses, nothing else."""
    return {
        "user": {
            "interface_broadcasts": False,
            "broadcast_addresses": fleet_broadcast_addresses(d.addr for d in fleet.devices),
            "static_hosts": "",
        },
        "confirm": {},
    }


def example_call() -> dict[str, Any]:
    """The ready-made lifx_script.run call: a fade-up pipeline, then read the colour back."""
    return {
        "serials": list(BULBS[:2]),
        "pipeline": [
            {"type": "SetColor", "hue": 280, "saturation": 0.8, "brightness": 0, "kelvin": 3500},
            {"type": "SetPower", "level": 65535},
            {
                "type": "SetColor",
                "hue": 280,
                "saturation": 0.8,
                "brightness": 0.7,
                "kelvin": 3500,
                "duration": 2,
            },
            "GetColor",
        ],
    }


def yaml_call(call: dict[str, Any]) -> str:
    """The call as Developer Tools > Actions YAML (flow style for the messages)."""
    lines = ["action: lifx_script.run", "data:"]
    lines.append(f"  serials: [{', '.join(call['serials'])}]")
    lines.append("  pipeline:")
    for item in call["pipeline"]:
        if isinstance(item, str):
            lines.append(f"    - {item}")
        else:
            fields = ", ".join(f"{k}: {v}" for k, v in item.items())
            lines.append(f"    - {{{fields}}}")
    return "\n".join(lines)


def banner(base_url: str, token: str, entry: dict[str, Any], answered: int, total: int) -> str:
    """What the newcomer needs: URL, login, a curl line and the Developer Tools YAML."""
    call = example_call()
    url = f"{base_url}/api/services/{DOMAIN}/run?return_response"
    curl = (
        f'curl -s -X POST -H "Authorization: Bearer $TOKEN" '
        f"-H 'Content-Type: application/json' \\\n  -d {shlex.quote(json.dumps(call))} \\\n"
        f"  {shlex.quote(url)}"
    )
    rule = "=" * 78
    return f"""
{rule}
 Home Assistant with lifx_script is ready: {base_url}
 Log in as: {USERNAME} / {PASSWORD}
 Entry "{entry.get("title")}" ({entry.get("state")}): {answered} of {total} emulated devices answer.
 Dashboard: {base_url}/lifx-script/demo   Developer Tools: {base_url}/developer-tools/action

 From a shell (a long-lived token for the demo user):
TOKEN={token}
{curl}

 In Developer Tools > Actions: "Go to YAML mode", paste this over the editor's text, then
 "Perform action"; the decoded replies appear under the form:
{yaml_call(call)}

 Devices: {base_url}/config/integrations/integration/{DOMAIN} (one per emulated device;
 they have no entities: they are what lifx_script.run is aimed at).

 Ctrl-C stops Home Assistant and the fleet. State is in config/ (wiped at each start).
{rule}
"""


def count_answers(client: HassClient, serials: list[str]) -> int:
    """Ask every device for its power through lifx_script.run; how many answered."""
    response = client.call_service(
        DOMAIN,
        "run",
        {"serials": serials, "messages": ["GetPower"], "raise_on_error": False},
        return_response=True,
    )
    results = response.get("service_response", response).get("results", {})
    return sum(1 for serial in serials if results.get(serial))


def _raise_interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def main() -> int:
    """Run the demo until Ctrl-C; the exit code."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=8123, help="Home Assistant's HTTP port")
    args = parser.parse_args()
    # Explicit: a shell that starts us in the background may have left SIGINT ignored.
    signal.signal(signal.SIGINT, _raise_interrupt)
    signal.signal(signal.SIGTERM, _raise_interrupt)

    if port_in_use(args.port):
        # Checked before wiping config/: it may be another demo's running instance.
        log(f"127.0.0.1:{args.port} is in use (another scripts/develop?); try --port")
        return 1
    hass = HassProcess(CONFIG_DIR, args.port)
    fleet: Fleet | None = None
    started = time.monotonic()
    try:
        clean_state(CONFIG_DIR)
        seed_storage(CONFIG_DIR)
        log(f"starting {len(DEMO_FLEET)} kinds of emulated LIFX devices on 127.0.0.1")
        fleet = Fleet(*DEMO_FLEET)
        log(f"{len(fleet.devices)} devices ready; starting Home Assistant (config: config/)")
        hass.start()
        waited = hass.wait_until_ready()
        log(f"Home Assistant answers after {waited:.0f} s; onboarding user {USERNAME!r}")
        client = HassClient(hass.base_url)
        client.onboard(USERNAME, PASSWORD, name="Demo")
        token = client.long_lived_token("scripts/develop")
        scanners = client.components() & NETWORK_SCANNERS
        if scanners:
            log(f"warning: integrations that use the network are loaded: {sorted(scanners)}")
        log("creating the lifx_script entry through the config flow (interface broadcasts off)")
        entry = client.config_flow(DOMAIN, entry_answers(fleet))
        answered = count_answers(client, fleet.serials)
        print(banner(hass.base_url, token, entry, answered, len(fleet.devices)), flush=True)
        log(f"ready {time.monotonic() - started:.0f} s after start")
        while hass.running:
            time.sleep(0.5)
        log(f"Home Assistant exited with {hass.wait()}")
        return 1
    except KeyboardInterrupt:
        log("stopping")
        return 0
    except (HassError, FleetError) as err:
        log(f"error: {err}")
        return 1
    finally:
        # A second Ctrl-C must not cut the shutdown short.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        code = hass.stop()
        if code is not None:
            log(f"Home Assistant stopped ({code})")
        if fleet is not None:
            fleet.close()
            log("fleet stopped")


if __name__ == "__main__":
    os.chdir(REPO_ROOT)
    sys.exit(main())
