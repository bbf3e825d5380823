"""The end-to-end tests' shared fixtures: a copy of the repo's config/ and `hass` on it.

Each test module starts its own `hass` (as its own process, tests/support/hass_process.py)
and its own emulated fleet; the browser test has fixtures of its own (the real web UI).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.fleet import Fleet
from tests.support.hass_process import REPO_ROOT, HassProcess, free_port, seed_storage

# Stands in for the web UI's package, which CI does not install (see its docstring).
STUB_FRONTEND = Path(__file__).parent / "stub_frontend"
# Start: up to 180 s on a loaded machine with precompiled bytecode.
HASS_READY_TIMEOUT = 180.0
# the fleet of test_hass_end_to_end and test_control_end_to_end
E2E_FLEET = ("colorx2", "multizone:16", "tile:2", "switch")


@pytest.fixture
def hass_config(tmp_path: Path) -> Path:
    """A copy of the repo's demo config (configuration.yaml and its dashboards)."""
    config_dir = tmp_path / "config"
    shutil.copytree(
        REPO_ROOT / "config",
        config_dir,
        ignore=shutil.ignore_patterns(".storage", "*.db*", "*.log*", ".HA_VERSION", "deps"),
    )
    seed_storage(config_dir)
    return config_dir


@pytest.fixture
def hass_process(hass_config: Path, socket_enabled: None) -> Iterator[HassProcess]:
    """`hass` running as its own process; stopped (and waited for) whatever happens."""
    process = HassProcess(
        hass_config, free_port(), log_path=hass_config / "hass.out", pythonpath=[STUB_FRONTEND]
    )
    process.start()
    try:
        process.wait_until_ready(HASS_READY_TIMEOUT)
        yield process
    finally:
        code = process.stop()
        print(f"hass exited with {code}; log tail:\n{process.log_tail(40)}")


@pytest.fixture
def e2e_fleet() -> Iterator[Fleet]:
    """A fleet of its own: the session fleet is shared with tests that reset it."""
    with Fleet(*E2E_FLEET, serial_prefix="d073e2") as fleet:
        yield fleet
