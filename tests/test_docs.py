"""README.md's generated regions (messages, products) match the codec and products tables."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

REPO_ROOT = Path(__file__).resolve().parents[1]


def load_gen_docs() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gen_docs", REPO_ROOT / "scripts" / "gen_docs.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_readme_generated_regions_are_fresh() -> None:
    gen_docs = load_gen_docs()
    readme = (REPO_ROOT / "README.md").read_text()
    assert gen_docs.regenerate(readme) == readme, (
        "README.md is stale: run .venv/bin/python scripts/gen_docs.py"
    )


def test_every_message_and_product_is_listed() -> None:
    from custom_components.lifx_script.engine.codec.catalog import catalog
    from custom_components.lifx_script.products import PRODUCTS

    readme = (REPO_ROOT / "README.md").read_text()
    for row in catalog():
        assert f"| `{row.name}` | {row.pkt_type} |" in readme
    for product_id, product in PRODUCTS.items():
        assert f"| {product_id} | {product.name} |" in readme
