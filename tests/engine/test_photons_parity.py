"""Parity with photons (issue 13): the seed page's and photons' docstring examples, run as written.

Each example below is the photons text with only its imports changed (and, where photons'
text has placeholders such as ``msg = ...`` or ``serial1``, those filled in with real values);
every deviation is named in a comment. Then the four parity points: results that are packets,
every photons run_with option, completion under loss, and an engine/script/ without cycles.
"""

from __future__ import annotations

import ast
import asyncio
import itertools
import pickle
import re
import socket
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from custom_components.lifx_script.engine import (
    DeviceMessages,
    DeviceNotFound,
    FromGenerator,
    InvalidScript,
    LanTarget,
    LightMessages,
    Pipeline,
    Result,
    Services,
    TimedOut,
)
from custom_components.lifx_script.engine.transport import DEFAULT_SCHEDULE, RetrySchedule
from tests.engine.conftest import hard_coded_target, serials_of
from tests.support.fault_proxy import TO_CLIENT, TO_DEVICE, FaultProxy, Faults
from tests.support.fleet import Fleet

ROOT = Path(__file__).resolve().parents[2]
SCRIPT_PACKAGE = ROOT / "custom_components" / "lifx_script" / "engine" / "script"

# Every option photons' run_with documents (photons_transport.targets.item.Item.run), plus
# ``timeout``, which photons still takes and ignores with a warning.
PHOTONS_RUN_WITH_OPTIONS = (
    "broadcast",
    "find_timeout",
    "connect_timeout",
    "message_timeout",
    "found",
    "accept_found",
    "error_catcher",
    "no_retry",
    "require_all_devices",
    "limit",
    "timeout",
)

# photons_app.helpers, as far as the seed's example uses it
hp = SimpleNamespace(async_as_background=asyncio.ensure_future)


# -- the seed page: "The Script Mechanism" ----------------------------------------------------


async def test_seed_script_mechanism_example(
    fleet: Fleet, capsys: pytest.CaptureFixture[str]
) -> None:
    target = hard_coded_target(fleet)

    script = target.script(DeviceMessages.GetPower())

    async for pkt, addr, original in script.run_with(["d073d5000000", "d073d5000001"]):  # noqa: B007
        if pkt | DeviceMessages.StatePower:
            print(pkt.serial, pkt.level)

    lines = sorted(capsys.readouterr().out.splitlines())
    assert lines == [
        f"{serial} {fleet.state(serial)['power_level']}"
        for serial in ("d073d5000000", "d073d5000001")
    ]


async def test_seed_pipeline_example(fleet: Fleet) -> None:
    target = hard_coded_target(fleet)
    serial1, serials2, serials3 = serials_of(fleet, "color")  # the seed's three serials

    color_no_brightness = LightMessages.SetColor(hue=210, saturation=0.5, brightness=0, kelvin=3500, res_required=False)  # fmt: skip  # noqa: E501
    power_on = DeviceMessages.SetPower(level=65535, res_required=False)
    color_with_brightness = LightMessages.SetColor(hue=210, saturation=0.5, brightness=0.8, kelvin=3500, res_required=False)  # fmt: skip  # noqa: E501

    pipeline = Pipeline(color_no_brightness, power_on, color_with_brightness)
    script = target.script(pipeline)
    await script.run_with_all([serial1, serials2, serials3])

    for serial in (serial1, serials2, serials3):
        state = fleet.state(serial)
        assert state["power_level"] == 65535
        assert state["color"]["hue"] == round(210 * 65536 / 360)
        assert state["color"]["brightness"] == round(0.8 * 65535)


async def test_seed_inflight_limit_examples(fleet: Fleet) -> None:
    devices = [fleet.by_serial(s) for s in serials_of(fleet, "color")]
    async with FaultProxy([(d.serial, d.addr) for d in devices], seed=13) as proxy:
        target = LanTarget(broadcast=proxy.fronts, hard_coded=proxy.hard_coded)
        reference = [d.serial for d in devices]
        msg = [DeviceMessages.GetPower(), DeviceMessages.GetLabel(), LightMessages.GetColor()]
        async with target.session() as sender:
            await sender(msg, reference, limit=3)
            limited = _most_in_flight(proxy)
            proxy.log.packets.clear()
            proxy.log.delivered.clear()

            await sender(msg, reference, limit=None)

            async def send(limit: Any) -> None:
                msg = [DeviceMessages.GetPower(), DeviceMessages.GetLabel()]  # the seed's "..."
                await sender(msg, reference, limit=limit)

            limit = asyncio.Semaphore(20)

            ts = [hp.async_as_background(send(limit)), hp.async_as_background(send(limit))]

            await asyncio.wait(ts)
            assert all(t.exception() is None for t in ts)
    assert 1 <= limited <= 3


def _most_in_flight(proxy: FaultProxy) -> int:
    """Requests the devices had received and whose answer had not come back, at most."""
    events = [(t, 1, (s, q, g)) for t, d, s, q, g, _ in proxy.log.packets if d == TO_DEVICE]
    events += [(t, -1, (s, q, g)) for t, d, s, q, g, _ in proxy.log.delivered if d == TO_CLIENT]
    open_now: set[object] = set()
    most = 0
    for _, kind, key in sorted(events, key=lambda e: (e[0], e[1])):
        if kind == 1:
            open_now.add(key)
        else:
            open_now.discard(key)
        most = max(most, len(open_now))
    return most


# -- photons' docstrings: FromGenerator, Pipeline ------------------------------------------------


async def test_from_generator_docstring_toggle_example(fleet: Fleet) -> None:
    target = hard_coded_target(fleet)
    before = fleet.state("d073d5000001")["power_level"]

    # photons' docstring says ``for pkt in sender(...)``: sender(...) is an async iterator
    # there as here, so the loop is ``async for`` (the only change)
    async def gen(reference, sender, **kwargs):  # type: ignore[no-untyped-def]
        get_power = DeviceMessages.GetPower()

        async for pkt in sender(get_power, reference, **kwargs):
            if pkt | DeviceMessages.StatePower:
                if pkt.level == 0:
                    yield DeviceMessages.SetPower(level=65535, target=pkt.serial)
                else:
                    yield DeviceMessages.SetPower(level=0, target=pkt.serial)

    msg = FromGenerator(gen)
    await target.send(msg, "d073d5000001")

    assert fleet.state("d073d5000001")["power_level"] == (65535 if before == 0 else 0)


async def test_from_generator_docstring_kwargs_example(fleet: Fleet) -> None:
    target = hard_coded_target(fleet)
    seen: list[dict[str, Any]] = []

    async def my_action(target: Any, reference: Any) -> None:
        errors: list[BaseException] = []

        async def gen(reference, sender, **kwargs):  # type: ignore[no-untyped-def]
            # photons' docstring asserts kwargs == {"message_timeout": 10, "error_catcher":
            # errors}; photons itself also passes the run's limit (a shared Semaphore), as here
            seen.append(kwargs)
            assert {k: v for k, v in kwargs.items() if k != "limit"} == {
                "message_timeout": 10,
                "error_catcher": errors,
            }
            yield DeviceMessages.SetPower(level=0)

        msg = FromGenerator(gen, reference_override=True)
        await target.send(msg, "d073d5000001", message_timeout=10, error_catcher=errors)
        assert errors == []

    await my_action(target, "d073d5000001")
    assert fleet.state("d073d5000001")["power_level"] == 0
    assert isinstance(seen[0]["limit"], asyncio.Semaphore)


async def test_from_generator_docstring_future_example(fleet: Fleet) -> None:
    target = hard_coded_target(fleet)
    infrared = serials_of(fleet, "infrared")[0]
    bulb = serials_of(fleet, "color")[2]
    outcomes: dict[str, bool] = {}

    async def gen(reference, sender, **kwargs):  # type: ignore[no-untyped-def]
        f = yield [DeviceMessages.SetPower(level=65535), LightMessages.SetInfrared(brightness=65535)]  # fmt: skip  # noqa: E501

        result = await f
        # result will be True if both of those messages were sent and got
        # a reply. If either timed out, then result will be False
        outcomes[reference[0]] = result

    errors: list[BaseException] = []
    await target.send(FromGenerator(gen, reference_override=True), infrared, error_catcher=errors)
    # a bulb without infrared acks SetInfrared and never answers: the future says False
    await target.send(
        FromGenerator(gen, reference_override=True),
        bulb,
        error_catcher=errors,
        message_timeout=1,
    )
    assert outcomes == {infrared: True, bulb: False}
    assert [type(e) for e in errors] == [TimedOut]


async def test_pipeline_docstring_equivalence(fleet: Fleet) -> None:
    target = hard_coded_target(fleet)
    msg1 = DeviceMessages.GetPower()  # photons' MessageOne()
    msg2 = DeviceMessages.GetLabel()  # photons' MessageTwo()

    reference1 = "d073d5000000"
    reference2 = "d073d5000001"

    async with target.session() as sender:
        piped = []
        async for result in sender(Pipeline(msg1, msg2), [reference1, reference2]):
            piped.append((result.serial, type(result).__name__))

        one_by_one = []
        for reference in (reference1, reference2):
            for msg in (msg1, msg2):
                async for result in sender(msg, [reference]):
                    one_by_one.append((result.serial, type(result).__name__))

    assert sorted(piped) == sorted(one_by_one)
    for reference in (reference1, reference2):  # in order, per serial
        assert [name for serial, name in piped if serial == reference] == [
            "StatePower",
            "StateLabel",
        ]


# -- 1. results are packets ----------------------------------------------------------------------


async def test_results_are_the_packets_and_unpack_to_pkt_addr_original(fleet: Fleet) -> None:
    target = hard_coded_target(fleet)
    serial = "d073d5000000"
    get_power = DeviceMessages.GetPower()
    streamed = [pkt async for pkt in target.script(get_power).run_with(serial)]
    awaited = await target.send(get_power, serial)
    for pkt in (*streamed, *awaited):
        assert pkt.serial == serial
        assert pkt | DeviceMessages.StatePower
        assert not pkt | DeviceMessages.StateLabel
        assert isinstance(pkt, DeviceMessages.StatePower)
        assert not isinstance(pkt, DeviceMessages.StateLabel)
        assert isinstance(pkt, Result)
        assert pkt.level == fleet.state(serial)["power_level"]
        assert pkt.pkt_type == DeviceMessages.StatePower.pkt_type
        same, addr, original = pkt
        assert same is pkt
        assert addr == fleet.by_serial(serial).addr
        assert original is get_power
        assert pkt.Information.remote_addr == addr
        assert pkt.Information.sender_message is get_power
        assert (pkt.pkt, pkt.addr, pkt.original) == (pkt, addr, original)
        # the plain packet: equal values, the codec's own class, sendable again
        plain = pkt.packet()
        assert plain == pkt and type(plain) is DeviceMessages.StatePower
        assert type(pkt.clone(level=0)) is DeviceMessages.StatePower
        copied = pickle.loads(pickle.dumps(pkt))
        assert copied == pkt and tuple(copied)[1:] == (addr, original)
        assert type(copied) is type(pkt)


# -- 2. every photons run_with option --------------------------------------------------------------


async def test_photons_options_accepted_with_photons_meaning(fleet: Fleet) -> None:
    device = fleet.by_serial("d073d5000000")
    other = fleet.by_serial("d073d5000001")
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as listener:
        listener.bind(("127.0.0.1", 0))
        listener.setblocking(False)
        # discovery would go to this socket: it shows whether any search was made
        target = LanTarget(broadcast=[listener.getsockname()])
        errors: list[BaseException] = []
        target_bytes = bytes.fromhex(device.serial)
        found = {target_bytes: {(Services.UDP, device.addr)}}  # photons' found shape
        results = await target.script(DeviceMessages.GetPower()).run_with_all(
            [device.serial, other.serial],
            found=found,
            accept_found=True,
            connect_timeout=5,
            find_timeout=20,
            message_timeout=5,
            error_catcher=errors,
            no_retry=False,
            require_all_devices=False,
            broadcast=False,
            limit=30,
        )
        with pytest.raises(BlockingIOError):
            listener.recv(1024)  # accept_found: the found given, as it is; no discovery
    assert [pkt.serial for pkt in results] == [device.serial]
    assert [type(e) for e in errors] == [DeviceNotFound]
    assert errors[0].serial == other.serial

    # found without accept_found: used for the serials it has, the others are looked for
    target = LanTarget(broadcast=[d.addr for d in fleet.devices])
    results = await target.script(DeviceMessages.GetLabel()).run_with_all(
        [device.serial, other.serial],
        found={device.serial: device.addr},
    )
    assert sorted(pkt.serial for pkt in results) == sorted([device.serial, other.serial])


async def test_photons_options_this_engine_refuses_say_why() -> None:
    target = LanTarget(broadcast=[("127.0.0.1", 9)])
    script = target.script(DeviceMessages.GetPower())
    with pytest.raises(InvalidScript, match="photons ignores timeout=.*message_timeout"):
        script.run_with("d073d5000000", timeout=5)
    with pytest.raises(InvalidScript, match="connect_timeout must be > 0"):
        script.run_with("d073d5000000", connect_timeout=0)
    with pytest.raises(InvalidScript, match="found must map serial"):
        script.run_with("d073d5000000", found=["nope"])
    with pytest.raises(InvalidScript, match="found: no UDP service"):
        script.run_with("d073d5000000", found={"d073d5000000": {(Services.RESERVED1, "1.2.3.4")}})
    with pytest.raises(InvalidScript, match="serial must be 12 hex digits"):
        script.run_with("d073d5000000", found={"nope": ("127.0.0.1", 56700)})


def test_readme_lists_every_photons_run_with_option() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("### `run_with` options", 1)[1].split("\n#", 1)[0]
    rows = re.findall(r"^\| `(\w+)` \|", section, flags=re.MULTILINE)
    assert sorted(rows) == sorted(PHOTONS_RUN_WITH_OPTIONS)


# -- 3. completion under loss --------------------------------------------------------------------


async def test_after_an_ack_a_lost_reply_gets_as_many_chances_as_the_schedule(
    fleet: Fleet,
) -> None:
    """Bulbs without infrared ack infrared requests and never answer: every reply is "lost"."""
    bulb, other = (fleet.by_serial(s) for s in serials_of(fleet, "color")[:2])
    timeout = 8.0
    # photons' schedule in 8 s: 0, .2, .4, .5, .6, .8, 1.0, 1.2, then 2.2 .. 7.2 every second
    schedule_count = len(DEFAULT_SCHEDULE) + 6
    async with FaultProxy([(d.serial, d.addr) for d in (bulb, other)], seed=5) as proxy:
        target = LanTarget(broadcast=proxy.fronts, hard_coded=proxy.hard_coded)
        errors: list[BaseException] = []
        async with target.session() as sender:
            await sender(
                [
                    LightMessages.GetInfrared(target=bulb.serial),
                    LightMessages.SetInfrared(brightness=100, target=other.serial),
                ],
                None,
                message_timeout=timeout,
                error_catcher=errors,
            )
        asked = [t for t, *_ in proxy.log.requests_to(bytes.fromhex(bulb.serial) + b"\0\0")]
        set_ = [t for t, *_ in proxy.log.requests_to(bytes.fromhex(other.serial) + b"\0\0")]
    assert sorted(type(e).__name__ for e in errors) == ["TimedOut", "TimedOut"]
    assert all(isinstance(e, TimedOut) and e.acked for e in errors)
    # the acknowledged Set: exactly the schedule's number of transmissions, evenly spread
    # (no 7 in the first 1.2 s as before the ack)
    assert len(set_) == schedule_count
    assert min(b - a for a, b in itertools.pairwise(set_[1:])) >= 0.4  # 8 / 14 s apart
    # a question: at least as many, and at least one every 0.5 s
    assert len(asked) >= schedule_count
    assert max(b - a for a, b in itertools.pairwise(asked)) <= 0.5 + 0.15


@pytest.mark.parametrize("timeout", [3.0, 8.0, 10.0, 30.0])
def test_the_acked_rule_keeps_the_schedules_count_of_chances(timeout: float) -> None:
    """For every moment an ack may be noticed: resends after it >= the schedule's, evenly."""
    plan = RetrySchedule()
    offsets = list(itertools.takewhile(lambda t: t < timeout, plan.offsets()))
    for last in offsets:
        left = sum(1 for t in offsets if t > last)
        next_slot = next((t for t in offsets if t > last), timeout - 0.01)  # before the end
        for noticed in (last + 0.01, (last + next_slot) / 2, next_slot):
            for harmless in (False, True):
                anchor, step = plan.acked_plan(last, noticed, timeout, harmless)
                resends = [
                    anchor + k * step for k in range(1, 999) if anchor + k * step < timeout - 1e-6
                ]
                assert resends[0] >= noticed - 1e-9 if resends else left == 0
                if harmless:
                    assert len(resends) >= left and step <= plan.after_ack
                else:  # a Set: as many as the schedule had, no more
                    assert len(resends) == left


async def test_5000_requests_at_30_percent_loss_each_way_all_complete(fleet: Fleet) -> None:
    devices = [fleet.by_serial(s) for s in fleet.serials if s != serials_of(fleet, "switch")[0]]
    per_device = 5000 // len(devices) + 1
    lossy = Faults(drop=0.3)
    async with FaultProxy(
        [(d.serial, d.addr) for d in devices], seed=2026, to_device=lossy, to_client=lossy
    ) as proxy:
        target = LanTarget(broadcast=proxy.fronts, hard_coded=proxy.hard_coded)
        # a distinct payload per request: a reply matched to the wrong request would show;
        # devices take turns, so every device has about limit / devices requests in flight
        msgs = [
            DeviceMessages.EchoRequest(echoing=f"{d.serial}:{i:05d}".encode(), target=d.serial)
            for i in range(per_device)
            for d in devices
        ]
        assert len(msgs) >= 5000
        errors: list[BaseException] = []
        async with target.session() as sender:
            start = time.monotonic()
            results = await sender(msgs, None, error_catcher=errors, limit=6 * len(devices))
            elapsed = time.monotonic() - start
            stats = sender.stats
    assert errors == [] and stats["timeouts"] == 0, (errors[:3], stats)
    assert len(results) == len(msgs)
    assert all(r.echoing.rstrip(b"\0") == r.original.echoing.rstrip(b"\0") for r in results)
    assert proxy.log.counts[f"{TO_DEVICE}.dropped"] > 0.25 * len(msgs)
    assert elapsed < 300  # a hang would show here; speed itself is benchmarked, not tested


# -- 4. engine/script/ has layers, no cycle ---------------------------------------------

# bottom to top: data types and nodes, then combinators, the run, the session, the target
SCRIPT_LAYERS = (
    "results",
    "references",
    "options",
    "nodes",
    "combinators",
    "run",
    "session",
    "target",
    "__init__",
)


def _script_imports(path: Path) -> set[str]:
    """Modules of engine/script/ that a module imports anywhere (functions and
    TYPE_CHECKING blocks included)."""
    package = "custom_components.lifx_script.engine.script"
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level == 1:
                if node.module:
                    names.add(node.module.split(".")[0])
                else:
                    names.update(alias.name for alias in node.names)
            elif node.level == 0 and (node.module or "").startswith(package + "."):
                names.add((node.module or "")[len(package) + 1 :].split(".")[0])
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith(package + "."):
                    names.add(alias.name[len(package) + 1 :].split(".")[0])
    return names


def test_script_package_imports_are_layered_and_acyclic() -> None:
    modules = sorted(p.stem for p in SCRIPT_PACKAGE.glob("*.py"))
    imports = {name: _script_imports(SCRIPT_PACKAGE / f"{name}.py") for name in modules}

    def cycle_from(start: str, path: tuple[str, ...]) -> tuple[str, ...] | None:
        for imported in sorted(imports.get(path[-1], ())):
            if imported == start:
                return (*path, start)
            if imported not in path:
                found = cycle_from(start, (*path, imported))
                if found:
                    return found
        return None

    cycles = [c for c in (cycle_from(name, (name,)) for name in modules) if c]
    assert cycles == [], "import cycles in engine/script/"
    rank = {name: i for i, name in enumerate(SCRIPT_LAYERS)}
    assert [m for m in modules if m not in rank] == [], "every module has its layer"
    upward = [
        (name, imported)
        for name in modules
        for imported in sorted(imports[name])
        if rank[imported] >= rank[name]
    ]
    assert upward == [], "a module imports one at its own layer or above"


def test_the_import_check_sees_function_level_and_type_checking_imports(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from .run import Run\n"
        "def f():\n    from .session import Sender\n"
        "from . import target\n",
        encoding="utf-8",
    )
    assert _script_imports(module) == {"run", "session", "target"}
