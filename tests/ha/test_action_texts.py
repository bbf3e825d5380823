"""What a user reads and clicks first: every translation renders, every example runs.

The frontend formats translations as ICU messages: a brace opens a placeholder, and anything
but a plain `{name}` inside (such as `{type: SetColor, ...}`) is shown as "Translation error:
MALFORMED_ARGUMENT". The placeholders must also be ones the code passes, or the user sees the
raw `{name}`. "Fill example data" fills every field that has an `example:` (parsed as YAML,
as the frontend does): the call it builds must run on a fresh demo.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.lifx_script.const import DOMAIN
from tests.support.fleet import Fleet

PACKAGE = Path(__file__).resolve().parents[2] / "custom_components" / DOMAIN
EN_JSON = PACKAGE / "translations" / "en.json"
SERVICES_YAML = PACKAGE / "services.yaml"
PLACEHOLDER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def strings(tree: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """Every (dotted path, text) in a translations tree."""
    if isinstance(tree, dict):
        for key, value in tree.items():
            yield from strings(value, f"{path}.{key}" if path else key)
    else:
        assert isinstance(tree, str), (path, tree)
        yield path, tree


def icu_placeholders(text: str) -> list[str]:
    """The `{name}` arguments of an ICU message; AssertionError for anything ICU would reject.

    Only simple arguments are allowed (no plural/select syntax, which Home Assistant's own
    Python formatting of exception messages cannot render either); an apostrophe next to a
    brace would quote it in ICU, so it is refused too.
    """
    names: list[str] = []
    depth_start = -1
    for index, char in enumerate(text):
        if char == "{":
            assert depth_start < 0, f"nested brace at {index}: {text!r}"
            depth_start = index
        elif char == "}":
            assert depth_start >= 0, f"unmatched }} at {index}: {text!r}"
            name = text[depth_start + 1 : index]
            assert PLACEHOLDER.match(name), f"not a plain placeholder {{{name}}}: {text!r}"
            names.append(name)
            depth_start = -1
    assert depth_start < 0, f"unclosed {{ in {text!r}"
    assert "'{" not in text and "}'" not in text, f"apostrophe quotes a brace: {text!r}"
    return names


def test_icu_check_rejects_what_the_frontend_rejects() -> None:
    """The check itself: the text that showed "Translation error" fails it."""
    with pytest.raises(AssertionError):
        icu_placeholders("a mapping such as {type: SetColor, hue: 120}")
    with pytest.raises(AssertionError):
        icu_placeholders("{count, plural, one {# device} other {# devices}}")
    with pytest.raises(AssertionError):
        icu_placeholders("half {open")
    assert icu_placeholders("{count} devices: {errors}.") == ["count", "errors"]


def passed_placeholders() -> dict[str, set[str]]:
    """Exception keys -> placeholder names the code passes, read from the source.

    Literal keys come from `invalid("key", name=...)` and `translation_key="key"` with a
    literal `translation_placeholders` dict; a computed key (the device errors) gets the names
    of the dict passed beside it, under the name "*".
    """
    passed: dict[str, set[str]] = {}
    for source in PACKAGE.glob("*.py"):
        for node in ast.walk(ast.parse(source.read_text())):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            if isinstance(func, ast.Name) and func.id == "invalid" and node.args:
                key = node.args[0]
                if isinstance(key, ast.Constant) and isinstance(key.value, str):
                    names = {kw.arg for kw in node.keywords if kw.arg}
                    passed.setdefault(key.value, set()).update(names)
                continue
            keywords = {kw.arg: kw.value for kw in node.keywords if kw.arg}
            if "translation_key" not in keywords:
                continue
            names = set()
            given = keywords.get("translation_placeholders")
            if isinstance(given, ast.Dict):
                names = {k.value for k in given.keys if isinstance(k, ast.Constant)}
            key_node = keywords["translation_key"]
            if isinstance(key_node, ast.Constant):
                passed.setdefault(str(key_node.value), set()).update(names)
            else:
                passed.setdefault("*", set()).update(names)
    return passed


def test_every_translation_renders() -> None:
    """ICU-valid everywhere; each placeholder is one the code passes."""
    translations = json.loads(EN_JSON.read_text())
    passed = passed_placeholders()
    flow_source = (PACKAGE / "config_flow.py").read_text()
    checked = 0
    for path, text in strings(translations):
        names = icu_placeholders(text)
        checked += 1
        if path.startswith("exceptions."):
            key = path.split(".")[1]
            allowed = passed.get(key, passed.get("*", set()))
            assert set(names) <= allowed, (path, names, allowed)
        elif path.startswith(("config.", "options.")):
            for name in names:
                assert f'"{name}"' in flow_source, (path, name)
        else:
            assert not names, (path, names)  # action texts get no placeholders
    assert checked > 50
    # every exception the code raises has a message
    keys = set(translations["exceptions"])
    assert set(passed) - {"*"} <= keys, set(passed) - {"*"} - keys


def test_numbers_have_units() -> None:
    """Every number a user sets says its unit: in the selector or in the label."""
    translations = json.loads(EN_JSON.read_text())
    options = translations["options"]["step"]["init"]["data"]
    assert options["limit"].endswith("(messages)")
    assert options["rate_limit"].endswith("(messages per second)")
    assert options["message_timeout"].endswith("(seconds)")
    assert options["discovery_interval"].endswith("(seconds)")
    services = yaml.safe_load(SERVICES_YAML.read_text())
    for name, field in services["run"]["fields"].items():
        number = field.get("selector", {}).get("number")
        if number is not None:
            assert number.get("unit_of_measurement"), name


def example_call() -> dict[str, Any]:
    """The data "Fill example data" puts in the form: each example, loaded as YAML."""
    fields = yaml.safe_load(SERVICES_YAML.read_text())["run"]["fields"]
    data: dict[str, Any] = {}
    for name, field in fields.items():
        if "example" in field:
            example = field["example"]
            data[name] = yaml.safe_load(example) if isinstance(example, str) else example
    return data


async def test_fill_example_data_runs(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, fleet_reset: Fleet
) -> None:
    """The filled form is a call that works: the demo's (and this fleet's) first two bulbs."""
    data = example_call()
    assert "device_id" not in data
    assert not ("messages" in data and "pipeline" in data)
    response = await hass.services.async_call(
        DOMAIN, "run", data, blocking=True, return_response=True
    )
    assert isinstance(response, dict)
    assert response["errors"] == {}
    assert set(response["results"]) == set(data["serials"])
    for serial in data["serials"]:
        types = sorted(reply["type"] for reply in response["results"][serial])
        assert types == ["LightState", "StatePower"], (serial, types)
        assert fleet_reset.received(serial) >= 2


@pytest.mark.parametrize("field", sorted(example_call()))
async def test_each_example_is_valid_alone(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, fleet_reset: Fleet, field: str
) -> None:
    """Each example, in an otherwise minimal call, is accepted and runs."""
    bulb = fleet_reset.of_kind("color")[0]
    data: dict[str, Any] = {"serials": [bulb.serial], "messages": ["GetPower"]}
    if field == "pipeline":
        del data["messages"]
    data[field] = example_call()[field]
    response = await hass.services.async_call(
        DOMAIN, "run", data, blocking=True, return_response=True
    )
    assert isinstance(response, dict)
    assert response["errors"] == {}
    assert response["stats"]["replies"] >= 1
