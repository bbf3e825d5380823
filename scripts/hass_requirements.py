"""Print the PyPI requirements of the integrations a `hass` on config/ sets up.

`hass --skip-pip` (the end-to-end test, the demo) installs nothing at run time: the packages of
every integration it sets up must already be in the venv, or the log fills with "Setup failed
for ..." and features that import those integrations fail. pytest-homeassistant-custom-component
installs Home Assistant's core dependencies only. This reads the installed Home Assistant's own
manifests: the integrations named in config/configuration.yaml, plus the ones Home Assistant
always sets up (homeassistant.bootstrap's CORE_INTEGRATIONS and DEFAULT_INTEGRATIONS), plus
their `dependencies`, transitively. Run it with the Python of the venv to check:

    .venv/bin/python scripts/hass_requirements.py            # every requirement, one a line
    .venv/bin/python scripts/hass_requirements.py --missing  # only those not installed

Used when moving the pins of requirements/test-latest.txt (see the README's testing section).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from importlib import metadata
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
CONFIG = REPO_ROOT / "config" / "configuration.yaml"
# The integration under test is the checkout's own; the web UI is a separate question (the
# version Home Assistant pins, installed on its own by the set-up scripts).
SKIPPED = {"lifx_script"}


def config_domains(config: Path) -> set[str]:
    """Top-level keys of configuration.yaml (integration names), without a YAML parser."""
    keys = re.findall(r"^([a-z_][a-z0-9_]*):", config.read_text(), flags=re.MULTILINE)
    return set(keys) - {"homeassistant"}


def always_set_up() -> set[str]:
    """The integrations Home Assistant sets up whatever the configuration says."""
    from homeassistant import bootstrap

    domains: set[str] = set()
    for name in ("CORE_INTEGRATIONS", "DEFAULT_INTEGRATIONS"):
        domains |= set(getattr(bootstrap, name, ()))
    return domains


def manifest(domain: str) -> dict[str, object] | None:
    import homeassistant.components as components

    path = Path(components.__path__[0]) / domain / "manifest.json"
    if not path.is_file():
        return None
    loaded: dict[str, object] = json.loads(path.read_text())
    return loaded


def requirements(domains: set[str]) -> dict[str, set[str]]:
    """requirement -> the integrations that need it, over the dependency closure."""
    needed: dict[str, set[str]] = {}
    todo = sorted(domains - SKIPPED)
    seen: set[str] = set()
    while todo:
        domain = todo.pop()
        if domain in seen:
            continue
        seen.add(domain)
        found = manifest(domain)
        if found is None:
            continue
        for requirement in found.get("requirements", []):  # type: ignore[attr-defined]
            needed.setdefault(str(requirement), set()).add(domain)
        todo.extend(str(d) for d in found.get("dependencies", []))  # type: ignore[attr-defined]
    return needed


def installed(requirement: str) -> bool:
    name, _, version = requirement.partition("==")
    try:
        return not version or metadata.version(name) == version
    except metadata.PackageNotFoundError:
        return False


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--missing", action="store_true", help="only what is not installed")
    args = parser.parse_args()
    needed = requirements(config_domains(CONFIG) | always_set_up())
    for requirement in sorted(needed, key=str.lower):
        if args.missing and installed(requirement):
            continue
        print(f"{requirement}  # {', '.join(sorted(needed[requirement]))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
