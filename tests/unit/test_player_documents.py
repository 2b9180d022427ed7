"""The demo player's files as the runner serves them (signing_keys_local.player.documents)."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import pytest

from signing_keys_local import player


class ScriptSources(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.sources: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        source = dict(attrs).get("src")
        if tag == "script" and source:
            self.sources.append(source)


def test_every_script_the_demo_page_loads_is_served_with_a_javascript_type() -> None:
    if not player.HLS_JS.is_file():
        pytest.skip("hls.js is not installed in the player package (make player needs npm)")
    # Given the files the runner serves for the demo player; When the page's script tags are read
    served = player.documents()
    page = ScriptSources()
    page.feed(served["/demo"][1].decode())
    # Then each one is served, as JavaScript
    assert page.sources == ["/demo/hls.min.js", "/demo/player.js"]
    assert {served[source][0] for source in page.sources} == {"text/javascript; charset=utf-8"}


def test_without_hls_js_installed_the_page_and_its_script_are_still_served(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # Given no hls.js in the player package; When the runner asks for the demo's files
    monkeypatch.setattr(player, "HLS_JS", tmp_path / "hls.min.js")
    # Then the page (which then says so, or plays with native HLS) and its script are there, hls.js is not
    assert set(player.documents()) == {"/demo", "/demo/player.js"}
