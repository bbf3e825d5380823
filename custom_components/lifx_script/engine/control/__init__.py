"""Above the script layer: photons_control's transform, power toggle and gatherer.

Imports only codec, transport (through script) and script; standard library only.
"""

from __future__ import annotations

from .capabilities import PRODUCTS, Cap, Product, capabilities, capability_names, product_name
from .colour import ColourParser, PartialColour
from .planner import (
    PLAN_NAMES,
    SUMMARY_PLANS,
    DeviceFacts,
    Gatherer,
    IncompleteReply,
    Skip,
    make_plans,
)
from .transform import PowerToggle, Transformer, TransformState

__all__ = [
    "PLAN_NAMES",
    "PRODUCTS",
    "SUMMARY_PLANS",
    "Cap",
    "ColourParser",
    "DeviceFacts",
    "Gatherer",
    "IncompleteReply",
    "PartialColour",
    "PowerToggle",
    "Product",
    "Skip",
    "TransformState",
    "Transformer",
    "capabilities",
    "capability_names",
    "make_plans",
    "product_name",
]
