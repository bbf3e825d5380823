"""The hub: one engine session per config entry, its shared in-flight limit and discovery.

The entry owns exactly one session (one UDP socket) and one semaphore that every action call
shares, so concurrent automations cannot flood the network. Known devices come from the entry's
data, so setup never waits for discovery; background discovery keeps them current.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterable, Mapping
from contextlib import AbstractAsyncContextManager
from datetime import datetime, timedelta
from typing import Any

from homeassistant.components import network
from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import ConfigEntryError, ConfigEntryNotReady
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.event import async_track_time_interval

from .addresses import parse_address
from .const import (
    CONF_BROADCAST_ADDRESSES,
    CONF_DEVICES,
    CONF_DISCOVERY_INTERVAL,
    CONF_FIRMWARE,
    CONF_INTERFACE_BROADCASTS,
    CONF_IP,
    CONF_LABEL,
    CONF_LIMIT,
    CONF_MESSAGE_TIMEOUT,
    CONF_PORT,
    CONF_PRODUCT_ID,
    CONF_RATE_LIMIT,
    CONF_STATIC_HOSTS,
    DEFAULT_DISCOVERY_INTERVAL,
    DEFAULT_INTERFACE_BROADCASTS,
    DEFAULT_LIMIT,
    DEFAULT_MESSAGE_TIMEOUT,
    DEFAULT_RATE_LIMIT,
    DISCOVERY_TIMEOUT,
    DOMAIN,
    INFO_TIMEOUT,
    LIFX_PORT,
    MANUFACTURER,
)
from .engine import LanTarget, Messages, MultipleErrors, Result, RunFailed, ScriptError
from .products import product_name

_LOGGER = logging.getLogger(__name__)

type Addr = tuple[str, int]
type DeviceData = dict[str, Any]

DEFAULT_OPTIONS: dict[str, Any] = {
    CONF_INTERFACE_BROADCASTS: DEFAULT_INTERFACE_BROADCASTS,
    CONF_BROADCAST_ADDRESSES: [],
    CONF_STATIC_HOSTS: [],
    CONF_LIMIT: DEFAULT_LIMIT,
    CONF_MESSAGE_TIMEOUT: DEFAULT_MESSAGE_TIMEOUT,
    CONF_DISCOVERY_INTERVAL: DEFAULT_DISCOVERY_INTERVAL,
    CONF_RATE_LIMIT: DEFAULT_RATE_LIMIT,
}

type LifxScriptConfigEntry = ConfigEntry[LifxScriptHub]

# Where the engine's one UDP socket binds: every interface, an ephemeral port.
BIND_ADDRESS: tuple[str, int] = ("0.0.0.0", 0)

# Host firmware from 3.70 on uses a MAC address one above the serial (last byte only, wrapping);
# core LIFX registers that MAC as the device's connection (its util.get_real_mac_addr).
MAC_PLUS_ONE_FIRMWARE: tuple[int, int] = (3, 70)
# Where a LIFX Script device page's link leads: the README section that says what the device is
# for (it has no entities: it is what `lifx_script.run` is aimed at).
DEVICE_DOCS_URL = "https://github.com/lifx-script/lifx_script#devices"
# Core LIFX identifies a bulb by its serial written as a MAC: ("lifx", "d0:73:d5:..").
CORE_LIFX_DOMAIN = "lifx"
# Before 2026.8 a registry device found by a connection may belong to another config entry, and
# ours then joins it; from 2026.8 a device has one config entry (`config_entry_id`) and lookups
# stay inside it.
REGISTRY_MERGES_ENTRIES = not hasattr(dr.DeviceEntry, "config_entry_id")


def device_mac(serial: str, firmware: str | None) -> str | None:
    """The MAC address core LIFX registers for this bulb; None while its firmware is unknown.

    Registering the same MAC connection lets Home Assistant versions that merge devices by
    connection show one device for a bulb that both integrations manage. Without the firmware
    the MAC is a guess that could name a neighbouring bulb, so none is given.
    """
    if firmware is None:
        return None
    try:
        version = tuple(int(part) for part in firmware.split(".")[:2])
        octets = [int(serial[index : index + 2], 16) for index in range(0, 12, 2)]
    except ValueError:
        return None
    if len(version) != 2 or len(serial) != 12 or len(octets) != 6:
        return None
    if version >= MAC_PLUS_ONE_FIRMWARE:
        octets[5] = (octets[5] + 1) % 256
    return ":".join(f"{octet:02x}" for octet in octets)


def possible_macs(serial: str, firmware: str | None) -> set[str]:
    """Every MAC core LIFX may register for this bulb: both choices while firmware is unknown."""
    choices = [firmware] if firmware is not None else ["0.0", "3.70"]
    return {mac for choice in choices if (mac := device_mac(serial, choice)) is not None}


def names_other_bulb(identifiers: Iterable[tuple[str, str]], serial: str) -> bool:
    """True when a registry device's identifiers name a LIFX bulb other than `serial`."""
    for domain, value in identifiers:
        if domain == DOMAIN and value != serial:
            return True
        if domain == CORE_LIFX_DOMAIN and dr.format_mac(value) != dr.format_mac(serial):
            return True
    return False


class CannotBind(Exception):
    """The engine could not open its UDP socket."""


def entry_options(options: Mapping[str, Any]) -> dict[str, Any]:
    """The entry's options with defaults filled in (entries from older versions lack some)."""
    return {**DEFAULT_OPTIONS, **options}


def flatten_errors(errors: Iterable[BaseException]) -> list[BaseException]:
    """Unwrap MultipleErrors and RunFailed so each device failure is reported once."""
    flat: list[BaseException] = []
    for error in errors:
        if isinstance(error, MultipleErrors | RunFailed):
            flat.extend(flatten_errors(error.errors))
        else:
            flat.append(error)
    return flat


class NowhereToLook(Exception):
    """No interface broadcasts, no addresses and no known devices: nothing to send to."""


async def async_discovery_addresses(
    hass: HomeAssistant, options: Mapping[str, Any], known: Iterable[Addr] = ()
) -> list[Addr]:
    """Where GetService goes: interface broadcasts, the user's broadcasts, static hosts.

    Static hosts are unicast addresses in the same list: GetService to a device's own address
    is the unicast probe, and the engine then also looks there for serials it does not know.
    Without any of these, the known devices' addresses still let them be found again.
    """
    addresses: list[Addr] = []
    if options[CONF_INTERFACE_BROADCASTS]:
        for ip in sorted(await network.async_get_ipv4_broadcast_addresses(hass)):
            addresses.append((str(ip), LIFX_PORT))
    for text in [*options[CONF_BROADCAST_ADDRESSES], *options[CONF_STATIC_HOSTS]]:
        addresses.append(parse_address(text))
    if not addresses:
        addresses.extend(known)
    if not addresses:
        raise NowhereToLook
    return list(dict.fromkeys(addresses))


def make_target(addresses: list[Addr], options: Mapping[str, Any]) -> LanTarget:
    """The engine target for these options.

    Known devices are added to the session's cache rather than given as `hard_coded`: the
    engine treats hard-coded devices as the whole network and would then never broadcast.
    """
    timeout = float(options[CONF_MESSAGE_TIMEOUT])
    rate = float(options[CONF_RATE_LIMIT])
    return LanTarget(
        broadcast=addresses,
        bind=BIND_ADDRESS,
        default_limit=int(options[CONF_LIMIT]),
        rate_limit=rate if rate > 0 else None,
        message_timeout=timeout,
        find_timeout=timeout,
    )


async def async_scan(sender: Any) -> dict[str, Addr]:
    """GetService to every address; answers arrive in milliseconds, silence costs the timeout.

    Only confirmed devices come back: the engine checks every new or moved address with a
    unicast exchange first, so a forged StateService never reaches the registry.
    """
    found: dict[str, Addr] = await sender.discover(timeout=DISCOVERY_TIMEOUT)
    return dict(found)


async def async_describe(
    sender: Any, found: Mapping[str, Addr], limit: Any, known: Mapping[str, DeviceData]
) -> dict[str, DeviceData]:
    """Ask each found device its label, product and firmware; keep what is known on failure."""
    devices: dict[str, DeviceData] = {}
    for serial, (ip, port) in found.items():
        previous = known.get(serial, {})
        devices[serial] = {
            CONF_IP: ip,
            CONF_PORT: port,
            CONF_LABEL: previous.get(CONF_LABEL, ""),
            CONF_PRODUCT_ID: previous.get(CONF_PRODUCT_ID),
            CONF_FIRMWARE: previous.get(CONF_FIRMWARE),
        }
    if not devices:
        return devices
    errors: list[BaseException] = []
    questions = [Messages.lookup(name)() for name in ("GetLabel", "GetVersion", "GetHostFirmware")]
    results: list[Result] = await sender(
        questions,
        list(devices),
        limit=limit,
        message_timeout=INFO_TIMEOUT,
        error_catcher=errors,
    )
    for result in results:
        pkt = result.pkt
        device = devices.get(pkt.serial)
        if device is None:
            continue
        if pkt.name == "StateLabel":
            device[CONF_LABEL] = pkt.label
        elif pkt.name == "StateVersion":
            device[CONF_PRODUCT_ID] = int(pkt.product)
        elif pkt.name == "StateHostFirmware":
            device[CONF_FIRMWARE] = f"{pkt.version_major}.{pkt.version_minor}"
    for error in flatten_errors(errors):
        _LOGGER.debug("Could not describe %s: %s", getattr(error, "serial", None), error)
    return devices


async def async_scan_network(hass: HomeAssistant, options: Mapping[str, Any]) -> dict[str, Any]:
    """A one-off scan with its own short-lived session, for the config flow."""
    options = entry_options(options)
    target = make_target(await async_discovery_addresses(hass, options), options)
    try:
        session = target.session()
        sender = await session.__aenter__()
    except OSError as err:
        raise CannotBind(str(err)) from err
    try:
        found = await async_scan(sender)
        return await async_describe(sender, found, None, {})
    finally:
        await session.__aexit__(None, None, None)


class LifxScriptHub:
    """One engine session, the shared semaphore, the known devices and background discovery."""

    def __init__(self, hass: HomeAssistant, entry: LifxScriptConfigEntry) -> None:
        self.hass = hass
        self.entry = entry
        self.options = entry_options(entry.options)
        self.semaphore = asyncio.Semaphore(int(self.options[CONF_LIMIT]))
        self.devices: dict[str, DeviceData] = {
            serial: dict(device) for serial, device in entry.data.get(CONF_DEVICES, {}).items()
        }
        self.sender: Any = None
        self.counters: dict[str, int] = {"runs": 0, "replies": 0, "errors": 0, "discoveries": 0}
        self.last_discovery: dict[str, Any] | None = None
        self._session: AbstractAsyncContextManager[Any] | None = None
        self._discovery_lock = asyncio.Lock()
        self._discovery_task: asyncio.Task[None] | None = None
        self._unsub_timer: Any = None

    @property
    def message_timeout(self) -> float:
        """The default message timeout of action calls."""
        return float(self.options[CONF_MESSAGE_TIMEOUT])

    async def async_start(self) -> None:
        """Open the session and register known devices; discovery runs later, in background."""
        known = [(device[CONF_IP], int(device[CONF_PORT])) for device in self.devices.values()]
        try:
            addresses = await async_discovery_addresses(self.hass, self.options, known)
        except NowhereToLook as err:
            raise ConfigEntryError(
                translation_domain=DOMAIN, translation_key="nowhere_to_look"
            ) from err
        target = make_target(addresses, self.options)
        session = target.session()
        try:
            self.sender = await session.__aenter__()
        except OSError as err:
            raise ConfigEntryNotReady(
                translation_domain=DOMAIN,
                translation_key="cannot_bind",
                translation_placeholders={"error": str(err)},
            ) from err
        self._session = session
        for serial, device in self.devices.items():
            self.sender.add_device(serial, (device[CONF_IP], int(device[CONF_PORT])))
        self._register_devices(self.devices)
        interval = int(self.options[CONF_DISCOVERY_INTERVAL])
        if interval > 0:
            self._unsub_timer = async_track_time_interval(
                self.hass,
                self._async_discovery_due,
                timedelta(seconds=interval),
                name=f"{DOMAIN} discovery",
                cancel_on_shutdown=True,
            )
            self._start_discovery()

    async def async_stop(self) -> None:
        """Stop the timer and discovery, then close the session: running sends fail."""
        if self._unsub_timer is not None:
            self._unsub_timer()
            self._unsub_timer = None
        task, self._discovery_task = self._discovery_task, None
        if task is not None and not task.done():
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        session, self._session = self._session, None
        if session is not None:
            await session.__aexit__(None, None, None)

    @callback
    def _async_discovery_due(self, _now: datetime) -> None:
        """Timer callback: start a background discovery unless one is running."""
        self._start_discovery()

    @callback
    def _start_discovery(self) -> None:
        if self._discovery_task is not None and not self._discovery_task.done():
            return
        self._discovery_task = self.entry.async_create_background_task(
            self.hass, self._async_background_discovery(), f"{DOMAIN} background discovery"
        )

    async def _async_background_discovery(self) -> None:
        """Discovery that logs instead of raising: it must never break the entry."""
        try:
            await self.async_discover()
        except (ScriptError, OSError) as err:
            _LOGGER.debug("Background discovery failed: %s", err)

    async def async_discover(self) -> dict[str, DeviceData]:
        """Scan now: add new devices, update addresses and details, return what was found."""
        async with self._discovery_lock:
            started = time.monotonic()
            found = await async_scan(self.sender)
            described = await async_describe(
                self.sender, found, (self.semaphore, None), self.devices
            )
            self.counters["discoveries"] += 1
            self.last_discovery = {
                "found": len(described),
                "seconds": round(time.monotonic() - started, 3),
            }
            changed = {s: d for s, d in described.items() if self.devices.get(s) != d}
            if changed:
                self.devices.update(changed)
                self._save_devices()
                self._register_devices(changed)
            return described

    @callback
    def async_forget(self, serial: str) -> None:
        """Drop a stale device: from the engine's cache and the entry's known devices."""
        if self.devices.pop(serial, None) is not None:
            self._save_devices()
        if self.sender is not None:
            self.sender.forget(serial)

    @callback
    def _save_devices(self) -> None:
        self.hass.config_entries.async_update_entry(
            self.entry,
            data={**self.entry.data, CONF_DEVICES: {s: dict(d) for s, d in self.devices.items()}},
        )

    @callback
    def _register_devices(self, devices: Mapping[str, DeviceData]) -> None:
        """One registry device per bulb, named by its label, modelled from products.json.

        The MAC connection is the one core LIFX registers for the same bulb (see `device_mac`);
        the configuration URL leads to the README's section on these devices.
        """
        registry = dr.async_get(self.hass)
        for serial, device in devices.items():
            product_id = device.get(CONF_PRODUCT_ID)
            mac = self._unambiguous_mac(registry, serial, device.get(CONF_FIRMWARE))
            registry.async_get_or_create(
                config_entry_id=self.entry.entry_id,
                identifiers={(DOMAIN, serial)},
                connections={(dr.CONNECTION_NETWORK_MAC, mac)} if mac else None,
                configuration_url=DEVICE_DOCS_URL,
                manufacturer=MANUFACTURER,
                name=device.get(CONF_LABEL) or serial,
                model=product_name(product_id),
                model_id=str(product_id) if product_id is not None else None,
                serial_number=serial,
                sw_version=device.get(CONF_FIRMWARE),
            )

    def _unambiguous_mac(
        self, registry: dr.DeviceRegistry, serial: str, firmware: str | None
    ) -> str | None:
        """The bulb's MAC, unless another bulb may have the same one; then None.

        With firmware before 3.70 a bulb's MAC is its serial, from 3.70 on the serial plus one:
        a bulb whose serial is one above another's (emulated fleets, mixed firmware) may share
        its MAC. A connection both claim would merge two bulbs into one registry device (and
        from 2026.8 two devices of one entry with the same connection fail registration).
        """
        mac = device_mac(serial, firmware)
        if mac is None:
            return None
        for other, known in self.devices.items():
            if other != serial and mac in possible_macs(other, known.get(CONF_FIRMWARE)):
                return None
        if REGISTRY_MERGES_ENTRIES:  # else `devices` is a view whose `.values()` is deprecated
            ours = registry.async_get_device(identifiers={(DOMAIN, serial)})
            for existing in registry.devices.values():
                if (dr.CONNECTION_NETWORK_MAC, mac) not in existing.connections:
                    continue
                if names_other_bulb(existing.identifiers, serial):
                    return None
                if ours is not None and existing.id != ours.id:
                    # Our device, registered apart before it had the connection: adding it
                    # would give two devices one connection (and the registry's lookup by it
                    # to ours). Deleting ours lets the next discovery join the other device.
                    return None
        return mac

    async def async_run(
        self,
        script: Any,
        serials: list[str],
        *,
        message_timeout: float | None,
        limit: int | None,
    ) -> tuple[list[Result], list[BaseException], float]:
        """Send a built script to the serials inside the shared semaphore; collect errors."""
        errors: list[BaseException] = []
        started = time.monotonic()
        self.counters["runs"] += 1
        timeout = message_timeout or self.message_timeout
        try:
            # Serials not yet known are looked for by broadcast, within the same timeout.
            results: list[Result] = await self.sender(
                script,
                serials,
                limit=(self.semaphore, limit),
                message_timeout=timeout,
                find_timeout=timeout,
                error_catcher=errors,
            )
        except ScriptError as err:
            results = list(getattr(err, "results", []))
            errors.append(err)
        errors = flatten_errors(errors)
        self.counters["replies"] += len(results)
        self.counters["errors"] += len(errors)
        return results, errors, time.monotonic() - started

    def engine_stats(self) -> dict[str, int]:
        """The engine's own counters (packets, retries, ...), for responses and diagnostics."""
        if self.sender is None:
            return {}
        return {str(key): value for key, value in dict(self.sender.stats).items()}
