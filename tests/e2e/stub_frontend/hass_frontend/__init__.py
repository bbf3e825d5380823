"""A stand-in for the `home-assistant-frontend` package (the web UI's static files) in tests.

Home Assistant always sets up `frontend`, and starts in recovery mode (dropping the
configuration) when it fails. The end-to-end test only uses the REST API, so instead of the
real 50 MB package (which scripts/develop installs, and CI does without) it puts this folder
first on `hass`'s PYTHONPATH: static paths that do not exist are registered and never served.
"""

from pathlib import Path


def where() -> Path:
    """Where the real package keeps its files; here, nothing."""
    return Path(__file__).parent
