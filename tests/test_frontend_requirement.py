"""scripts/frontend_requirement.py: set-up installs the web UI version Home Assistant pins."""

from __future__ import annotations

import importlib.metadata
import importlib.util
import json
from pathlib import Path
from types import ModuleType

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]


def load_script() -> ModuleType:
    path = REPO_ROOT / "scripts" / "frontend_requirement.py"
    spec = importlib.util.spec_from_file_location("frontend_requirement", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def write_manifest(folder: Path, requirements: list[str]) -> Path:
    manifest = folder / "manifest.json"
    manifest.write_text(json.dumps({"domain": "frontend", "requirements": requirements}))
    return manifest


def test_reads_the_pin(tmp_path: Path) -> None:
    script = load_script()
    manifest = write_manifest(tmp_path, ["home-assistant-frontend==20260930.5"])
    assert script.frontend_requirement(manifest) == "home-assistant-frontend==20260930.5"


@pytest.mark.parametrize("requirements", [[], ["home-assistant-frontend"], ["other==1.0"]])
def test_no_pin_is_an_error(tmp_path: Path, requirements: list[str]) -> None:
    script = load_script()
    with pytest.raises(script.NoFrontendPin, match="pins no home-assistant-frontend"):
        script.frontend_requirement(write_manifest(tmp_path, requirements))


def test_installed_web_ui_is_the_pinned_one() -> None:
    """What set-up installed next to this Home Assistant is exactly what it pins."""
    script = load_script()
    pin = script.frontend_requirement(script.frontend_manifest())
    installed = importlib.metadata.version("home-assistant-frontend")
    assert pin == f"home-assistant-frontend=={installed}"
