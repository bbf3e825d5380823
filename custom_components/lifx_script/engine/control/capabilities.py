"""LIFX products: name, capabilities and kelvin range by product id (vendor 1); engine side.

Generated once from LIFX's public products.json (LAN Protocol, LiFi Labs, Inc., developer terms) and
kept compact so the registry can name a bulb's model and firmware upgrades can add capabilities
without shipping or parsing the JSON file at run time.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntFlag
from typing import Final


class Cap(IntFlag):
    """What a product can do; `upgrades` add flags from a firmware version on."""

    NONE = 0
    COLOR = 1
    CHAIN = 2
    MATRIX = 4
    INFRARED = 8
    MULTIZONE = 16
    HEV = 32
    RELAYS = 64
    BUTTONS = 128
    EXTENDED_MULTIZONE = 256


type Kelvin = tuple[int, int] | None
type Upgrade = tuple[int, int, Cap, Kelvin]


@dataclass(frozen=True, slots=True)
class Product:
    """One LIFX product; `kelvin` is None for devices that are not lights."""

    name: str
    caps: Cap
    kelvin: Kelvin
    upgrades: tuple[Upgrade, ...] = ()


NONE, C, CH, MX, IR, MZ = Cap.NONE, Cap.COLOR, Cap.CHAIN, Cap.MATRIX, Cap.INFRARED, Cap.MULTIZONE
HEV, RL, BT, EMZ = Cap.HEV, Cap.RELAYS, Cap.BUTTONS, Cap.EXTENDED_MULTIZONE
_p = Product

PRODUCTS: Final[dict[int, Product]] = {
    1: _p("LIFX Original 1000", C, (2500, 9000)),
    3: _p("LIFX Color 650", C, (2500, 9000)),
    10: _p("LIFX White 800 (Low Voltage)", NONE, (2700, 6500)),
    11: _p("LIFX White 800 (High Voltage)", NONE, (2700, 6500)),
    15: _p("LIFX Color 1000", C, (2500, 9000)),
    18: _p("LIFX White 900 BR30 (Low Voltage)", NONE, (2500, 9000)),
    19: _p("LIFX White 900 BR30 (High Voltage)", NONE, (2500, 9000)),
    20: _p("LIFX Color 1000 BR30", C, (2500, 9000)),
    22: _p("LIFX Color 1000", C, (2500, 9000)),
    27: _p("LIFX A19", C, (2500, 9000), ((2, 80, NONE, (1500, 9000)),)),
    28: _p("LIFX BR30", C, (2500, 9000), ((2, 80, NONE, (1500, 9000)),)),
    29: _p("LIFX A19 Night Vision", C | IR, (2500, 9000), ((2, 80, NONE, (1500, 9000)),)),
    30: _p("LIFX BR30 Night Vision", C | IR, (2500, 9000), ((2, 80, NONE, (1500, 9000)),)),
    31: _p("LIFX Z", C | MZ, (2500, 9000)),
    32: _p(
        "LIFX Z",
        C | MZ,
        (2500, 9000),
        (
            (2, 77, EMZ, None),
            (2, 80, NONE, (1500, 9000)),
        ),
    ),
    36: _p("LIFX Downlight", C, (2500, 9000), ((2, 80, NONE, (1500, 9000)),)),
    37: _p("LIFX Downlight", C, (2500, 9000), ((2, 80, NONE, (1500, 9000)),)),
    38: _p(
        "LIFX Beam",
        C | MZ,
        (2500, 9000),
        (
            (2, 77, EMZ, None),
            (2, 80, NONE, (1500, 9000)),
        ),
    ),
    39: _p("LIFX Downlight White to Warm", NONE, (2500, 9000), ((2, 80, NONE, (1500, 9000)),)),
    40: _p("LIFX Downlight", C, (2500, 9000), ((2, 80, NONE, (1500, 9000)),)),
    43: _p("LIFX A19", C, (2500, 9000), ((2, 80, NONE, (1500, 9000)),)),
    44: _p("LIFX BR30", C, (2500, 9000), ((2, 80, NONE, (1500, 9000)),)),
    45: _p("LIFX A19 Night Vision", C | IR, (2500, 9000), ((2, 80, NONE, (1500, 9000)),)),
    46: _p("LIFX BR30 Night Vision", C | IR, (2500, 9000), ((2, 80, NONE, (1500, 9000)),)),
    49: _p("LIFX Mini Color", C, (1500, 9000)),
    50: _p("LIFX Mini White to Warm", NONE, (1500, 6500), ((3, 70, NONE, (1500, 9000)),)),
    51: _p("LIFX Mini White", NONE, (2700, 2700)),
    52: _p("LIFX GU10", C, (1500, 9000)),
    53: _p("LIFX GU10", C, (1500, 9000)),
    55: _p("LIFX Tile", C | CH | MX, (2500, 9000)),
    57: _p("LIFX Candle", C | MX, (1500, 9000)),
    59: _p("LIFX Mini Color", C, (1500, 9000)),
    60: _p("LIFX Mini White to Warm", NONE, (1500, 6500), ((3, 70, NONE, (1500, 9000)),)),
    61: _p("LIFX Mini White", NONE, (2700, 2700)),
    62: _p("LIFX A19", C, (1500, 9000)),
    63: _p("LIFX BR30", C, (1500, 9000)),
    64: _p("LIFX A19 Night Vision", C | IR, (1500, 9000)),
    65: _p("LIFX BR30 Night Vision", C | IR, (1500, 9000)),
    66: _p("LIFX Mini White", NONE, (2700, 2700)),
    68: _p("LIFX Candle", C | MX, (1500, 9000)),
    70: _p("LIFX Switch", RL | BT, None),
    71: _p("LIFX Switch", RL | BT, None),
    81: _p("LIFX Candle White to Warm", NONE, (2200, 6500)),
    82: _p("LIFX Filament Clear", NONE, (2100, 2100)),
    85: _p("LIFX Filament Amber", NONE, (2000, 2000)),
    87: _p("LIFX Mini White", NONE, (2700, 2700)),
    88: _p("LIFX Mini White", NONE, (2700, 2700)),
    89: _p("LIFX Switch", RL | BT, None),
    90: _p("LIFX Clean", C | HEV, (1500, 9000)),
    91: _p("LIFX Color", C, (1500, 9000)),
    92: _p("LIFX Color", C, (1500, 9000)),
    93: _p("LIFX A19 US", C, (1500, 9000)),
    94: _p("LIFX BR30", C, (1500, 9000)),
    96: _p("LIFX Candle White to Warm", NONE, (2200, 6500)),
    97: _p("LIFX A19", C, (1500, 9000)),
    98: _p("LIFX BR30", C, (1500, 9000)),
    99: _p("LIFX Clean", C | HEV, (1500, 9000)),
    100: _p("LIFX Filament Clear", NONE, (2100, 2100)),
    101: _p("LIFX Filament Amber", NONE, (2000, 2000)),
    109: _p("LIFX A19 Night Vision", C | IR, (1500, 9000)),
    110: _p("LIFX BR30 Night Vision", C | IR, (1500, 9000)),
    111: _p("LIFX A19 Night Vision", C | IR, (1500, 9000)),
    112: _p("LIFX BR30 Night Vision Intl", C | IR, (1500, 9000)),
    113: _p("LIFX Mini WW US", NONE, (1500, 9000)),
    114: _p("LIFX Mini WW Intl", NONE, (1500, 9000)),
    115: _p("LIFX Switch", RL | BT, None),
    116: _p("LIFX Switch", RL | BT, None),
    117: _p("LIFX Z US", C | MZ | EMZ, (1500, 9000)),
    118: _p("LIFX Z Intl", C | MZ | EMZ, (1500, 9000)),
    119: _p("LIFX Beam US", C | MZ | EMZ, (1500, 9000)),
    120: _p("LIFX Beam Intl", C | MZ | EMZ, (1500, 9000)),
    121: _p("LIFX Downlight Intl", C, (1500, 9000)),
    122: _p("LIFX Downlight US", C, (1500, 9000)),
    123: _p("LIFX Color US", C, (1500, 9000)),
    124: _p("LIFX Colour Intl", C, (1500, 9000)),
    125: _p("LIFX White to Warm US", NONE, (1500, 9000)),
    126: _p("LIFX White to Warm Intl", NONE, (1500, 9000)),
    127: _p("LIFX White US", NONE, (2700, 2700)),
    128: _p("LIFX White Intl", NONE, (2700, 2700)),
    129: _p("LIFX Color US", C, (1500, 9000)),
    130: _p("LIFX Colour Intl", C, (1500, 9000)),
    131: _p("LIFX White To Warm US", NONE, (1500, 9000)),
    132: _p("LIFX White To Warm Intl", NONE, (1500, 9000)),
    133: _p("LIFX White US", NONE, (2700, 2700)),
    134: _p("LIFX White Intl", NONE, (2700, 2700)),
    135: _p("LIFX GU10 Color US", C, (1500, 9000)),
    136: _p("LIFX GU10 Colour Intl", C, (1500, 9000)),
    137: _p("LIFX Candle Color US", C | MX, (1500, 9000)),
    138: _p("LIFX Candle Colour Intl", C | MX, (1500, 9000)),
    141: _p("LIFX Neon US", C | MZ | EMZ, (1500, 9000)),
    142: _p("LIFX Neon Intl", C | MZ | EMZ, (1500, 9000)),
    143: _p("LIFX String US", C | MZ | EMZ, (1500, 9000)),
    144: _p("LIFX String Intl", C | MZ | EMZ, (1500, 9000)),
    161: _p("LIFX Outdoor Neon US", C | MZ | EMZ, (1500, 9000)),
    162: _p("LIFX Outdoor Neon Intl", C | MZ | EMZ, (1500, 9000)),
    163: _p("LIFX A19 US", C, (1500, 9000)),
    164: _p("LIFX BR30 US", C, (1500, 9000)),
    165: _p("LIFX A19 Intl", C, (1500, 9000)),
    166: _p("LIFX BR30 Intl", C, (1500, 9000)),
    167: _p("LIFX Downlight", C, (1500, 9000)),
    168: _p("LIFX Downlight", C, (1500, 9000)),
    169: _p("LIFX A21 1600lm US", C, (1500, 9000)),
    170: _p("LIFX A21 1600lm Intl", C, (1500, 9000)),
    171: _p("LIFX Round Spot US", C | MX, (1500, 9000)),
    173: _p("LIFX Round Path US", C | MX, (1500, 9000)),
    174: _p("LIFX Square Path US", C | MX, (1500, 9000)),
    175: _p("LIFX PAR38 US", C, (1500, 9000)),
    176: _p("LIFX Ceiling US", C | MX, (1500, 9000)),
    177: _p("LIFX Ceiling Intl", C | MX, (1500, 9000)),
    178: _p("LIFX Downlight US", C, (1500, 9000)),
    179: _p("LIFX Downlight US", C, (1500, 9000)),
    180: _p("LIFX Downlight US", C, (1500, 9000)),
    181: _p("LIFX Color US", C, (1500, 9000)),
    182: _p("LIFX Colour Intl", C, (1500, 9000)),
    185: _p("LIFX Candle Color US", C | MX, (1500, 9000)),
    186: _p("LIFX Candle Colour Intl", C | MX, (1500, 9000)),
    187: _p("LIFX Candle Color US", C, (1500, 9000)),
    188: _p("LIFX Candle Colour Intl", C, (1500, 9000)),
    201: _p('LIFX Ceiling 13x26" US', C | MX, (1500, 9000)),
    202: _p('LIFX Ceiling 13x26" Intl', C | MX, (1500, 9000)),
    203: _p("LIFX String US", C | MZ | EMZ, (1500, 9000)),
    204: _p("LIFX String Intl", C | MZ | EMZ, (1500, 9000)),
    205: _p("LIFX Indoor Neon US", C | MZ | EMZ, (1500, 9000)),
    206: _p("LIFX Indoor Neon Intl", C | MZ | EMZ, (1500, 9000)),
    213: _p("LIFX Permanent Outdoor US", C | MZ | EMZ, (1500, 9000)),
    214: _p("LIFX Permanent Outdoor Intl", C | MZ | EMZ, (1500, 9000)),
    215: _p("LIFX Candle Color US", C | MX, (1500, 9000)),
    216: _p("LIFX Candle Colour Intl", C | MX, (1500, 9000)),
    217: _p("LIFX Tube US", C | MX, (1500, 9000)),
    218: _p("LIFX Tube Intl", C | MX, (1500, 9000)),
    219: _p("LIFX Luna US", C | MX, (1500, 9000)),
    220: _p("LIFX Luna Intl", C | MX, (1500, 9000)),
    221: _p("LIFX Round Spot Intl", C | MX, (1500, 9000)),
    222: _p("LIFX Round Path Intl", C | MX, (1500, 9000)),
    223: _p("LIFX Downlight US", C, (1500, 9000)),
    224: _p("LIFX Downlight Intl", C, (1500, 9000)),
    225: _p("LIFX PAR38 INTL", C, (1500, 9000)),
}


def product_name(product_id: int | None) -> str | None:
    """The product's name, or a generic one for ids newer than this table."""
    if product_id is None:
        return None
    product = PRODUCTS.get(product_id)
    return product.name if product else f"LIFX product {product_id}"


def parse_firmware(firmware: str | None) -> tuple[int, int] | None:
    """Turn the "major.minor" stored in the config entry back into a comparable pair."""
    if not firmware:
        return None
    major, _, minor = firmware.partition(".")
    try:
        return int(major), int(minor)
    except ValueError:
        return None


def capabilities(product_id: int | None, firmware: str | None = None) -> tuple[Cap, Kelvin]:
    """Capabilities and kelvin range of a product on a firmware, upgrades applied in order."""
    product = PRODUCTS.get(product_id) if product_id is not None else None
    if product is None:
        return Cap.NONE, None
    caps, kelvin = product.caps, product.kelvin
    version = parse_firmware(firmware)
    for major, minor, added, upgraded_kelvin in product.upgrades:
        if version is not None and version >= (major, minor):
            caps |= added
            if upgraded_kelvin is not None:
                kelvin = upgraded_kelvin
    return caps, kelvin


def capability_names(product_id: int | None, firmware: str | None = None) -> list[str]:
    """Lower-case capability names, for diagnostics and the discover response."""
    caps, _ = capabilities(product_id, firmware)
    return [flag.name.lower() for flag in Cap if flag and flag in caps and flag.name]
