"""Frames sent without ack or response never wait for a sequence (issue 11: streaming).

A message that asks for no answer used to keep its sequence for 5 s, so a device took at
most 256 such frames per 5 s: the 257th waited. These tests send more than 256 frames
with a 1 s message_timeout; over real UDP every frame must reach the device. The device
here is a counting UDP socket on 127.0.0.1 (the emulator reads too slowly to count a
stream without dropping from its socket buffer); one test goes to an emulated tile at a
pace it can keep up with. Speed is bench_stream.py's business.
"""

from __future__ import annotations

import asyncio
import random
import socket
import struct
from collections.abc import AsyncIterator, Callable

import pytest

from custom_components.lifx_script.engine import LanTarget, RunFailed, TileMessages, TimedOut
from custom_components.lifx_script.engine.transport.sequences import SequenceAllocator
from tests.engine.conftest import hard_coded_target, serials_of
from tests.support.fleet import Fleet

SERIAL = "d073d5c0ffee"


class _Counter(asyncio.DatagramProtocol):
    """A device that only counts what it receives: (sequence, pkt_type) of each packet."""

    def __init__(self) -> None:
        self.frames: list[tuple[int, int]] = []

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        sequence = data[23]
        (pkt_type,) = struct.unpack_from("<H", data, 32)
        self.frames.append((sequence, pkt_type))


@pytest.fixture
async def counter() -> AsyncIterator[tuple[_Counter, LanTarget]]:
    loop = asyncio.get_running_loop()
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    # room for a whole burst: run_with sends frames faster than one loop turn reads them
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    sock.bind(("127.0.0.1", 0))
    transport, protocol = await loop.create_datagram_endpoint(_Counter, sock=sock)
    addr = transport.get_extra_info("sockname")
    target = LanTarget(broadcast=[("127.0.0.1", 9)], hard_coded={SERIAL: addr}, message_timeout=1.0)
    try:
        yield protocol, target
    finally:
        transport.close()


FRAMES = 300  # more than the 256 sequences of a target


def _frames(count: int, seed: int = 11) -> list[TileMessages.Set64]:
    rng = random.Random(seed)
    return [
        TileMessages.Set64(
            tile_index=0,
            length=1,
            width=8,
            colors=[(rng.randrange(360), 1, rng.random(), 3500) for _ in range(64)],
            ack_required=False,
            res_required=False,
        )
        for _ in range(count)
    ]


def test_a_sequence_that_expects_no_reply_is_free_at_once() -> None:
    target = bytes.fromhex("d073d5000001") + bytes(2)
    seqs = SequenceAllocator(answered_quarantine=60, unanswered_quarantine=60)
    handed = []
    for _ in range(600):
        seq = seqs.allocate(target)
        assert seq is not None
        handed.append(seq)
        seqs.release(target, seq, answered=False, expects_reply=False)
    # the counter moves on: a sequence comes back only after the other 255
    assert handed[:256] == [*range(1, 256), 0] and handed[256:512] == handed[:256]
    # one that expects a reply is still held back, and the stream goes around it
    held = seqs.allocate(target)
    assert held is not None
    seqs.release(target, held, answered=False)
    after = []
    for _ in range(300):
        seq = seqs.allocate(target)
        assert seq is not None
        after.append(seq)
        seqs.release(target, seq, expects_reply=False)
    assert held not in after


async def test_a_session_streams_more_frames_than_sequences(
    counter: tuple[_Counter, LanTarget],
) -> None:
    device, target = counter
    async with target.session() as sender:
        for frame in _frames(FRAMES):
            assert await sender(frame, SERIAL) == []
        assert sender.stats["sent"] == FRAMES
        assert sender.stats["timeouts"] == 0
    await _until(lambda: len(device.frames) >= FRAMES)
    assert [t for _, t in device.frames] == [TileMessages.Set64.pkt_type] * FRAMES
    # sequences go around without waiting: the 257th frame reuses the first one's
    sequences = [s for s, _ in device.frames]
    assert sequences[256] == sequences[0] and len(set(sequences)) == 256


async def test_run_with_streams_more_frames_than_sequences(
    counter: tuple[_Counter, LanTarget],
) -> None:
    device, target = counter
    errors: list[Exception] = []
    assert (
        await target.script(_frames(FRAMES, seed=12)).run_with_all(SERIAL, error_catcher=errors)
        == []
    )
    assert errors == []
    await _until(lambda: len(device.frames) >= FRAMES)
    assert len(device.frames) == FRAMES


async def test_an_emulated_tile_gets_every_frame(fleet: Fleet) -> None:
    tile = serials_of(fleet, "tile")[0]
    target = hard_coded_target(fleet, message_timeout=1.0)
    fleet.reset()
    async with target.session() as sender:
        for frame in _frames(FRAMES, seed=13):
            assert await sender(frame, tile) == []
            await asyncio.sleep(0.005)  # a pace the emulator keeps up with
    await _until(lambda: fleet.received(tile) >= FRAMES)
    assert fleet.received(tile) == FRAMES


async def _until(condition: Callable[[], bool]) -> None:
    """Wait (bounded, 5 s) for the receiver to have read every frame from its socket."""
    for _ in range(100):
        if condition():
            return
        await asyncio.sleep(0.05)


async def test_a_frame_that_cannot_get_a_sequence_times_out_rather_than_vanish(
    counter: tuple[_Counter, LanTarget],
) -> None:
    device, target = counter
    async with target.session() as sender:
        # every sequence of the device held by requests still waiting for answers
        device_target = bytes.fromhex(SERIAL) + bytes(2)
        sequences = sender.link.sequences
        while sequences.allocate(device_target) is not None:
            pass
        with pytest.raises(RunFailed) as info:
            await sender(_frames(1)[0], SERIAL, message_timeout=0.2)
        assert [type(e) for e in info.value.errors] == [TimedOut]
        assert sender.stats["sent"] == 0
    assert device.frames == []
