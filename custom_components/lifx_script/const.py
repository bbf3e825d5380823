"""Constants shared by the Home Assistant side of lifx_script."""

from typing import Final

DOMAIN: Final = "lifx_script"
