"""Debian's chromium, headless and offline, for the tests that need a real browser.

`chromium_executable()` finds chromium or installs it (`apt-get install -y chromium`, as root where apt exists, as
on CI's fresh machine) and skips the test, saying why, only where that is impossible. `Browser` drives it through
playwright-core (the player package's browser-driver.mjs, one JSON line each way) to load pages, read their DOM,
take screenshots and wait for the demo player's state:

    with Browser(chromium_executable()) as browser:
        page = browser.open(f"{url}/demo?src={playlist}")
        page.wait_for(lambda status: status.current_time > 1)
"""

from __future__ import annotations

import json
import os
import queue
import re
import shutil
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import IO, Any

import pytest

from signing_keys_local.player import PLAYER_DIR

INSTALL_TIMEOUT_SECONDS = 600
# Headless, as root, and without the background connections a closed network refuses (they stall the start).
HEADLESS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
# Every host but the loopback resolves to nothing: anything a page fetched from elsewhere would fail to load.
OFFLINE = "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"
# The demo player starts by itself (its video is muted), as a viewer's browser lets a muted video do.
AUTOPLAY = "--autoplay-policy=no-user-gesture-required"
DRIVER = PLAYER_DIR / "browser-driver.mjs"
PLAYWRIGHT = PLAYER_DIR / "node_modules" / "playwright-core" / "package.json"
MINIMUM_NODE_MAJOR = 20  # playwright-core's engines field
START_TIMEOUT_SECONDS = 60
CALL_TIMEOUT_SECONDS = 60
POLL_SECONDS = 0.1


def _apt_get(apt_get: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [apt_get, *args],
        env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
        capture_output=True,
        text=True,
        timeout=INSTALL_TIMEOUT_SECONDS,
        check=False,
    )


def chromium_executable() -> str:
    """Debian's chromium, installed when missing; the calling test is skipped only where it cannot be installed."""
    found = shutil.which("chromium")
    if found:
        return found
    apt_get = shutil.which("apt-get")
    if os.geteuid() != 0 or apt_get is None:
        pytest.skip("Debian's chromium is missing and cannot be installed here (needs root and apt-get)")
    installed = _apt_get(apt_get, "install", "-y", "-q", "chromium")
    if installed.returncode != 0:  # a fresh machine's package lists may be missing or stale
        _apt_get(apt_get, "update", "-q")
        installed = _apt_get(apt_get, "install", "-y", "-q", "chromium")
    found = shutil.which("chromium")
    if installed.returncode != 0 or found is None:
        pytest.skip(f"apt-get could not install chromium: {installed.stderr.strip()[-500:]}")
    return found


def node_with_playwright() -> str:
    """Node.js (20+) with the player package's playwright-core, `npm ci` first when it is missing; else a skip."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("Node.js is missing: the browser driver runs on Node.js 20+ with playwright-core")
    version = subprocess.run([node, "--version"], capture_output=True, text=True, check=False).stdout.strip()
    major = re.match(r"v(\d+)\.", version)
    if major is None or int(major.group(1)) < MINIMUM_NODE_MAJOR:
        pytest.skip(f"Node.js {version or '(unknown version)'} is too old for playwright-core (needs 20+)")
    if not PLAYWRIGHT.is_file():
        npm = shutil.which("npm")
        if npm is None:
            pytest.skip(f"playwright-core is not installed in {PLAYER_DIR} and npm is missing (make player)")
        installed = subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=PLAYER_DIR,
            capture_output=True,
            text=True,
            timeout=INSTALL_TIMEOUT_SECONDS,
            check=False,
        )
        if installed.returncode != 0 or not PLAYWRIGHT.is_file():
            pytest.skip(f"npm ci could not install the player package: {installed.stderr.strip()[-500:]}")
    return node


@dataclass(frozen=True)
class PlayerStatus:
    """What the demo page's #player-status says (its data-* attributes), and whether its video is paused."""

    state: str
    current_time: float
    http_status: int | None
    reason: str
    message: str
    engine: str
    text: str
    paused: bool


# Reads #player-status and the video in one round trip.
_STATUS = """(() => {
  const status = document.getElementById('player-status');
  return {...status.dataset, text: status.textContent, paused: document.getElementById('video').paused};
})()"""


class BrowserError(RuntimeError):
    """The driver failed (chromium did not start, a page did not load, an expression threw)."""


class Browser:
    """A headless chromium behind browser-driver.mjs; every page it opens gets a fresh browser context."""

    def __init__(self, chromium: str, *extra_args: str) -> None:
        self._command = [
            node_with_playwright(),
            str(DRIVER),
            json.dumps({"executablePath": chromium, "args": [*HEADLESS, OFFLINE, AUTOPLAY, *extra_args]}),
        ]
        self._answers: queue.Queue[dict[str, Any]] = queue.Queue()
        self._stderr: list[str] = []
        self._process: subprocess.Popen[str] | None = None
        self._calls = 0
        self.version = ""

    def __enter__(self) -> Browser:
        self._process = subprocess.Popen(
            self._command,
            cwd=PLAYER_DIR,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert self._process.stdout is not None
        assert self._process.stderr is not None
        threading.Thread(target=self._read_answers, args=(self._process.stdout,), daemon=True).start()
        threading.Thread(target=self._read_stderr, args=(self._process.stderr,), daemon=True).start()
        ready = self._next_answer(START_TIMEOUT_SECONDS, "start")
        self.version = str(ready.get("version", ""))
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        process = self._process
        if process is None:
            return
        if process.stdin is not None:
            process.stdin.close()  # the driver closes chromium and exits at the end of its input
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def open(self, url: str) -> Page:
        """Load `url` in a new tab (until its load event) and return the page."""
        return Page(self, int(self.call("open", url=url)))

    def call(self, op: str, **arguments: Any) -> Any:
        process = self._process
        if process is None or process.stdin is None:
            raise BrowserError("the browser is not started: use it in a with block")
        self._calls += 1
        process.stdin.write(json.dumps({"id": self._calls, "op": op, **arguments}) + "\n")
        process.stdin.flush()
        answer = self._next_answer(CALL_TIMEOUT_SECONDS, op)
        if answer.get("id") != self._calls:
            raise BrowserError(f"the driver answered request {answer.get('id')} to request {self._calls}")
        if "error" in answer:
            raise BrowserError(f"{op} failed: {answer['error']}")
        return answer.get("result")

    def _next_answer(self, timeout: float, what: str) -> dict[str, Any]:
        try:
            answer = self._answers.get(timeout=timeout)
        except queue.Empty:
            raise BrowserError(f"no answer to {what} within {timeout} s; driver stderr:\n{self.stderr}") from None
        if not answer:  # the end of the driver's output
            raise BrowserError(f"the browser driver exited during {what}; its stderr:\n{self.stderr}")
        return answer

    @property
    def stderr(self) -> str:
        return "".join(self._stderr)[-4000:]

    def _read_answers(self, stdout: IO[str]) -> None:
        for line in stdout:
            self._answers.put(json.loads(line))
        self._answers.put({})

    def _read_stderr(self, stderr: IO[str]) -> None:
        for line in stderr:
            self._stderr.append(line)


class Page:
    """One loaded page: evaluate expressions in it, read its log, wait for the demo player's status."""

    def __init__(self, browser: Browser, number: int) -> None:
        self._browser = browser
        self._number = number

    def evaluate(self, expression: str) -> Any:
        """The JSON-serialisable value of a JavaScript expression (awaited when it is a promise)."""
        return self._browser.call("evaluate", page=self._number, expression=expression)

    def screenshot(self, path: Path) -> None:
        """A PNG of what the viewport shows, written to `path`."""
        self._browser.call("screenshot", page=self._number, path=str(path))

    def log(self) -> list[str]:
        """Console messages, page errors and responses ("403 GET segment_002.ts": file names only, never tokens)."""
        return [str(line) for line in self._browser.call("log", page=self._number)]

    def status(self) -> PlayerStatus:
        raw = self.evaluate(_STATUS)
        return PlayerStatus(
            state=raw.get("state", ""),
            current_time=float(raw.get("currentTime") or 0),
            http_status=int(raw["httpStatus"]) if raw.get("httpStatus") else None,
            reason=raw.get("reason", ""),
            message=raw.get("message", ""),
            engine=raw.get("engine", ""),
            text=raw.get("text", ""),
            paused=bool(raw.get("paused")),
        )

    def wait_for(self, condition: Callable[[PlayerStatus], bool], timeout: float = 30) -> PlayerStatus:
        """The player's first status that meets `condition`, polled; an AssertionError with the page's log if none
        does within `timeout` seconds."""
        deadline = time.monotonic() + timeout
        status = self.status()
        while not condition(status):
            if time.monotonic() > deadline:
                log = "\n".join(self.log()[-40:])
                raise AssertionError(f"no matching player status within {timeout} s; last: {status}\npage log:\n{log}")
            time.sleep(POLL_SECONDS)
            status = self.status()
        return status

    def close(self) -> None:
        self._browser.call("close", page=self._number)
