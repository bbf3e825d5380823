"""Layer 3 of the engine: targets, sessions, runs, references and combinators."""

from __future__ import annotations

from .combinators import FromGenerator, Pipeline, Repeater
from .nodes import ListNode, MessageNode, Node
from .references import FoundSerials, HardCodedSerials, SpecialReference
from .results import Result
from .run import RunHandle
from .session import Sender
from .target import LanTarget, Script, Session

__all__ = [
    "FoundSerials",
    "FromGenerator",
    "HardCodedSerials",
    "LanTarget",
    "ListNode",
    "MessageNode",
    "Node",
    "Pipeline",
    "Repeater",
    "Result",
    "RunHandle",
    "Script",
    "Sender",
    "Session",
    "SpecialReference",
]
