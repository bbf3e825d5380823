"""The integration loads in a real Home Assistant core."""

from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component

from custom_components.lifx_script.const import DOMAIN


async def test_integration_sets_up(hass: HomeAssistant) -> None:
    assert await async_setup_component(hass, DOMAIN, {})
    await hass.async_block_till_done()
    assert DOMAIN in hass.config.components
