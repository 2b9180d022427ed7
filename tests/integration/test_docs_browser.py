"""The runner's /docs page in a real headless browser (Debian's chromium), offline: it renders Swagger UI and lists
every operation of openapi.json (chromium's own --dump-dom), and every operation, once expanded, shows its
description, its parameters' examples and example bodies of real-looking values (driven through playwright-core,
tests/browser.py).

Chromium is installed by the `chromium` fixture when it is missing (tests/browser.py says how); only where that is
impossible is a test skipped, saying why.
"""

from __future__ import annotations

import json
import re
import subprocess
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from tests.browser import HEADLESS, INSTALL_TIMEOUT_SECONDS, OFFLINE, Browser
from tests.conftest import ROOT
from tests.integration.conftest import Runner

DOCUMENT: dict[str, Any] = json.loads((ROOT / "openapi.json").read_text(encoding="utf-8"))

# Virtual time runs the page's scripts (fetching openapi.json, rendering) before the DOM is dumped.
RENDER_BUDGET = "--virtual-time-budget=15000"
# Expands every operation, waits until each has drawn its answers, and reads what it shows: the description, each
# parameter's row, the tabs over its bodies, and the bodies' example values; and the servers, tags and README link.
EXPAND_AND_READ = """(async () => {
  const settle = async (ready) => {
    for (let i = 0; i < 300 && !ready(); i++) await new Promise((resolve) => setTimeout(resolve, 50));
  };
  await settle(() => document.querySelectorAll('.opblock').length > 0);
  for (const control of document.querySelectorAll('.opblock-summary-control')) control.click();
  const blocks = () => Array.from(document.querySelectorAll('.opblock'));
  await settle(() => blocks().every((block) => block.querySelector('.responses-table')));
  return {
    servers: Array.from(document.querySelectorAll('.servers option')).map((option) => option.value),
    readme: document.querySelector('.info a[href$="README.md"]')?.getAttribute('href') ?? null,
    tags: Array.from(document.querySelectorAll('.opblock-tag')).map((tag) => tag.innerText),
    operations: Object.fromEntries(blocks().map((block) => [block.id, {
      description: block.querySelector('.opblock-description-wrapper')?.innerText ?? '',
      parameters: Array.from(block.querySelectorAll('tr[data-param-name]')).map((row) => row.innerText),
      tabs: Array.from(block.querySelectorAll('.model-example .tab li')).map((tab) => tab.innerText),
      examples: Array.from(block.querySelectorAll('.model-example .microlight')).map((code) => code.innerText),
    }])),
  };
})()"""
# What Swagger UI writes for a value a schema gives no example of.
PLACEHOLDERS = re.compile(r'"string"|"additionalProp\d"|:\s0(?=[,\s}\]]|$)')
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def block_id(operation: dict[str, Any]) -> str:
    """The element id Swagger UI gives an operation's block."""
    return f"operations-{operation['tags'][0].replace(' ', '_')}-{operation['operationId']}"


def plain(markdown: str) -> str:
    """The text a Markdown description renders to, enough to find its opening in the page."""
    return " ".join(re.sub(r"[`*]", "", markdown).split())


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
    documented = {(method.upper(), path) for path, item in DOCUMENT["paths"].items() for method in item}
    operation_ids = {block_id(operation) for item in DOCUMENT["paths"].values() for operation in item.values()}
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


@pytest.mark.timeout(INSTALL_TIMEOUT_SECONDS + 120)
def test_every_operation_expanded_shows_its_description_and_examples_of_real_values(
    runner: Runner, browser: Browser, tmp_path: Path
) -> None:
    # Given the runner's /docs page in chromium, with every operation expanded
    page = browser.open(f"{runner.url}/docs")
    shown = page.evaluate(EXPAND_AND_READ)
    screenshot = tmp_path / "docs.png"
    page.screenshot(screenshot)
    # Then each operation of openapi.json shows its description, an example for each parameter, and at least one
    # body under Swagger UI's "Example Value" tab, none of them holding a placeholder where an example belongs
    for path, item in DOCUMENT["paths"].items():
        for method, operation in item.items():
            name = f"{method.upper()} {path}"
            block = shown["operations"][block_id(operation)]
            assert plain(operation["description"])[:80] in " ".join(block["description"].split()), name
            assert len(block["parameters"]) == len(operation.get("parameters", [])), name
            assert all("Example :" in row for row in block["parameters"]), (name, block["parameters"])
            assert "Example Value" in block["tabs"], name
            assert block["examples"], name
            assert [body for body in block["examples"] if PLACEHOLDERS.search(body)] == [], name
    # And the page offers this runner, then the document's servers; describes every tag; and links the README,
    # which this runner serves
    assert shown["servers"] == [runner.url] + [server["url"] for server in DOCUMENT["servers"]]
    for tag in DOCUMENT["tags"]:
        assert any(text.startswith(tag["name"]) and plain(tag["description"])[:60] in text for text in shown["tags"])
    assert shown["readme"] == runner.url + DOCUMENT["externalDocs"]["url"]
    readme = page.evaluate(f"fetch({json.dumps(shown['readme'])}).then((answer) => answer.text())")
    assert readme.startswith("# Signing Keys API")
    # And the screenshot is a PNG of the page (left in the test's tmp dir)
    assert screenshot.read_bytes().startswith(PNG_SIGNATURE)
    assert screenshot.stat().st_size > 10_000
