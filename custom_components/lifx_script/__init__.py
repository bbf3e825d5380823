"""LIFX Script: send any LIFX LAN message to any set of bulbs from Home Assistant.

The Home Assistant entry points live in `integration`; they are imported here only when
Home Assistant is installed, so the bundled engine (`.engine`, standard library only) can be
imported on its own, e.g. by the benchmarks beside the peer libraries.
"""

from importlib.util import find_spec

if find_spec("homeassistant") is not None:
    from .integration import (
        CONFIG_SCHEMA,
        async_remove_config_entry_device,
        async_setup,
        async_setup_entry,
        async_unload_entry,
    )

    __all__ = [
        "CONFIG_SCHEMA",
        "async_remove_config_entry_device",
        "async_setup",
        "async_setup_entry",
        "async_unload_entry",
    ]
