"""LIFX products for the Home Assistant side: the engine's capability table, kept in one place.

The table lives in ``engine/control/capabilities.py`` because the engine (the gatherer and
transform) needs it and cannot import this package; everything here is that table.
"""

from __future__ import annotations

from .engine.control.capabilities import (
    PRODUCTS,
    Cap,
    Kelvin,
    Product,
    Upgrade,
    capabilities,
    capability_names,
    parse_firmware,
    product_name,
)

__all__ = [
    "PRODUCTS",
    "Cap",
    "Kelvin",
    "Product",
    "Upgrade",
    "capabilities",
    "capability_names",
    "parse_firmware",
    "product_name",
]
