"""Rewrite README.md's generated regions from the codec tables and the products table.

Regions are marked `<!-- BEGIN GENERATED: NAME -->` ... `<!-- END GENERATED: NAME -->`:
`messages` (every LAN message the codec knows, from engine.codec.catalog) and `products`
(every product in custom_components/lifx_script/products.py). Run with .venv's Python:

    .venv/bin/python scripts/gen_docs.py          # rewrite README.md
    .venv/bin/python scripts/gen_docs.py --check  # exit 1 when README.md is stale

tests/test_docs.py runs the check.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable
from itertools import groupby
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
README = REPO_ROOT / "README.md"
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from custom_components.lifx_script.const import PAYLOAD_TO_ACTION_FIELD  # noqa: E402

NAMESPACE_TITLES = {
    "CoreMessages": "Core (replies any device may send)",
    "DiscoveryMessages": "Discovery",
    "DeviceMessages": "Device: power, label, firmware, location, group",
    "LightMessages": "Light: colour, waveforms, infrared, HEV",
    "MultiZoneMessages": "Multizone: strips and Beams",
    "TileMessages": "Matrix: Tiles, Candles, Ceilings, Luna, Tube",
    "RelayMessages": "Relays: the Switch",
    "ButtonMessages": "Buttons: the Switch",
}


def _field(name: str, kind: str, default: str) -> str:
    return f"`{name}` {kind}" + ("" if default == "required" else f" = `{default}`")


def _action_spelling(field: Any, aliased: set[str]) -> tuple[str, str, str]:
    """A field as the action spells it: the effect's `type` is `effect_type` there."""
    name, kind = field.name, field.type
    for payload_name in aliased:
        action_name = PAYLOAD_TO_ACTION_FIELD[payload_name]
        if name == payload_name:
            name = action_name
        kind = kind.replace(f" by {payload_name}", f" by {action_name}")
    return name, kind, field.default


def render_messages() -> str:
    """One table per namespace: message, pkt_type, fields (type, default), replies."""
    from custom_components.lifx_script.engine.codec.catalog import catalog

    rows = catalog()
    out = [
        f"{len(rows)} messages. Fields without a default are required when you send the "
        "message; units are the human ones (hue in degrees, saturation and brightness 0 to 1, "
        "durations in seconds). *Replies* are what the device answers, and what the action's "
        "response lists under the device's serial. Field names are the action's: the effect "
        "messages' `type` is `effect_type`.",
        "",
    ]
    for namespace, group in groupby(rows, key=lambda row: row.namespace):
        out += [
            f"**{NAMESPACE_TITLES.get(namespace, namespace)}** (`{namespace}`)",
            "",
            "| message | type | fields | replies |",
            "|---|---:|---|---|",
        ]
        for row in group:
            aliased = {f.name for f in row.fields} & PAYLOAD_TO_ACTION_FIELD.keys()
            fields = ", ".join(_field(*_action_spelling(f, aliased)) for f in row.fields) or "-"
            replies = ", ".join(row.replies) or "-"
            out.append(f"| `{row.name}` | {row.pkt_type} | {fields} | {replies} |")
        out.append("")
    return "\n".join(out)


def render_products() -> str:
    """Every product id: name, capabilities, kelvin range, firmware upgrades."""
    from custom_components.lifx_script.products import PRODUCTS, Cap

    def caps(flags: Cap) -> str:
        names = [flag.name.lower() for flag in Cap if flag and flag in flags and flag.name]
        return ", ".join(names) or "white"

    def kelvin(value: tuple[int, int] | None) -> str:
        return f"{value[0]}-{value[1]}" if value else "-"

    out = [
        "<details>",
        f"<summary>{len(PRODUCTS)} product ids (vendor 1)</summary>",
        "",
        "| id | product | capabilities | kelvin | with newer firmware |",
        "|---:|---|---|---|---|",
    ]
    for product_id, product in sorted(PRODUCTS.items()):
        upgrades = []
        for major, minor, added, upgraded_kelvin in product.upgrades:
            changes = []
            if added:
                changes.append(f"+{caps(added)}")
            if upgraded_kelvin:
                changes.append(f"kelvin {kelvin(upgraded_kelvin)}")
            upgrades.append(f"{major}.{minor}: {', '.join(changes)}")
        out.append(
            f"| {product_id} | {product.name} | "
            f"{caps(product.caps) if product.caps or product.kelvin else '-'} | "
            f"{kelvin(product.kelvin)} | {'; '.join(upgrades) or '-'} |"
        )
    out += ["", "</details>", ""]
    return "\n".join(out)


GENERATORS: dict[str, Callable[[], str]] = {
    "messages": render_messages,
    "products": render_products,
}


def regenerate(text: str) -> str:
    """text with every generated region rendered anew; ValueError if a region is missing."""
    for name, render in GENERATORS.items():
        pattern = re.compile(
            rf"(<!-- BEGIN GENERATED: {name} -->\n).*?(<!-- END GENERATED: {name} -->)",
            re.DOTALL,
        )
        if not pattern.search(text):
            raise ValueError(f"README.md has no generated region {name!r}")
        body = render().rstrip("\n") + "\n"
        text = pattern.sub(lambda match, body=body: match[1] + body + match[2], text)
    return text


def main() -> int:
    """Rewrite README.md, or with --check report whether it is up to date."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="exit 1 when README.md is stale")
    args = parser.parse_args()
    current = README.read_text()
    fresh = regenerate(current)
    if args.check:
        if fresh != current:
            print("README.md is stale: run .venv/bin/python scripts/gen_docs.py", file=sys.stderr)
            return 1
        return 0
    if fresh != current:
        README.write_text(fresh)
        print("README.md regenerated")
    return 0


if __name__ == "__main__":
    sys.exit(main())
