"""The engine imports without Home Assistant: it is bundled, standard library only."""

from __future__ import annotations

import subprocess

from tests.support.fleet import REPO_ROOT, emulator_python

CHECK = """
import sys
sys.path.insert(0, sys.argv[1])
from custom_components.lifx_script.engine import LanTarget, LightMessages, Pipeline
assert LightMessages.SetColor(hue=120, saturation=1, brightness=0.5).pack()
leaked = sorted(name for name in sys.modules if name.split(".")[0] == "homeassistant")
assert not leaked, leaked
print("standalone ok")
"""


def test_engine_imports_in_a_venv_without_home_assistant() -> None:
    # The emulator's venv has no Home Assistant (it cannot share a venv with it).
    python = emulator_python()
    has_ha = subprocess.run(
        [str(python), "-c", "import homeassistant"], capture_output=True, check=False
    )
    assert has_ha.returncode != 0, "the emulator venv unexpectedly has Home Assistant"
    done = subprocess.run(
        [str(python), "-c", CHECK, str(REPO_ROOT)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "standalone ok"
