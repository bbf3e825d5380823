"""Layer 3 of the engine: targets, sessions, runs, references and combinators.

Inside, each module imports only the ones below it (tests/engine/test_photons_parity.py checks
this): results, references, options and nodes at the bottom; combinators; run; session;
target at the top. What a lower module needs of a higher one (nodes of the run, the run of
its session, the session of its target) is a Protocol declared in the lower module.
"""

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
