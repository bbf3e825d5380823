"""The web UI in a real browser: headless Chromium against a real `hass`, as a new user meets it.

The demo (scripts/develop) as the browser sees it, built with the demo's own code
(scripts/demo.py: its fleet, config answers and login): log in, open Developer Tools > Actions,
choose `lifx_script.run`, check that every text renders (no "Translation error": the frontend
shows one for a translation it cannot format, such as one with literal braces), fill the example
data, perform it and read the replies in the response; open a LIFX Script device page.

Playwright for Python drives Debian's chromium (/usr/bin/chromium, never Playwright's own
download); its selectors pierce the frontend's shadow DOM. Its async API runs on an event loop
of this module's own, run only for each browser step: Playwright's sync API keeps a loop marked
running between calls, which the Home Assistant test plugin's per-test loop cannot live with.
One `hass` and one browser serve the module (a start costs 30-60 s here). A failing step saves
a screenshot to tests/e2e/screenshots/ (git-ignored) and names it in the failure.
scripts/setup installs what this needs (scripts/setup_browser); where something is missing the
tests skip, naming it, except in CI (CI=true), where they fail.
"""

from __future__ import annotations

import asyncio
import importlib.util
import os
import re
import shutil
from collections.abc import AsyncIterator, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import pytest_socket

from custom_components.lifx_script.hub import DEVICE_DOCS_URL
from tests.support.fleet import Fleet
from tests.support.hass_process import (
    DOMAIN,
    REPO_ROOT,
    HassClient,
    HassProcess,
    free_port,
    frontend_missing,
    seed_storage,
)

# Start (up to 180 s on a loaded machine) plus the browser steps, for the module's first test.
pytestmark = pytest.mark.timeout(420)

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--no-sandbox",  # root in CI: Chromium's sandbox refuses to run as root
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(__file__).parent / "screenshots"
HASS_READY_TIMEOUT = 180.0
STEP_TIMEOUT_MS = 30_000  # one browser step (a click, a page) on a loaded machine
TRANSLATION_ERROR = "Translation error"


def missing(reason: str) -> None:
    """Skip with the reason; in CI, where set-up installs everything, fail instead."""
    if os.environ.get("CI"):
        pytest.fail(f"browser test cannot run in CI: {reason}")
    pytest.skip(reason)


def load_demo() -> ModuleType:
    """scripts/demo.py as a module: the demo's fleet, entry answers and login."""
    spec = importlib.util.spec_from_file_location(
        "lifx_script_demo", REPO_ROOT / "scripts" / "demo.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@dataclass
class DemoHass:
    """A running demo: `hass` with the LIFX Script entry set up on an emulated fleet."""

    process: HassProcess
    client: HassClient
    fleet: Fleet
    demo: ModuleType

    @property
    def base_url(self) -> str:
        return self.process.base_url


class Browser:
    """Chromium through Playwright's async API, on a loop that runs only inside `run`."""

    def __init__(self, async_api: ModuleType, profile: Path) -> None:
        # A plain loop: the test plugin's loop policy would give Home Assistant's executor.
        self.loop: asyncio.AbstractEventLoop = asyncio.SelectorEventLoop()
        self._async_api = async_api
        self._profile = profile
        self._playwright: Any = None
        self.context: Any = None
        self.page: Any = None

    def run[T](self, step: Coroutine[Any, Any, T]) -> T:
        """Run one browser step to its end; the threads it used end with it.

        Playwright reads files in executor threads; a thread left running after a test fails
        the test plugin's clean-up check, so each step gets an executor that is shut down.
        """
        executor = ThreadPoolExecutor(max_workers=2, thread_name_prefix="browser-step")
        self.loop.set_default_executor(executor)
        try:
            return self.loop.run_until_complete(step)
        finally:
            executor.shutdown(wait=True)

    async def start(self) -> None:
        self._playwright = await self._async_api.async_playwright().start()
        self.context = await self._playwright.chromium.launch_persistent_context(
            str(self._profile),
            executable_path=str(CHROMIUM),
            headless=True,
            args=CHROMIUM_FLAGS,
            viewport={"width": 1280, "height": 1000},
        )
        self.page = self.context.pages[0] if self.context.pages else await self.context.new_page()
        self.page.set_default_timeout(STEP_TIMEOUT_MS)
        await confirm_http_settings_when_asked(self.page)

    async def stop(self) -> None:
        if self.context is not None:
            await self.context.close()
        if self._playwright is not None:
            await self._playwright.stop()

    def close(self) -> None:
        try:
            self.run(self.stop())
        finally:
            self.loop.close()


@pytest.fixture(scope="module")
def async_api() -> ModuleType:
    """playwright.async_api, when Playwright and chromium are installed."""
    if not CHROMIUM.exists():
        missing(f"Debian's chromium is not at {CHROMIUM}: scripts/setup_browser installs it")
    try:
        import playwright.async_api as async_api
    except ImportError:
        missing("Playwright is not installed: scripts/setup_browser installs it")
    return async_api


@pytest.fixture(scope="module")
def demo_hass(
    async_api: ModuleType, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[DemoHass]:
    """The demo's fleet and `hass` (with the real web UI), onboarded, the entry set up."""
    reason = frontend_missing()
    if reason:
        missing(reason)
    # Module fixtures are set up after the test plugin disabled sockets for the test; the
    # REST calls below go to 127.0.0.1 only.
    pytest_socket.enable_socket()
    demo = load_demo()
    config_dir = tmp_path_factory.mktemp("browser") / "config"
    shutil.copytree(
        REPO_ROOT / "config",
        config_dir,
        ignore=shutil.ignore_patterns(".storage", "*.db*", "*.log*", ".HA_VERSION", "deps"),
    )
    seed_storage(config_dir)
    with Fleet(*demo.DEMO_FLEET) as fleet:
        process = HassProcess(config_dir, free_port(), log_path=config_dir / "hass.out")
        process.start()
        try:
            process.wait_until_ready(HASS_READY_TIMEOUT)
            client = HassClient(process.base_url)
            client.onboard(demo.USERNAME, demo.PASSWORD, name="Demo")
            client.config_flow(DOMAIN, demo.entry_answers(fleet))
            yield DemoHass(process, client, fleet, demo)
        finally:
            code = process.stop()
            print(f"hass exited with {code}; log tail:\n{process.log_tail(40)}")


@pytest.fixture(scope="module")
def browser(
    async_api: ModuleType, demo_hass: DemoHass, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Browser]:
    """Chromium with a fresh profile, logged in to the demo through the login form."""
    browser = Browser(async_api, tmp_path_factory.mktemp("chromium-profile"))
    try:
        browser.run(browser.start())
        browser.run(log_in(browser.page, demo_hass))
        yield browser
    finally:
        browser.close()


@asynccontextmanager
async def screenshot_on_failure(page: Any, name: str) -> AsyncIterator[None]:
    """On a failed step, save the page as SCREENSHOTS/name.png and name it in the error."""
    try:
        yield
    except Exception as err:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        try:
            await page.screenshot(path=str(path), full_page=True)
            where = f"screenshot: {path}"
        except Exception as shot_error:  # the page may be gone; the first error matters
            where = f"no screenshot ({shot_error})"
        raise AssertionError(f"{err}\n{where}") from err


async def confirm_http_settings_when_asked(page: Any) -> None:
    """Answer Home Assistant 2026.x's "Confirm new HTTP server configuration" as a user would.

    From 2026.x the YAML http settings (loopback, the test's port) move into storage as a trial
    that the frontend asks the user to confirm, in a dialog over whatever page is open; 2025.4
    never shows it. Playwright clicks Confirm whenever the dialog covers a step.
    """
    dialog = page.get_by_text("Confirm new HTTP server configuration")

    async def confirm(_dialog: Any) -> None:
        await page.get_by_role("button", name="Confirm", exact=True).click()

    await page.add_locator_handler(dialog, confirm)


async def log_in(page: Any, demo_hass: DemoHass) -> None:
    """The login form, as the demo user; done once the app (its sidebar) has loaded."""
    async with screenshot_on_failure(page, "login"):
        await page.goto(demo_hass.base_url + "/")
        await page.get_by_role("textbox", name="Username").fill(demo_hass.demo.USERNAME)
        await page.get_by_role("textbox", name="Password").fill(demo_hass.demo.PASSWORD)
        await page.get_by_role("button", name="Log in").click()
        # The tokens are stored as the app starts; leaving the page earlier loses them.
        await page.locator("ha-sidebar").wait_for()


async def translation_errors(page: Any) -> list[str]:
    """Every text on the page (shadow DOM included) that shows a translation error."""
    texts: list[str] = await page.get_by_text(TRANSLATION_ERROR).all_inner_texts()
    return texts


# The page's mode switch: "Go to YAML mode" / "Go to UI mode" buttons on 2025.4, a "UI mode" |
# "YAML mode" toggle on newer versions.
YAML_MODE = re.compile(r"^(go to )?yaml mode$", re.IGNORECASE)
UI_MODE = re.compile(r"^(go to )?ui mode$", re.IGNORECASE)


OPTION_WAIT_MS = 5000


async def open_run_action(page: Any, base_url: str) -> None:
    """Developer Tools > Actions with lifx_script.run chosen in the action picker, in UI mode.

    /developer-tools/ is also the address on versions that moved the tools to Settings (the
    app rewrites it). The picker is typed into, as a user does: on 2025.4 it is a combo box,
    on newer versions it opens a list with its search field focused.
    """
    await page.goto(base_url + "/developer-tools/action")
    picker = page.locator("ha-service-picker")
    await picker.wait_for()
    to_ui = page.get_by_role("button", name=UI_MODE)
    if await to_ui.is_visible():  # the page remembers the last mode
        await to_ui.click()
    await picker.click()
    # Type into the picker's own search field (2025.4: the combo box; newer: the list's search
    # box), never into the page: a stray key opens the quick bar on newer versions. fill()
    # replaces the last action chosen, which 2025.4 shows.
    await picker.locator("input:visible").last.fill(f"{DOMAIN}.run")
    # 2025.4 lists options to click. Newer versions list rows (no option role) with the best
    # match highlighted, taken with Enter as a keyboard user does; clicking the row's text is
    # ambiguous there once the picker itself shows the action chosen by an earlier test.
    option = page.get_by_role("option", name=re.compile(rf"{DOMAIN}\.run"))
    try:
        await option.first.click(timeout=OPTION_WAIT_MS)
    except Exception as err:  # Playwright's TimeoutError: no option role on this version
        if "Timeout" not in type(err).__name__:
            raise
        await page.keyboard.press("Enter")
    # The fields of the action, each with its name and description.
    await page.locator("ha-service-control ha-settings-row").first.wait_for()


async def show_all_parameters(page: Any) -> None:
    """YAML mode with the "All available parameters" table open (it has Fill example data)."""
    await page.get_by_role("button", name=YAML_MODE).click()
    header = page.get_by_text("All available parameters")
    await header.wait_for()
    fill = page.get_by_role("button", name="Fill example data")
    if not await fill.is_visible():  # the table opens with YAML mode, unless closed before
        await header.click()
    await fill.wait_for()


async def check_action_form(page: Any, base_url: str) -> None:
    async with screenshot_on_failure(page, "action_form_ui"):
        await open_run_action(page, base_url)
        assert await page.get_by_text("Serials", exact=True).first.is_visible()
        errors = await translation_errors(page)
        assert not errors, f"the action form shows translation errors: {errors}"
    async with screenshot_on_failure(page, "action_form_yaml"):
        await show_all_parameters(page)
        assert await page.get_by_role("cell", name="serials", exact=True).is_visible()
        errors = await translation_errors(page)
        assert not errors, f"the parameters table shows translation errors: {errors}"


async def perform_example(page: Any, base_url: str) -> tuple[Any, str]:
    """Fill example data, perform it; the response (as the card's editor holds it) and its text."""
    async with screenshot_on_failure(page, "example_data"):
        await open_run_action(page, base_url)
        await show_all_parameters(page)
        await page.get_by_role("button", name="Fill example data").click()
        await page.get_by_role("button", name="Perform action").click()
        editor = page.locator("ha-yaml-editor[read-only]")
        error = page.locator("ha-alert[alert-type=error]")
        await editor.or_(error).first.wait_for()
        if await error.is_visible():
            raise AssertionError(f"performing the example failed: {await error.inner_text()}")
        response = await editor.evaluate("editor => editor.value")
        # The lines the card's code editor shows (in its shadow DOM).
        return response, await editor.locator(".cm-content").inner_text()


async def open_device_page(
    page: Any, base_url: str, label: str, texts: list[str]
) -> dict[str, Any]:
    """Settings > Devices & services > LIFX Script > its devices > the device with this label.

    What the page shows: which of `texts` are visible, its "Visit" link and translation errors.
    """
    async with screenshot_on_failure(page, "device_page"):
        await page.goto(base_url + f"/config/integrations/integration/{DOMAIN}")
        await page.get_by_role("link", name=re.compile(r"^\d+ devices$")).first.click()
        await page.get_by_role("row").filter(has_text=label).first.click()
        await page.wait_for_url("**/config/devices/device/**")
        await page.get_by_text("Serial number:").wait_for()
        link = page.get_by_role("link", name=re.compile("visit", re.IGNORECASE))
        return {
            "shown": [text for text in texts if await page.get_by_text(text).first.is_visible()],
            "link": await link.get_attribute("href") if await link.count() else None,
            "errors": await translation_errors(page),
        }


def test_action_form_texts_render(
    browser: Browser, demo_hass: DemoHass, socket_enabled: None
) -> None:
    """Every name, description and example of lifx_script.run renders, in UI and YAML mode."""
    browser.run(check_action_form(browser.page, demo_hass.base_url))


def test_fill_example_data_and_perform(
    browser: Browser, demo_hass: DemoHass, socket_enabled: None
) -> None:
    """The example data is a call the demo can perform, and the response shows the replies."""
    response, shown = browser.run(perform_example(browser.page, demo_hass.base_url))
    results = response.get("results") if isinstance(response, dict) else None
    assert results, f"the response has no replies: {response}"
    assert set(results) <= set(demo_hass.fleet.serials), response
    for serial, replies in results.items():
        assert replies, f"no reply from {serial}: {response}"
        assert all(reply.get("type") and reply.get("pkt_type") for reply in replies), replies
    assert "results" in shown, shown
    assert any(serial in shown for serial in results), shown


def test_device_page(browser: Browser, demo_hass: DemoHass, socket_enabled: None) -> None:
    """A LIFX Script device page: product, firmware, serial, MAC and the link to what it is for."""
    bulb = demo_hass.fleet.of_kind("color")[0]
    # The MAC connection core LIFX registers for this bulb: firmware 3.70, so the serial + 1.
    mac = ":".join(f"{int(bulb.serial, 16) + 1:012X}"[i : i + 2] for i in range(0, 12, 2))
    expected = [f"Serial number: {bulb.serial}", "Firmware: 3.70", "by LIFX", mac]
    page = browser.run(open_device_page(browser.page, demo_hass.base_url, bulb.label, expected))
    assert page["shown"] == expected, page
    assert page["link"] == DEVICE_DOCS_URL, page
    assert not page["errors"], f"the device page shows translation errors: {page['errors']}"
