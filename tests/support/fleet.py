"""Drive scripts/emulator_fleet.py, a fleet of emulated LIFX devices in its own process.

The emulator lives in its own venv (.venv-emulator/) because it cannot share one with Home
Assistant; this client only speaks to it over a pipe (control) and UDP (the devices).
"""

from __future__ import annotations

import json
import os
import selectors
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]
LAUNCHER = REPO_ROOT / "scripts" / "emulator_fleet.py"


def emulator_python() -> Path:
    """The emulator venv's interpreter (LIFX_EMULATOR_PYTHON overrides it)."""
    override = os.environ.get("LIFX_EMULATOR_PYTHON")
    return Path(override) if override else REPO_ROOT / ".venv-emulator" / "bin" / "python"


@dataclass(frozen=True)
class EmulatedDevice:
    serial: str
    ip: str
    port: int
    product_id: int
    kind: str
    label: str

    @property
    def addr(self) -> tuple[str, int]:
        return (self.ip, self.port)


class FleetError(RuntimeError):
    """The emulator process failed to start or answer."""


class Fleet:
    """A running emulator process. Use as a context manager; `close()` stops it."""

    def __init__(
        self,
        *kinds: str,
        shared_port: bool = False,
        serial_prefix: str = "d073d5",
        start_timeout: float = 60.0,
    ) -> None:
        python = emulator_python()
        if not python.exists():
            raise FleetError(f"{python} is missing: run scripts/setup first")
        args = [str(python), str(LAUNCHER), "--serial-prefix", serial_prefix, *kinds]
        if shared_port:
            args.insert(2, "--shared-port")
        # Unbuffered binary stdout: lines are split here, so select() never misses buffered data.
        self._process = subprocess.Popen(
            args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=None, bufsize=0
        )
        self._pending = b""
        self._selector = selectors.DefaultSelector()
        assert self._process.stdout is not None
        self._selector.register(self._process.stdout, selectors.EVENT_READ)
        self.devices: list[EmulatedDevice] = []
        try:
            while True:
                line = self._read(start_timeout)
                if line.get("ready"):
                    break
                self.devices.append(EmulatedDevice(**line))
        except BaseException:
            self.close()
            raise

    def _read(self, timeout: float) -> dict[str, Any]:
        assert self._process.stdout is not None
        deadline = time.monotonic() + timeout
        while b"\n" not in self._pending:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not self._selector.select(remaining):
                raise FleetError(f"emulator did not answer within {timeout} s")
            chunk = os.read(self._process.stdout.fileno(), 65536)
            if not chunk:
                raise FleetError(f"emulator exited with {self._process.wait()}")
            self._pending += chunk
        line, _, self._pending = self._pending.partition(b"\n")
        result: dict[str, Any] = json.loads(line)
        return result

    def _command(self, command: str, timeout: float = 10.0) -> dict[str, Any]:
        assert self._process.stdin is not None
        self._process.stdin.write(command.encode() + b"\n")
        self._process.stdin.flush()
        return self._read(timeout)

    def by_serial(self, serial: str) -> EmulatedDevice:
        return next(d for d in self.devices if d.serial == serial)

    def of_kind(self, kind: str) -> list[EmulatedDevice]:
        return [d for d in self.devices if d.kind == kind]

    @property
    def serials(self) -> list[str]:
        return [d.serial for d in self.devices]

    @property
    def hard_coded(self) -> dict[str, tuple[str, int]]:
        """serial -> (ip, port), the engine's hard-coded discovery for this fleet."""
        return {d.serial: d.addr for d in self.devices}

    def stats(self) -> dict[str, Any]:
        """Per device: packets received and sent, received by pkt_type; and emulator CPU."""
        return self._command("stats")

    def received(self, serial: str | None = None) -> int:
        """Packets the device (or the whole fleet) has received since the last reset."""
        per_device = self.stats()["stats"]
        if serial is not None:
            return int(per_device[serial]["received"])
        return sum(int(d["received"]) for d in per_device.values())

    def state(self, serial: str) -> dict[str, Any]:
        """Power, colour (wire units), label and zones of one device."""
        answer = self._command(f"state {serial}")
        if "error" in answer:
            raise FleetError(answer["error"])
        state: dict[str, Any] = answer["state"]
        return state

    def reset(self) -> None:
        self._command("reset")

    def close(self) -> None:
        if self._process.poll() is None:
            try:
                assert self._process.stdin is not None
                self._process.stdin.write(b"quit\n")
                self._process.stdin.flush()
                self._process.stdin.close()
                self._process.wait(timeout=10)
            except (OSError, subprocess.TimeoutExpired):
                self._process.kill()
                self._process.wait()
        if self._process.stdout is not None:
            self._process.stdout.close()
        self._selector.close()

    def __enter__(self) -> Fleet:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
