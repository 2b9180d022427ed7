"""The runner's /docs page in a real headless browser (Debian's chromium), offline: it renders Swagger UI and lists
every operation of openapi.json.

Chromium is installed by the `chromium` fixture when it is missing (tests/browser.py says how); only where that is
impossible is the test skipped, saying why. No driver: chromium's own --dump-dom is enough here.
"""

from __future__ import annotations

import json
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tests.browser import HEADLESS, INSTALL_TIMEOUT_SECONDS, OFFLINE
from tests.conftest import ROOT
from tests.integration.conftest import Runner

# Virtual time runs the page's scripts (fetching openapi.json, rendering) before the DOM is dumped.
RENDER_BUDGET = "--virtual-time-budget=15000"


class RenderedOperations(HTMLParser):
    """The operations Swagger UI drew: each `opblock opblock-<method>` and the `data-path` of its summary."""

    def __init__(self) -> None:
        super().__init__()
        self.operations: set[tuple[str, str]] = set()
        self.block_ids: set[str] = set()
        self.title = ""
        self._method: str | None = None
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        classes = (attributes.get("class") or "").split()
        if "opblock" in classes:
            self._method = next(c.removeprefix("opblock-") for c in classes if c.startswith("opblock-"))
            self.block_ids.add(attributes.get("id") or "")
        elif "opblock-summary-path" in classes and self._method is not None:
            self.operations.add((self._method.upper(), attributes.get("data-path") or ""))
            self._method = None
        self._in_title = tag == "h1" and "title" in classes

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data


@pytest.mark.timeout(INSTALL_TIMEOUT_SECONDS + 120)
def test_docs_render_offline_in_a_real_browser_and_list_every_operation(
    runner: Runner, chromium: str, tmp_path: Path
) -> None:
    # Given the runner serving /docs, and the operations openapi.json documents
    document = json.loads((ROOT / "openapi.json").read_text(encoding="utf-8"))
    documented = {(method.upper(), path) for path, item in document["paths"].items() for method in item}
    operation_ids = {
        f"operations-{operation['tags'][0].replace(' ', '_')}-{operation['operationId']}"
        for item in document["paths"].values()
        for operation in item.values()
    }
    # When headless chromium, unable to reach any host but this one, loads the page and runs its scripts
    browser = subprocess.run(
        [
            chromium,
            *HEADLESS,
            f"--user-data-dir={tmp_path}",
            OFFLINE,
            RENDER_BUDGET,
            "--dump-dom",
            f"{runner.url}/docs",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    # Then Swagger UI rendered the API's title and one block per documented operation, with its method and path
    assert browser.returncode == 0, browser.stderr[-2000:]
    rendered = RenderedOperations()
    rendered.feed(browser.stdout)
    assert rendered.title.strip().startswith("Signing Keys API"), browser.stdout[:2000]
    assert rendered.operations == documented
    assert operation_ids <= rendered.block_ids
