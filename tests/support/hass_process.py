"""Run a real Home Assistant (`hass`) as a process and drive it over its REST API.

Shared by the end-to-end test (tests/e2e/) and the demo (scripts/demo.py): start `hass` on a
config folder, wait until it answers, onboard it (owner user, then the remaining steps), run a
config flow, call actions, and stop it. Only the standard library is used for HTTP; the one
websocket call (a long-lived token) uses aiohttp, which Home Assistant's venv always has.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]
HASS_PYTHON = REPO_ROOT / ".venv" / "bin" / "python"
PORT_VARIABLE = "LIFX_SCRIPT_HASS_PORT"  # read by config/configuration.yaml (!env_var)
DOMAIN = "lifx_script"
# Logged when a critical integration (the web UI: `frontend`) fails to set up; the log file is
# rotated as recovery mode starts, after which its own set-up logs "recovery_mode".
RECOVERY_MODE = ("Activating recovery mode", "Setup failed for 'recovery_mode'")

# Integrations that listen to or scan the network beyond the one HTTP port on 127.0.0.1.
NETWORK_SCANNERS = frozenset(
    {
        "default_config",
        "zeroconf",
        "ssdp",
        "dhcp",
        "bluetooth",
        "usb",
        "cloud",
        "homeassistant_alerts",
        "mobile_app",
        "upnp",
        "lifx",
    }
)

# What `hass` leaves in a config folder; wiped by `clean_state` (configuration.yaml stays).
GENERATED_STATE = (
    ".storage",
    ".HA_VERSION",
    ".cloud",
    "deps",
    "tts",
    "blueprints",
    "backups",
    "home-assistant_v2.db",
    "home-assistant_v2.db-shm",
    "home-assistant_v2.db-wal",
    "home-assistant.log",
    "home-assistant.log.1",
    "home-assistant.log.fault",
    "hass.out",
)


class HassError(RuntimeError):
    """Home Assistant failed to start, or answered a request with an error."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def port_in_use(port: int) -> bool:
    """True when something already listens on 127.0.0.1:port."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def frontend_missing(python: Path = HASS_PYTHON) -> str | None:
    """Why `hass` run by `python` would have no web UI; None when it has one.

    The web UI is the `home-assistant-frontend` package (module `hass_frontend`) at the version
    Home Assistant pins; scripts/setup_browser installs it. Without it the `frontend`
    integration fails and Home Assistant starts in recovery mode.
    """
    if not python.exists():
        return f"{python} is missing: run scripts/setup first"
    check = subprocess.run(
        [str(python), "-c", "import hass_frontend"], capture_output=True, check=False
    )
    if check.returncode != 0:
        return f"home-assistant-frontend is not installed for {python}: run scripts/setup_browser"
    return None


def clean_state(config_dir: Path) -> None:
    """Remove what a previous `hass` run generated in config_dir (users, entries, database)."""
    for name in GENERATED_STATE:
        path = config_dir / name
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        elif path.exists() or path.is_symlink():
            path.unlink()


def _write_store(config_dir: Path, key: str, version: int, data: dict[str, Any]) -> None:
    storage = config_dir / ".storage"
    storage.mkdir(parents=True, exist_ok=True)
    document = {"version": version, "minor_version": 1, "key": key, "data": data}
    (storage / key).write_text(json.dumps(document, indent=2))


def seed_storage(config_dir: Path) -> None:
    """Seed a new config folder so that Home Assistant stays on loopback from its first start.

    - .storage/core.network enables the `lo` adapter only. Home Assistant always sets up
      `analytics`, whose HTTP session carries an mDNS resolver: a zeroconf instance that joins
      the mDNS multicast group on every enabled adapter (IGMP/MLD reports go out on the LAN).
      With only loopback enabled it joins nothing.
    - .storage/onboarding marks the core_config step done. Finishing it through the API also
      sets up onboarding's default integrations (met, radio_browser, google_translate,
      shopping_list): radio_browser would reach the internet, and under `--skip-pip` the others
      fail for want of their packages. configuration.yaml sets the core config (units, time
      zone, country) itself; `HassClient.onboard` does the other steps through the REST API.
    """
    _write_store(config_dir, "core.network", 1, {"configured_adapters": ["lo"]})
    _write_store(config_dir, "onboarding", 4, {"done": ["core_config"]})


class HassProcess:
    """`hass --config CONFIG_DIR` in its own process group; `stop()` ends it and waits.

    The HTTP port is passed through the LIFX_SCRIPT_HASS_PORT environment variable, which the
    repo's configuration.yaml reads. `--skip-pip` keeps Home Assistant from installing anything
    at run time: what it needs is installed by scripts/setup (and, for the web UI, by
    scripts/develop).
    """

    def __init__(
        self,
        config_dir: Path,
        port: int,
        *,
        log_path: Path | None = None,
        python: Path = HASS_PYTHON,
        pythonpath: Iterable[Path] = (),
    ) -> None:
        self.config_dir = config_dir
        self.port = port
        self.base_url = f"http://127.0.0.1:{port}"
        self.log_path = log_path
        self.python = python
        self.pythonpath = list(pythonpath)
        self._process: subprocess.Popen[bytes] | None = None
        self._log_file: Any = None

    def start(self) -> None:
        """Start `hass`; returns at once (see `wait_until_ready`)."""
        if not self.python.exists():
            raise HassError(f"{self.python} is missing: run scripts/setup first")
        if port_in_use(self.port):
            raise HassError(f"127.0.0.1:{self.port} is already in use")
        # pytest-cov's variables would start coverage inside hass too, with a config found from
        # hass's working folder (statement data that cannot be combined with the branch data).
        env = {key: value for key, value in os.environ.items() if not key.startswith("COV_CORE_")}
        # custom_components/ of the checkout is found on the path (ludeeus/integration_blueprint).
        paths = [str(REPO_ROOT), *map(str, self.pythonpath)]
        env["PYTHONPATH"] = os.pathsep.join([*paths, *filter(None, [env.get("PYTHONPATH")])])
        env[PORT_VARIABLE] = str(self.port)
        args = [str(self.python), "-m", "homeassistant", "--config", str(self.config_dir)]
        args.append("--skip-pip")
        output: Any = None
        if self.log_path is not None:
            self._log_file = output = self.log_path.open("ab")
        # Own process group: a Ctrl-C in the terminal reaches the orchestrator, which stops
        # hass itself (before the fleet, so the integration unloads while bulbs still answer).
        self._process = subprocess.Popen(
            args,
            env=env,
            cwd=self.config_dir,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT if output is not None else None,
            start_new_session=True,
        )

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    def wait(self, timeout: float | None = None) -> int:
        """Wait for `hass` to exit; its exit code."""
        assert self._process is not None
        return self._process.wait(timeout)

    def wait_until_ready(self, timeout: float = 180.0) -> float:
        """Poll until the HTTP API answers; seconds waited. Raises HassError with the log tail."""
        started = time.monotonic()
        deadline = started + timeout
        client = HassClient(self.base_url)
        while time.monotonic() < deadline:
            if not self.running:
                raise HassError(f"hass exited with {self.wait()}\n{self.log_tail()}")
            if any(marker in self.log_tail(400) for marker in RECOVERY_MODE):
                # Recovery mode drops the configuration: it would listen on 0.0.0.0:8123.
                self.stop()
                raise HassError(f"hass started in recovery mode\n{self.log_tail()}")
            try:
                client.request("GET", "/api/onboarding", auth=False, timeout=5)
                return time.monotonic() - started
            except (OSError, HassError):
                time.sleep(0.5)
        raise HassError(f"hass did not answer within {timeout} s\n{self.log_tail()}")

    def log_tail(self, lines: int = 60) -> str:
        """The end of Home Assistant's log in the config folder, for error messages."""
        for path in (self.log_path, self.config_dir / "home-assistant.log"):
            if path is not None and path.exists():
                text = path.read_text(errors="replace").splitlines()
                return "\n".join(text[-lines:])
        return "(no log)"

    def stop(self, timeout: float = 60.0) -> int | None:
        """SIGTERM (Home Assistant shuts down cleanly on it), wait; SIGKILL past timeout."""
        process = self._process
        if process is None:
            return None
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None
        return process.returncode

    def __enter__(self) -> HassProcess:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


class HassClient:
    """A small synchronous client for Home Assistant's REST API (and one websocket call)."""

    def __init__(self, base_url: str, token: str | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.refresh_token: str | None = None

    @property
    def client_id(self) -> str:
        """The OAuth client id of the web UI at this address (what the browser would send)."""
        return f"{self.base_url}/"

    def request(
        self,
        method: str,
        path: str,
        payload: Any = None,
        *,
        form: Mapping[str, str] | None = None,
        auth: bool = True,
        timeout: float = 60.0,
    ) -> Any:
        """Send one request; the decoded JSON answer (or text). HassError on an HTTP error."""
        headers = {"Accept": "application/json"}
        body: bytes | None = None
        if form is not None:
            body = urllib.parse.urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        elif payload is not None:
            body = json.dumps(payload).encode()
            headers["Content-Type"] = "application/json"
        if auth:
            if self.token is None:
                raise HassError("no access token: onboard() or login first")
            headers["Authorization"] = f"Bearer {self.token}"
        request = urllib.request.Request(
            self.base_url + path, data=body, headers=headers, method=method
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                text = response.read().decode()
        except urllib.error.HTTPError as err:
            detail = err.read().decode(errors="replace")
            raise HassError(f"{method} {path}: HTTP {err.code} {detail}") from err
        try:
            return json.loads(text) if text else None
        except json.JSONDecodeError:
            return text

    # Onboarding and auth

    def onboard(
        self,
        username: str,
        password: str,
        *,
        name: str = "Demo",
        language: str = "en",
    ) -> None:
        """Create the owner user and finish every onboarding step; keeps the user's tokens."""
        answer = self.request(
            "POST",
            "/api/onboarding/users",
            {
                "client_id": self.client_id,
                "name": name,
                "username": username,
                "password": password,
                "language": language,
            },
            auth=False,
        )
        self._exchange_code(answer["auth_code"])
        steps = self.request("GET", "/api/onboarding", auth=False)
        done = {step["step"] for step in steps if step["done"]}
        if "core_config" not in done:
            self.request("POST", "/api/onboarding/core_config", {})
        if "analytics" not in done:
            self.request("POST", "/api/onboarding/analytics", {})
        if "integration" not in done:
            self.request(
                "POST",
                "/api/onboarding/integration",
                {"client_id": self.client_id, "redirect_uri": f"{self.base_url}/?auth_callback=1"},
            )

    def onboarded(self) -> bool:
        """True when every onboarding step is done."""
        steps = self.request("GET", "/api/onboarding", auth=False)
        return all(step["done"] for step in steps)

    def _exchange_code(self, code: str) -> None:
        tokens = self.request(
            "POST",
            "/auth/token",
            form={"grant_type": "authorization_code", "code": code, "client_id": self.client_id},
            auth=False,
        )
        self.token = tokens["access_token"]
        self.refresh_token = tokens["refresh_token"]

    def long_lived_token(self, client_name: str, lifespan_days: int = 30) -> str:
        """A long-lived access token for the current user (websocket API, as the UI does)."""
        import asyncio

        import aiohttp

        async def fetch() -> str:
            url = self.base_url.replace("http", "ws", 1) + "/api/websocket"
            async with aiohttp.ClientSession() as session, session.ws_connect(url) as ws:
                await ws.receive_json()  # auth_required
                await ws.send_json({"type": "auth", "access_token": self.token})
                answer = await ws.receive_json()
                if answer.get("type") != "auth_ok":
                    raise HassError(f"websocket auth failed: {answer}")
                await ws.send_json(
                    {
                        "id": 1,
                        "type": "auth/long_lived_access_token",
                        "client_name": client_name,
                        "lifespan": lifespan_days,
                    }
                )
                result = await ws.receive_json()
                if not result.get("success"):
                    raise HassError(f"long-lived token refused: {result}")
                token: str = result["result"]
                return token

        return asyncio.run(fetch())

    # Config entries and actions

    def components(self) -> set[str]:
        """Integrations (and platforms) loaded right now."""
        return set(self.request("GET", "/api/config")["components"])

    def config_flow(
        self, handler: str, answers: Mapping[str, Mapping[str, Any]], *, timeout: float = 120.0
    ) -> dict[str, Any]:
        """Run a config flow through the REST API, as the UI does; the created entry.

        answers maps a step id to the form data to submit at that step; a step not listed is
        submitted empty. Raises HassError when the flow aborts or a form comes back with errors.
        """
        result = self.request(
            "POST",
            "/api/config/config_entries/flow",
            {"handler": handler, "show_advanced_options": False},
            timeout=timeout,
        )
        for _ in range(20):
            kind = result.get("type")
            if kind == "create_entry":
                entry: dict[str, Any] = result["result"]
                return entry
            if kind != "form":
                raise HassError(f"config flow {handler} ended with {result}")
            if result.get("errors"):
                raise HassError(f"config flow {handler}, step {result['step_id']}: {result}")
            result = self.request(
                "POST",
                f"/api/config/config_entries/flow/{result['flow_id']}",
                dict(answers.get(result["step_id"], {})),
                timeout=timeout,
            )
        raise HassError(f"config flow {handler} did not finish: {result}")

    def config_entries(self, domain: str | None = None) -> list[dict[str, Any]]:
        """The config entries (of one domain)."""
        query = f"?domain={domain}" if domain else ""
        entries: list[dict[str, Any]] = self.request(
            "GET", f"/api/config/config_entries/entry{query}"
        )
        return entries

    def call_service(
        self,
        domain: str,
        service: str,
        data: Mapping[str, Any],
        *,
        return_response: bool = False,
        timeout: float = 120.0,
    ) -> Any:
        """POST /api/services/DOMAIN/SERVICE (with ?return_response when asked)."""
        query = "?return_response" if return_response else ""
        return self.request(
            "POST", f"/api/services/{domain}/{service}{query}", dict(data), timeout=timeout
        )


def fleet_broadcast_addresses(addresses: Iterable[tuple[str, int]]) -> str:
    """The config flow's `broadcast_addresses` field for emulated devices: "ip:port ..."."""
    return "\n".join(f"{ip}:{port}" for ip, port in addresses)
