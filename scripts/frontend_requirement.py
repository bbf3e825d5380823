"""Print the `home-assistant-frontend` requirement that the installed Home Assistant pins.

Run with the Python of the venv that has Home Assistant (e.g. `.venv/bin/python
scripts/frontend_requirement.py`): it reads `homeassistant/components/frontend/manifest.json`
of that Home Assistant, without importing it, and prints the pin (`home-assistant-frontend==X`).
The web UI must be exactly that version, so set-up installs what this prints instead of a
hand-kept pin: one script serves every Home Assistant version the project is tested on.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

FRONTEND_PACKAGE = "home-assistant-frontend"


class NoFrontendPin(RuntimeError):
    """Home Assistant is not installed, or its frontend manifest names no frontend package."""


def frontend_manifest() -> Path:
    """The installed Home Assistant's frontend manifest."""
    spec = importlib.util.find_spec("homeassistant")
    if spec is None or not spec.submodule_search_locations:
        raise NoFrontendPin(f"Home Assistant is not installed for {sys.executable}")
    package = Path(next(iter(spec.submodule_search_locations)))
    return package / "components" / "frontend" / "manifest.json"


def frontend_requirement(manifest: Path) -> str:
    """The `home-assistant-frontend==X` line of the manifest's requirements."""
    requirements = json.loads(manifest.read_text()).get("requirements", [])
    for requirement in requirements:
        name, _, version = str(requirement).partition("==")
        if name.strip().lower() == FRONTEND_PACKAGE and version.strip():
            return f"{FRONTEND_PACKAGE}=={version.strip()}"
    raise NoFrontendPin(f"{manifest} pins no {FRONTEND_PACKAGE}: {requirements}")


def main() -> int:
    try:
        print(frontend_requirement(frontend_manifest()))
    except (NoFrontendPin, OSError, ValueError) as err:
        print(f"frontend_requirement: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
