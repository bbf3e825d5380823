"""Constants shared by the Home Assistant side of lifx_script."""

from typing import Final

DOMAIN: Final = "lifx_script"

# Config entry data: the known devices, so setup needs no discovery.
CONF_DEVICES: Final = "devices"
CONF_IP: Final = "ip"
CONF_PORT: Final = "port"
CONF_LABEL: Final = "label"
CONF_PRODUCT_ID: Final = "product_id"
CONF_FIRMWARE: Final = "firmware"

# Config entry options.
CONF_INTERFACE_BROADCASTS: Final = "interface_broadcasts"
CONF_BROADCAST_ADDRESSES: Final = "broadcast_addresses"
CONF_STATIC_HOSTS: Final = "static_hosts"
CONF_LIMIT: Final = "limit"
CONF_MESSAGE_TIMEOUT: Final = "message_timeout"
CONF_DISCOVERY_INTERVAL: Final = "discovery_interval"
CONF_RATE_LIMIT: Final = "rate_limit"

DEFAULT_INTERFACE_BROADCASTS: Final = True
DEFAULT_LIMIT: Final = 30
DEFAULT_MESSAGE_TIMEOUT: Final = 10.0
DEFAULT_DISCOVERY_INTERVAL: Final = 300
DEFAULT_RATE_LIMIT: Final = 0.0

LIFX_PORT: Final = 56700
TITLE: Final = "LIFX Script"
MANUFACTURER: Final = "LIFX"

# How long a scan listens for answers (config flow, background and the discover action), and
# how long each device gets to tell its label, product and firmware afterwards.
DISCOVERY_TIMEOUT: Final = 3.0
INFO_TIMEOUT: Final = 2.0

# In an action's message `type` names the message, so a payload field called `type` (the
# effect type of Set/StateMultiZoneEffect and Set/StateTileEffect) is `effect_type` there,
# in the call and in the response alike.
PAYLOAD_TO_ACTION_FIELD: Final = {"type": "effect_type"}
ACTION_TO_PAYLOAD_FIELD: Final = {v: k for k, v in PAYLOAD_TO_ACTION_FIELD.items()}
# The header flags a message may set in an action (target, source and sequence are the
# integration's: the call's devices say where a message goes).
ACTION_HEADER_FIELDS: Final = frozenset({"ack_required", "res_required"})

SERVICE_RUN: Final = "run"
SERVICE_DISCOVER: Final = "discover"

# The core LIFX integration: its devices carry the serial (as a MAC) in their identifiers.
CORE_LIFX_DOMAIN: Final = "lifx"

# What one `lifx_script.run` call may ask for, refused before anything is sent when exceeded.
# Sized for a real home with room to spare: 200 bulbs in one call; an 82-zone strip painted
# zone by zone (82 messages); a 5-tile chain painted frame by frame (5 Set64 a frame, so 100
# frames in 500 messages). Measured on the largest allowed call: see the README.
MAX_MESSAGES_PER_CALL: Final = 500  # messages per device, nested lists included
MAX_SERIALS_PER_CALL: Final = 250  # devices after targets are resolved
MAX_SENDS_PER_CALL: Final = 2000  # messages x devices: 200 bulbs x 10 messages
# Replies kept in the response; beyond it they are counted in stats but not returned, so a
# reply-heavy call (GetColorZones answers one message with up to 11) cannot grow without end.
MAX_RESPONSE_REPLIES: Final = 10000
