"""The tree a script is made of: messages, parallel lists and combinators.

Every node runs for a list of serials (or None: broadcast to every device with a zero
target), emits its results through the run and reports errors to it, and returns whether
everything it sent succeeded (Pipeline's short circuit and FromGenerator's futures need that).
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Sequence
from typing import Any, Protocol

from ..codec import Message, ValidationError
from ..errors import InvalidScript
from .references import SpecialReference

Serials = Sequence[str] | None


class RunContext(Protocol):
    """What nodes need of the run executing them (``run.Run`` is the one implementation).

    A protocol here, so that nodes sit below the run in the layers and import nothing above.
    """

    sender: Any

    async def send(self, msg: Message, serial: str | None) -> bool:
        """msg to one serial (None: broadcast); True if it worked."""
        ...

    def lanes(self, sends: Sequence[tuple[Message, str]]) -> int | None:
        """Make these sends in this many lanes, not a task each (None: a task each)."""
        ...

    def error(self, error: BaseException) -> None:
        """Report an error (raised later, or given to the error catcher)."""

    async def resolve(self, reference: SpecialReference) -> Serials:
        """The serials of a reference, located."""
        ...

    async def refresh(self, serials: Serials) -> Serials:
        """A Repeater's next loop: the serials again (looked up anew for "every device")."""
        ...

    def kwargs(self) -> dict[str, Any]:
        """Options for a generator's own sender calls."""
        ...


class Node:
    """Base of everything a script can hold."""

    async def execute(self, run: RunContext, serials: Serials) -> bool:
        raise NotImplementedError

    def messages(self) -> list[Message]:
        """The messages known up front (for validation and introspection)."""
        return []


# Tasks started in one turn of the event loop: thousands at once (a call of 500 messages to
# 4 devices starts 2000) would hold the loop for tens of milliseconds, and everyone else with it.
START_SLICE = 250


async def all_ok(coros: Sequence[Coroutine[Any, Any, bool]]) -> bool:
    """Run in parallel (cancelled together); True if every one returned True.

    Started START_SLICE at a time, the loop getting a turn between slices; the start order
    (and so the order in which they wait for a limit) is theirs.
    """
    if len(coros) == 1:
        return await coros[0]
    if not coros:
        return True
    tasks: list[asyncio.Task[bool]] = []
    try:
        async with asyncio.TaskGroup() as group:
            for coro in coros:
                if tasks and len(tasks) % START_SLICE == 0:
                    await asyncio.sleep(0)
                tasks.append(group.create_task(coro))
    finally:
        for never_started in coros[len(tasks) :]:
            never_started.close()
    return all(task.result() for task in tasks)


def in_lanes(
    run: RunContext, sends: Sequence[tuple[Message, str]] | None
) -> list[Coroutine[Any, Any, bool]] | None:
    """Lanes for these sends, each making the next one not yet taken (the order of a task
    each); None when the run wants a task each (see RunContext.lanes) or sends is None.

    A task per send would mostly wait for the run's limit (a call of 500 messages to 4
    devices would make 2000 tasks, and their frames and futures, for 30 in flight): lanes
    keep as many sends going with far fewer objects alive.
    """
    if sends is None or len(sends) < 2:
        return None
    width = run.lanes(sends)
    if width is None:
        return None
    pending = iter(sends)

    async def lane() -> bool:
        ok = True
        for msg, serial in pending:
            ok = await run.send(msg, serial) and ok
        return ok

    return [lane() for _ in range(min(width, len(sends)))]


class MessageNode(Node):
    """One message, sent to every serial (or to its own target, when it has one)."""

    __slots__ = ("msg", "own_serial")

    def __init__(self, msg: Message) -> None:
        try:
            msg.pack_for(msg.target, 1, 1)  # every field packs: errors now, not mid-run
        except ValidationError as error:
            raise InvalidScript(f"{msg.name}({msg.pkt_type}) cannot be packed: {error}") from None
        self.msg = msg
        serial = msg.serial
        self.own_serial = None if serial == "000000000000" else serial

    def coroutines(self, run: RunContext, serials: Serials) -> list[Coroutine[Any, Any, bool]]:
        if self.own_serial is not None:
            return [run.send(self.msg, self.own_serial)]
        if serials is None:
            return [run.send(self.msg, None)]
        return [run.send(self.msg, serial) for serial in serials]

    def sends(self, serials: Serials) -> list[tuple[Message, str]] | None:
        """(message, serial) for each send to a device (None: a broadcast, no serials)."""
        if self.own_serial is not None:
            return [(self.msg, self.own_serial)]
        if serials is None:
            return None
        msg = self.msg
        return [(msg, serial) for serial in serials]

    async def execute(self, run: RunContext, serials: Serials) -> bool:
        lanes = in_lanes(run, self.sends(serials))
        return await all_ok(lanes if lanes is not None else self.coroutines(run, serials))

    def messages(self) -> list[Message]:
        return [self.msg]

    def __repr__(self) -> str:
        return f"MessageNode({self.msg!r})"


class ListNode(Node):
    """Children sent in parallel; results stream in completion order."""

    __slots__ = ("children",)

    def __init__(self, children: Sequence[Node]) -> None:
        self.children = tuple(children)

    async def execute(self, run: RunContext, serials: Serials) -> bool:
        # every child a message to devices: their sends share one set of lanes
        lanes = in_lanes(run, self._sends(self.children, serials))
        if lanes is not None:
            return await all_ok(lanes)
        coros: list[Coroutine[Any, Any, bool]] = []
        for child in self.children:
            if isinstance(child, MessageNode):
                coros.extend(child.coroutines(run, serials))
            else:
                coros.append(child.execute(run, serials))
        return await all_ok(coros)

    @staticmethod
    def _sends(children: Sequence[Node], serials: Serials) -> list[tuple[Message, str]] | None:
        """Every child's sends in order, if every child is a message to devices."""
        sends: list[tuple[Message, str]] = []
        for child in children:
            if not isinstance(child, MessageNode):
                return None
            own = child.sends(serials)
            if own is None:
                return None
            sends.extend(own)
        return sends

    def messages(self) -> list[Message]:
        return [m for child in self.children for m in child.messages()]

    def __repr__(self) -> str:
        return f"ListNode({list(self.children)!r})"


def to_node(value: Any) -> Node:
    """A Message, a Node, a Script, or a list/tuple of those (sent in parallel)."""
    if isinstance(value, Node):
        return value
    if isinstance(value, Message):
        return MessageNode(value)
    node = getattr(value, "node", None)
    if isinstance(node, Node):  # a Script
        return node
    if isinstance(value, list | tuple):
        children = [to_node(item) for item in value]
        return children[0] if len(children) == 1 else ListNode(children)
    if isinstance(value, type) and issubclass(value, Message):
        raise InvalidScript(f"{value.name} is a message class: send an instance ({value.name}())")
    raise InvalidScript(
        "a script is a message, a list of them, a Pipeline, Repeater or FromGenerator; "
        f"not {value!r}"
    )
