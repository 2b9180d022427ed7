"""Runner soak: create+delete cycles through the runner over HTTP; its memory and latency must stay flat.

Issue 12 measured 1,500 cycles taking the runner from 112 to 1,030 MB and a cycle from 12.7 to 27.5 ms, with
the table back to zero keys each time. The figures: RSS growth of the runner's process tree after a warm-up,
and the median cycle time of the last 10 % of the cycles divided by that of the first 10 %.
"""

from __future__ import annotations

import http.client
import json
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from bench.harness import ROOT

Row = tuple[str, str, float | None, str]
CYCLES = 3000
WORKSPACE, TOKEN_ID, SECRET = "ws-soak", "tok-soak", "secret-soak-0123456789"
# Livepeer's create makes a P-256 key (~30 µs): the cycle measures the runner, not RSA key generation.
KEYS_PATH = "/access-control/signing-key"
_STARTUP_TIMEOUT_SECONDS = 60


@dataclass(frozen=True)
class Soak:
    cycles: int
    rss_growth_mb: float
    first_median_ms: float
    last_median_ms: float

    @property
    def latency_ratio(self) -> float:
        return self.last_median_ms / self.first_median_ms


def tree_rss_bytes(pid: int) -> int:
    """VmRSS of the process and all its descendants (the runner may host functions in child processes)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parent = int(stat.read_text().rsplit(")", 1)[1].split()[1])  # the command name may hold spaces
        except (OSError, IndexError, ValueError):
            continue  # exited while we looked
        children.setdefault(parent, []).append(int(stat.parent.name))
    total, pending = 0, [pid]
    while pending:
        current = pending.pop()
        pending.extend(children.get(current, []))
        total += _vm_rss_bytes(current)
    return total


def _vm_rss_bytes(pid: int) -> int:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0  # exited while we looked
    for line in status.splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0  # a zombie has no resident memory


def _request(connection: http.client.HTTPConnection, method: str, path: str, secret: str) -> tuple[int, bytes]:
    connection.request(method, path, headers={"Authorization": f"Bearer {secret}"})
    response = connection.getresponse()
    return response.status, response.read()


def _cycle(connection: http.client.HTTPConnection, secret: str) -> None:
    status, body = _request(connection, "POST", KEYS_PATH, secret)
    if status != 200:
        raise RuntimeError(f"create answered {status}: {body[:200]!r}")
    key_id = json.loads(body)["id"]
    status, body = _request(connection, "DELETE", f"{KEYS_PATH}/{key_id}", secret)
    if status != 204:
        raise RuntimeError(f"delete answered {status}: {body[:200]!r}")


def soak(url: str, pid: int, secret: str, cycles: int) -> Soak:
    """`cycles` create+delete cycles on one keep-alive connection, after a warm-up of a tenth as many."""
    address = urlsplit(url)
    connection = http.client.HTTPConnection(str(address.hostname), address.port, timeout=30)
    try:
        for _ in range(max(50, cycles // 10)):  # imports, caches and allocator pools settle first
            _cycle(connection, secret)
        rss_before = tree_rss_bytes(pid)
        seconds: list[float] = []
        for _ in range(cycles):
            started = time.perf_counter()
            _cycle(connection, secret)
            seconds.append(time.perf_counter() - started)
        rss_after = tree_rss_bytes(pid)
    finally:
        connection.close()
    tenth = max(1, cycles // 10)
    return Soak(
        cycles,
        (rss_after - rss_before) / 2**20,
        statistics.median(seconds[:tenth]) * 1000,
        statistics.median(seconds[-tenth:]) * 1000,
    )


@contextmanager
def _runner() -> Iterator[tuple[subprocess.Popen[str], str]]:
    """`signing-keys-local start-api` on a free port, as a user starts it, with the soak's credential."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    process = subprocess.Popen(
        [
            *(sys.executable, "-m", "signing_keys_local.cli", "start-api", "--port", str(port), "--quiet"),
            *("--credential", f"{WORKSPACE}:{TOKEN_ID}:{SECRET}", "--parameter-overrides", "LogLevel=WARNING"),
        ],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    ready = threading.Event()

    def drain() -> None:  # keep reading, so that a full pipe never blocks the runner
        assert process.stderr is not None
        for line in process.stderr:
            if line.startswith("ready in"):
                ready.set()

    threading.Thread(target=drain, daemon=True).start()
    try:
        if not ready.wait(_STARTUP_TIMEOUT_SECONDS):
            raise RuntimeError("the runner did not start")
        yield process, f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=20)


def run(cycles: int = CYCLES) -> list[Row]:
    with _runner() as (process, url):
        result = soak(url, process.pid, SECRET, cycles)
    note = f"{cycles:,} create+delete cycles over HTTP (Livepeer, P-256)"
    return [
        ("runner soak: RSS growth", "MB", result.rss_growth_mb, f"{note}; ≤ 20 MB at 1,000 in tests"),
        (
            "runner soak: median cycle, last ÷ first 10 %",
            "ratio",
            result.latency_ratio,
            f"{result.first_median_ms:.1f} → {result.last_median_ms:.1f} ms per cycle; ≤ 1.2 at 1,000 in tests",
        ),
    ]
