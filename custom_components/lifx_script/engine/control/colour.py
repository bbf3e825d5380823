"""ColourParser: photons' colour strings ("red saturation:0.5", "#00aabb", "kelvin:2700").

A colour string is components separated by whitespace; later components override earlier
ones, so "red saturation:0.5" is hue 0 at half saturation. Each component sets some of
hue, saturation, brightness and kelvin and leaves the rest as they are on the device (None).
Unlike photons, a bad or out-of-range component is an InvalidScript naming it, "random" is
only the whole word, and hue in "hsb:" may be fractional.
"""

from __future__ import annotations

import colorsys
import random
import re
from typing import NamedTuple

from ..errors import InvalidScript


class PartialColour(NamedTuple):
    """Hue (degrees), saturation and brightness (0..1) and kelvin; None: leave as it is."""

    hue: float | None = None
    saturation: float | None = None
    brightness: float | None = None
    kelvin: int | None = None

    def merged(self, later: PartialColour) -> PartialColour:
        """This colour with every component ``later`` sets replaced by it."""
        return PartialColour(
            self.hue if later.hue is None else later.hue,
            self.saturation if later.saturation is None else later.saturation,
            self.brightness if later.brightness is None else later.brightness,
            self.kelvin if later.kelvin is None else later.kelvin,
        )

    @property
    def empty(self) -> bool:
        return all(part is None for part in self)


KELVIN_RANGE = (1500, 9000)

NAMED_COLOURS: dict[str, PartialColour] = {
    "white": PartialColour(saturation=0),
    "red": PartialColour(0, 1),
    "orange": PartialColour(36, 1),
    "yellow": PartialColour(60, 1),
    "cyan": PartialColour(180, 1),
    "green": PartialColour(120, 1),
    "blue": PartialColour(250, 1),
    "purple": PartialColour(280, 1),
    "pink": PartialColour(325, 1),
}

_NUMBER = r"(\d+(?:\.\d*)?|\.\d+)"
_COMPONENTS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("hsb", re.compile(rf"hsb:{_NUMBER},{_NUMBER}(%?),{_NUMBER}(%?)")),
    ("rgb", re.compile(r"rgb:(\d{1,3}),(\d{1,3}),(\d{1,3})")),
    ("hex", re.compile(r"(?:hex:)?#?([0-9a-fA-F]{6})")),
    ("hue", re.compile(rf"hue:{_NUMBER}")),
    ("saturation", re.compile(rf"saturation:{_NUMBER}(%?)")),
    ("brightness", re.compile(rf"brightness:{_NUMBER}(%?)")),
    ("kelvin", re.compile(r"kelvin:(\d+)")),
)


def _fraction(component: str, text: str, percent: str) -> float:
    value = float(text) / (100 if percent else 1)
    if not 0 <= value <= 1:
        raise InvalidScript(f"colour component {component!r}: must be 0..1 (or 0..100%)")
    return value


def _hue(component: str, text: str) -> float:
    value = float(text)
    if not 0 <= value <= 360:
        raise InvalidScript(f"colour component {component!r}: hue must be 0..360")
    return value


def check_kelvin(value: int, component: str = "kelvin") -> int:
    low, high = KELVIN_RANGE
    if not low <= value <= high:
        raise InvalidScript(f"{component}: kelvin must be {low}..{high}, not {value}")
    return value


def rgb_to_hsb(red: int, green: int, blue: int) -> tuple[float, float, float]:
    """0..255 channels to hue degrees, saturation and brightness 0..1."""
    h, s, v = colorsys.rgb_to_hsv(red / 255, green / 255, blue / 255)
    return round(h * 360, 2), round(s, 4), round(v, 4)


class ColourParser:
    """Parse colour strings into a PartialColour (photons_control.colour's name and forms)."""

    named_colors = NAMED_COLOURS

    @classmethod
    def hsbk(cls, components: str) -> PartialColour:
        """The colour a string means; InvalidScript for anything it cannot read."""
        if not isinstance(components, str):
            raise InvalidScript(f"a colour must be a string, not {components!r}")
        colour = PartialColour()
        words = components.split()
        if not words:
            raise InvalidScript("the colour string is empty")
        for word in words:
            colour = colour.merged(cls.component(word))
        return colour

    @classmethod
    def component(cls, word: str) -> PartialColour:
        named = NAMED_COLOURS.get(word.lower())
        if named is not None:
            return named
        if word.lower() == "random":
            return PartialColour(float(random.randrange(0, 360)), 1)
        for kind, pattern in _COMPONENTS:
            match = pattern.fullmatch(word)
            if match is None:
                continue
            groups = match.groups()
            if kind == "hsb":
                return PartialColour(
                    _hue(word, groups[0]),
                    _fraction(word, groups[1], groups[2]),
                    _fraction(word, groups[3], groups[4]),
                )
            if kind in ("rgb", "hex"):
                if kind == "hex":
                    text = groups[0]
                    channels = [int(text[i : i + 2], 16) for i in (0, 2, 4)]
                else:
                    channels = [int(group) for group in groups]
                    if any(channel > 255 for channel in channels):
                        raise InvalidScript(f"colour component {word!r}: channels are 0..255")
                return PartialColour(*rgb_to_hsb(*channels))
            if kind == "hue":
                return PartialColour(hue=_hue(word, groups[0]))
            if kind == "saturation":
                return PartialColour(saturation=_fraction(word, groups[0], groups[1]))
            if kind == "brightness":
                return PartialColour(brightness=_fraction(word, groups[0], groups[1]))
            # kelvin: a white, as in photons (saturation 0)
            return PartialColour(saturation=0, kelvin=check_kelvin(int(groups[0]), word))
        known = ", ".join(NAMED_COLOURS)
        raise InvalidScript(
            f"unknown colour component {word!r}: use a name ({known}), random, #rrggbb, "
            "hex:rrggbb, rgb:r,g,b, hsb:h,s,b, hue:, saturation:, brightness: or kelvin:"
        )


__all__ = ["KELVIN_RANGE", "NAMED_COLOURS", "ColourParser", "PartialColour", "check_kelvin"]
