"""One library's side of bench_engine.py, in its own process (run by .venv-bench's Python).

stdin, first line: {"peer": NAME, "devices": [[serial, ip, port], ...], "rounds": R,
"lifx_async_reuse_port": BOOL (default false: see LifxAsync.setup)}
stdout: {"ready": true, ...setup figures, "cold": ROUND} after setup and one cold round;
then, after a "go" line on stdin, {"rounds": [ROUND, ...], ...memory figures}.
Or {"na": reason} when the library cannot take part.

A round: SetColor with ack_required to every device (all at once, each library's own way),
wait for the acks; then GetColor (res_required, no ack: what lifx-async and aiolifx send;
ours and photons are told so, their default would also ask for an ack) to every device and
wait for the LightStates.
ROUND = {"wall", "cpu", "rusage", "acks", "states", "matching", "errors", "first_error"}:
cpu from time.process_time(), rusage from getrusage(RUSAGE_SELF) user + system, both for the
whole process. The ready line also holds "timer_check": both clocks and the wall clock over
a plain loop (no I/O), which shows whether the CPU clocks count what they should here.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import resource
import sys
import time
import traceback
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common

HUES = (90.0, 180.0, 270.0, 0.0)  # exact in every library's hue scaling
SATURATION, BRIGHTNESS, KELVIN = 1.0, 0.5, 3500


def raw_hue(hue: float) -> int:
    return round(hue * 65536 / 360) % 65536


def hue_matches(got_degrees: float, want: float) -> bool:
    return abs((got_degrees - want + 180) % 360 - 180) < 0.5


class Round:
    def __init__(self) -> None:
        self.acks = self.states = self.matching = self.errors = 0
        self.first_error: str | None = None

    def error(self, error: Any) -> None:
        self.errors += 1
        if self.first_error is None:
            self.first_error = f"{type(error).__name__}: {error}"[:300]


class Peer:
    """Setup once, then rounds; `close` at the end."""

    async def setup(self, devices: list[tuple[str, str, int]]) -> None:
        raise NotImplementedError

    async def round(self, hue: float, result: Round) -> None:
        raise NotImplementedError

    async def close(self) -> None:
        pass


class PhotonsStyle(Peer):
    """Ours and photons share the script API: `await sender(msg, serials, error_catcher=...)`
    per phase, on `self.sender`, with `self.messages` (LightMessages) and `self.get_color`."""

    messages: Any
    get_color: Any
    sender: Any
    serials: list[str]

    async def round(self, hue: float, result: Round) -> None:
        set_color = self.messages.SetColor(
            hue=hue,
            saturation=SATURATION,
            brightness=BRIGHTNESS,
            kelvin=KELVIN,
            duration=0,
            ack_required=True,
            res_required=False,
        )
        errors: list[Any] = []
        await self.sender(set_color, self.serials, error_catcher=errors)
        failed = {getattr(e, "serial", None) or repr(e) for e in errors}
        result.acks = len(self.serials) - len(failed)
        for e in errors:
            result.error(e)
        errors = []
        replies = await self.sender(self.get_color, self.serials, error_catcher=errors)
        for e in errors:
            result.error(e)
        for item in replies:
            pkt = item[0] if isinstance(item, tuple) else item  # ours, photons: the packet
            if pkt | self.messages.LightState:
                result.states += 1
                result.matching += hue_matches(pkt.hue, hue)


class Ours(PhotonsStyle):
    """lifx_script's engine: a LanTarget with hard-coded addresses, one session (sender)
    kept open over the rounds, sender(msg, serials) per phase."""

    async def setup(self, devices: list[tuple[str, str, int]]) -> None:
        engine = _common.import_engine()
        if not hasattr(engine, "LanTarget"):
            raise NotAvailable("custom_components.lifx_script.engine has no LanTarget yet")
        from custom_components.lifx_script.engine.codec import LightMessages

        self.messages = LightMessages
        # same packets as the other libraries send: GetColor without ack_required
        self.get_color = LightMessages.GetColor(ack_required=False, res_required=True)
        self.serials = [d[0] for d in devices]
        self.target = engine.LanTarget(
            broadcast=[("127.0.0.1", devices[0][2])],
            hard_coded={serial: (ip, port) for serial, ip, port in devices},
            default_limit=30,
        )
        self.stack = contextlib.AsyncExitStack()
        self.sender = await self.stack.enter_async_context(self.target.session())

    async def close(self) -> None:
        await self.stack.aclose()


class Photons(PhotonsStyle):
    """lifx-photons-core: LanTarget with hardcoded_discovery (no broadcast discovery;
    default_broadcast pointed at 127.0.0.1 anyway), one sender from target.make_sender()
    kept over the rounds, `await sender(msg, serials, error_catcher=...)` per phase."""

    async def setup(self, devices: list[tuple[str, str, int]]) -> None:
        from photons_messages import LightMessages

        self.messages = LightMessages
        # same packets as the other libraries send: GetColor without ack_required
        self.get_color = LightMessages.GetColor(ack_required=False, res_required=True)
        self.target, self.final_future = _common.photons_target(devices)
        self.serials = [d[0] for d in devices]
        self.sender = await self.target.make_sender()

    async def close(self) -> None:
        await self.target.close_sender(self.sender)
        self.final_future.cancel()


class LifxAsync(Peer):
    """lifx-async: one lifx.Light(serial, ip, port) per device (its own UDP socket each),
    `await light.set_color(HSBK, duration=0)` (waits for the ack) and
    `await light.get_color()`, all devices at once with asyncio.gather."""

    reuse_port = False

    async def setup(self, devices: list[tuple[str, str, int]]) -> None:
        from lifx import HSBK, Light

        if not self.reuse_port:
            # lifx-async binds every device's socket to port 0 with SO_REUSEPORT: with
            # hundreds of devices the kernel can give two of them the same port, and the
            # replies of one then go to the other (timeouts, then minutes of retries: not
            # what we measure). Off by default here; --lifx-async-reuse-port keeps it.
            from lifx.network import transport

            transport._SO_REUSEPORT = None
        self.hsbk = HSBK
        self.lights = [Light(serial, ip, port) for serial, ip, port in devices]

    async def round(self, hue: float, result: Round) -> None:
        colour = self.hsbk(hue=hue, saturation=SATURATION, brightness=BRIGHTNESS, kelvin=KELVIN)
        acks = await asyncio.gather(
            *(light.set_color(colour, duration=0) for light in self.lights),
            return_exceptions=True,
        )
        for answer in acks:
            if isinstance(answer, BaseException):
                result.error(answer)
            else:
                result.acks += 1
        states = await asyncio.gather(
            *(light.get_color() for light in self.lights), return_exceptions=True
        )
        for answer in states:
            if isinstance(answer, BaseException):
                result.error(answer)
            else:
                result.states += 1
                result.matching += hue_matches(answer[0].hue, hue)

    async def close(self) -> None:
        await asyncio.gather(*(light.close() for light in self.lights), return_exceptions=True)


class AioLifx(Peer):
    """aiolifx: one aiolifx.aiolifx.Light per device, made as its docs do, with
    loop.create_datagram_endpoint(lambda: Light(loop, mac, ip, port), remote_addr=(ip, port));
    light.set_color([h, s, b, k], callb) (ack wanted: rapid=False) and light.get_color(callb),
    each callback resolving a future; all devices at once. Its defaults: 0.5 s timeout,
    3 attempts."""

    async def setup(self, devices: list[tuple[str, str, int]]) -> None:
        from aiolifx.aiolifx import Light

        loop = asyncio.get_running_loop()
        self.loop = loop
        self.lights = []
        self.transports = []
        for serial, ip, port in devices:
            mac = ":".join(serial[i : i + 2] for i in range(0, 12, 2))
            transport, light = await loop.create_datagram_endpoint(
                lambda mac=mac, ip=ip, port=port: Light(loop, mac, ip, port),
                remote_addr=(ip, port),
            )
            self.transports.append(transport)
            self.lights.append(light)

    def _call(self, method: Any, *args: Any, **kwargs: Any) -> asyncio.Future[Any]:
        future: asyncio.Future[Any] = self.loop.create_future()

        def callb(light: Any, response: Any) -> None:
            if not future.done():
                future.set_result(response)

        method(*args, callb=callb, **kwargs)
        return future

    async def round(self, hue: float, result: Round) -> None:
        value = [raw_hue(hue), int(SATURATION * 65535), round(BRIGHTNESS * 65535), KELVIN]
        acks = await asyncio.gather(
            *(self._call(light.set_color, value, duration=0) for light in self.lights)
        )
        for light, answer in zip(self.lights, acks, strict=True):
            if answer is None:
                result.error(TimeoutError(f"no ack from {light.mac_addr}"))
            else:
                result.acks += 1
        states = await asyncio.gather(*(self._call(light.get_color) for light in self.lights))
        for light, answer in zip(self.lights, states, strict=True):
            if answer is None:
                result.error(TimeoutError(f"no LightState from {light.mac_addr}"))
            else:
                result.states += 1
                result.matching += hue_matches(answer.color[0] * 360 / 65536, hue)

    async def close(self) -> None:
        for light in self.lights:
            light.cleanup()


PEERS: dict[str, type[Peer]] = {
    _common.OURS: Ours,
    "lifx-photons-core": Photons,
    "lifx-async": LifxAsync,
    "aiolifx": AioLifx,
}


class NotAvailable(Exception):
    pass


async def read_line() -> str:
    return await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)


def rusage_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def timer_check(seconds: float = 0.2) -> dict[str, float]:
    """A plain loop for about `seconds`: wall, process_time and getrusage over it."""
    wall = time.perf_counter()
    cpu = time.process_time()
    rusage = rusage_cpu()
    total = 0
    while time.perf_counter() - wall < seconds:
        for i in range(1000):
            total += i
    return {
        "wall": time.perf_counter() - wall,
        "cpu": time.process_time() - cpu,
        "rusage": rusage_cpu() - rusage,
    }


async def run_round(peer: Peer, hue: float) -> dict[str, Any]:
    result = Round()
    cpu = time.process_time()
    rusage = rusage_cpu()
    wall = time.perf_counter()
    try:
        await peer.round(hue, result)
    except Exception as error:
        result.error(error)
    wall = time.perf_counter() - wall
    cpu = time.process_time() - cpu
    rusage = rusage_cpu() - rusage
    return {"wall": wall, "cpu": cpu, "rusage": rusage, **vars(result)}


async def main() -> None:
    _common.install_loopback_guard()
    request = json.loads(sys.stdin.readline())
    devices = [(s, ip, int(port)) for s, ip, port in request["devices"]]
    rounds = int(request["rounds"])
    rss_start = _common.rss_kib()
    peer = PEERS[request["peer"]]()
    if isinstance(peer, LifxAsync):
        peer.reuse_port = bool(request.get("lifx_async_reuse_port"))
    started = time.perf_counter()
    try:
        await peer.setup(devices)
    except NotAvailable as reason:
        _common.emit({"na": str(reason)})
        return
    except ImportError as error:
        _common.emit({"na": f"not installed: {error}"})
        return
    setup = time.perf_counter() - started
    rss_setup = _common.rss_kib()
    cold = await run_round(peer, HUES[-1])
    _common.emit(
        {
            "ready": True,
            "setup": setup,
            "timer_check": timer_check(),
            "cold": cold,
            "rss_start_kib": rss_start,
            "rss_setup_kib": rss_setup,
        }
    )
    if (await read_line()).strip() != "go":
        await peer.close()
        return
    profiler = None
    if request.get("profile"):
        import cProfile

        profiler = cProfile.Profile(time.process_time)  # CPU, not waits
        profiler.enable()
    results = [await run_round(peer, HUES[i % len(HUES)]) for i in range(rounds)]
    if profiler is not None:
        profiler.disable()
        profiler.dump_stats(request["profile"])
    maxrss = _common.maxrss_kib()
    await peer.close()
    _common.emit(
        {
            "rounds": results,
            "maxrss_kib": maxrss,
            "rss_start_kib": rss_start,
            "blocked": _common.blocked_sends()[:5],
            "blocked_count": len(_common.blocked_sends()),
        }
    )


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except Exception:
        _common.emit({"na": "worker crashed: " + traceback.format_exc()[-800:]})
