"""Shared by the benchmarks: importing our engine without Home Assistant, a loopback-only
guard for sockets, peer versions, table printing, emulator fleets and peer subprocesses.

Benchmarks print figures; nothing here asserts a speed.
"""

from __future__ import annotations

import ipaddress
import json
import os
import resource
import selectors
import socket
import subprocess
import sys
import time
import types
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
BENCH_DIR = REPO_ROOT / "benchmarks"
BENCH_PYTHON = REPO_ROOT / ".venv-bench" / "bin" / "python"

PEERS = ("lifx-photons-core", "lifx-async", "aiolifx")
OURS = "lifx_script"


# ---------------------------------------------------------------- our engine


def photons_target(devices: Sequence[Sequence[Any]]) -> tuple[Any, Any]:
    """A photons LanTarget that knows devices' addresses ([serial, ip, port] each): no
    broadcast discovery, default_broadcast pointed at 127.0.0.1 anyway. Returns the target
    and its final_future (cancel it when done). Imports photons: .venv-bench only."""
    os.environ.pop("HARDCODED_DISCOVERY", None)
    os.environ.pop("SERIAL_FILTER", None)
    from photons_app import helpers as hp
    from photons_messages import protocol_register
    from photons_transport.session.discovery_options import NoEnvDiscoveryOptions
    from photons_transport.targets import LanTarget

    final_future = hp.create_future()
    # photons merges a target's discovery_options over the configuration's top-level
    # "discovery_options" (a DiscoveryOptions object, as photons_app would make it)
    options = NoEnvDiscoveryOptions.FieldSpec().empty_normalise(
        hardcoded_discovery={serial: [ip, port] for serial, ip, port in devices}
    )
    target = LanTarget.create(
        {
            "protocol_register": protocol_register,
            "final_future": final_future,
            "default_broadcast": "127.0.0.1",
            "discovery_options": options,
        }
    )
    return target, final_future


def import_engine() -> types.ModuleType:
    """Import our engine; it is standard library only, so .venv-bench (no Home Assistant) can."""
    if str(REPO_ROOT) not in sys.path:
        sys.path.insert(0, str(REPO_ROOT))
    import importlib

    return importlib.import_module("custom_components.lifx_script.engine")


def our_version() -> str:
    try:
        manifest = json.loads(
            (REPO_ROOT / "custom_components" / "lifx_script" / "manifest.json").read_text()
        )
        return str(manifest.get("version", "?"))
    except (OSError, ValueError):
        return "?"


def peer_version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "missing"


_bench_versions: dict[str, str] = {}


def library_label(name: str) -> str:
    """'photons 0.46.7' and the like; versions from .venv-bench when this interpreter
    is not that venv's."""
    if name == OURS:
        return f"{OURS} {our_version()}"
    version = peer_version(name)
    if version == "missing" and BENCH_PYTHON.exists():
        if not _bench_versions:
            code = (
                "import json, importlib.metadata as m\n"
                "out = {}\n"
                f"for d in {list(PEERS)!r}:\n"
                "    try: out[d] = m.version(d)\n"
                "    except m.PackageNotFoundError: out[d] = 'missing'\n"
                "print(json.dumps(out))"
            )
            answer = subprocess.run(
                [str(BENCH_PYTHON), "-c", code], capture_output=True, text=True, check=False
            )
            try:
                _bench_versions.update(json.loads(answer.stdout))
            except ValueError:
                _bench_versions["?"] = "?"
        version = _bench_versions.get(name, "missing")
    short = {"lifx-photons-core": "photons"}.get(name, name)
    return f"{short} {version}"


# ---------------------------------------------------------------- loopback guard

_blocked: list[str] = []


_loopback_hosts: set[str] = {"localhost"}


def _loopback(address: Any) -> bool:
    if not isinstance(address, tuple) or not address:
        return True  # AF_UNIX paths and the like
    host = address[0]
    if host in _loopback_hosts:
        return True
    try:
        ok = ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
    if ok:
        _loopback_hosts.add(host)
    return ok


def install_loopback_guard() -> None:
    """Refuse (OSError) any connect/sendto to a non-loopback address from this process.

    Every peer is configured for unicast to 127.0.0.1 ports; this makes sure that none of
    them broadcasts or wanders off the machine anyway. Blocked attempts are counted and
    reported by blocked_sends()."""
    cls = socket.socket
    if getattr(cls, "_lifx_bench_guard", False):
        return
    original_sendto = cls.sendto
    original_connect = cls.connect
    original_connect_ex = cls.connect_ex
    original_sendmsg = cls.sendmsg

    def refuse(address: Any) -> None:
        _blocked.append(repr(address))
        raise PermissionError(f"benchmark guard: {address!r} is not a loopback address")

    def sendto(self: socket.socket, data: Any, *args: Any) -> int:
        address = args[-1]
        if not _loopback(address):
            refuse(address)
        return original_sendto(self, data, *args)

    def connect(self: socket.socket, address: Any) -> None:
        if self.family in (socket.AF_INET, socket.AF_INET6) and not _loopback(address):
            refuse(address)
        return original_connect(self, address)

    def connect_ex(self: socket.socket, address: Any) -> int:
        if self.family in (socket.AF_INET, socket.AF_INET6) and not _loopback(address):
            refuse(address)
        return original_connect_ex(self, address)

    def sendmsg(
        self: socket.socket, buffers: Any, ancdata: Any = (), flags: int = 0, address: Any = None
    ) -> int:
        if address is not None and not _loopback(address):
            refuse(address)
        if address is None:
            return original_sendmsg(self, buffers, ancdata, flags)
        return original_sendmsg(self, buffers, ancdata, flags, address)

    cls.sendto = sendto  # type: ignore[method-assign,assignment]
    cls.connect = connect  # type: ignore[method-assign]
    cls.connect_ex = connect_ex  # type: ignore[method-assign]
    cls.sendmsg = sendmsg  # type: ignore[method-assign,assignment]
    cls._lifx_bench_guard = True  # type: ignore[attr-defined]


def blocked_sends() -> list[str]:
    return list(_blocked)


# ---------------------------------------------------------------- memory / cpu


def rss_kib() -> int:
    """Current resident set size of this process, KiB."""
    with open("/proc/self/statm") as statm:
        pages = int(statm.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") // 1024


def maxrss_kib() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


# ---------------------------------------------------------------- tables


def fmt(value: float | None, digits: int = 2, unit: str = "") -> str:
    if value is None:
        return "n/a"
    return f"{value:,.{digits}f}{unit}"


def fmt_ratio(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}x"


def print_table(
    headers: Sequence[str],
    rows: Iterable[Sequence[Any]],
    title: str | None = None,
    align: str | None = None,
) -> None:
    """A plain-text table; `align` is a string of l/r per column (default: first l)."""
    rows = [[str(c) for c in row] for row in rows]
    headers = [str(h) for h in headers]
    widths = [len(h) for h in headers]
    for row in rows:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], len(cell))
    align = align or ("l" + "r" * (len(headers) - 1))

    def line(cells: Sequence[str]) -> str:
        out = []
        for i, cell in enumerate(cells):
            out.append(cell.ljust(widths[i]) if align[i] == "l" else cell.rjust(widths[i]))
        return "  ".join(out).rstrip()

    if title:
        print(title)
    print(line(headers))
    print("  ".join("-" * w for w in widths))
    for row in rows:
        print(line(row))
    sys.stdout.flush()


def machine_line() -> str:
    load = os.getloadavg()
    return (
        f"Python {sys.version.split()[0]} on {os.cpu_count()} cores; "
        f"load average {load[0]:.2f} at start"
    )


# ---------------------------------------------------------------- emulator fleets


def _fleet_module() -> Any:
    if str(REPO_ROOT) not in sys.path:
        sys.path.insert(0, str(REPO_ROOT))
    from tests.support import fleet

    return fleet


@dataclass(frozen=True)
class Device:
    serial: str
    ip: str
    port: int

    def as_list(self) -> list[Any]:
        return [self.serial, self.ip, self.port]


class Fleets:
    """Emulated devices on 127.0.0.1, one UDP port each, in one emulator process
    (tests.support.fleet.Fleet). One process starts 500 devices in well under a second
    here, so the fleet is not split (the launcher's serials are d073d5 + a per-process
    counter, so several processes would also repeat serials)."""

    def __init__(self, count: int, kind: str = "color") -> None:
        fleet = _fleet_module()
        started = time.monotonic()
        self.fleets: list[Any] = [fleet.Fleet(f"{kind}x{count}")]
        self.start_seconds = time.monotonic() - started
        self.devices = [Device(d.serial, d.ip, d.port) for f in self.fleets for d in f.devices]
        for d in self.devices:
            if not ipaddress.ip_address(d.ip).is_loopback:
                self.close()
                raise RuntimeError(f"emulated device {d.serial} is not on loopback: {d.ip}")
        if len({d.serial for d in self.devices}) != len(self.devices):
            self.close()
            raise RuntimeError("emulated devices repeat a serial")

    def stats(self) -> dict[str, Any]:
        """Summed over processes: cpu_seconds, and received/sent per serial."""
        cpu = 0.0
        per_device: dict[str, Any] = {}
        for f in self.fleets:
            answer = f.stats()
            cpu += float(answer["cpu_seconds"])
            per_device.update(answer["stats"])
        return {"cpu_seconds": cpu, "stats": per_device}

    def reset(self) -> None:
        for f in self.fleets:
            f.reset()

    def close(self) -> None:
        for f in self.fleets:
            f.close()

    def __enter__(self) -> Fleets:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def packet_counts(stats: dict[str, Any], serials: Iterable[str]) -> tuple[int, int]:
    received = sent = 0
    per_device = stats["stats"]
    for serial in serials:
        received += int(per_device[serial]["received"])
        sent += int(per_device[serial]["sent"])
    return received, sent


# ---------------------------------------------------------------- peer subprocesses


class WorkerError(RuntimeError):
    pass


class Worker:
    """A benchmark worker in its own process (so peers don't share memory or imports).

    The worker speaks JSON lines on stdout; `send` writes one line on its stdin."""

    def __init__(self, args: Sequence[str], python: Path = BENCH_PYTHON) -> None:
        if not python.exists():
            raise WorkerError(f"{python} is missing: run scripts/setup --bench first")
        self.process = subprocess.Popen(
            [str(python), *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            bufsize=0,
            cwd=str(REPO_ROOT),
        )
        self._pending = b""
        self._selector = selectors.DefaultSelector()
        assert self.process.stdout is not None
        self._selector.register(self.process.stdout, selectors.EVENT_READ)

    def send(self, obj: Any) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps(obj).encode() + b"\n")
        self.process.stdin.flush()

    def send_line(self, line: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(line.encode() + b"\n")
        self.process.stdin.flush()

    def read(self, timeout: float) -> dict[str, Any]:
        assert self.process.stdout is not None
        deadline = time.monotonic() + timeout
        while b"\n" not in self._pending:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not self._selector.select(remaining):
                self.kill()
                raise WorkerError(f"worker gave no answer within {timeout:.0f} s{self._stderr()}")
            chunk = os.read(self.process.stdout.fileno(), 65536)
            if not chunk:
                code = self.process.wait()
                raise WorkerError(f"worker exited with {code}{self._stderr()}")
            self._pending += chunk
        line, _, self._pending = self._pending.partition(b"\n")
        answer: dict[str, Any] = json.loads(line)
        return answer

    def _stderr(self) -> str:
        if self.process.poll() is None or self.process.stderr is None:
            return ""
        tail = self.process.stderr.read().decode(errors="replace").strip().splitlines()[-15:]
        return (":\n    " + "\n    ".join(tail)) if tail else ""

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def close(self, timeout: float = 30.0) -> str:
        """Wait for the worker to exit; return its stderr (warnings it printed)."""
        err = b""
        try:
            _, err = self.process.communicate(timeout=timeout)  # closes stdin first
        except subprocess.TimeoutExpired:
            self.kill()
        finally:
            self._selector.close()
        return (err or b"").decode(errors="replace")


def emit(obj: Any) -> None:
    """Worker side: one JSON line on stdout."""
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()
