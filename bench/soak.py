"""Runner soak: create+delete cycles through the runner over HTTP; its memory and latency must stay flat.

Issue 12 measured 1,500 cycles taking the runner from 112 to 1,030 MB and a cycle from 12.7 to 27.5 ms, with
the table back to zero keys each time. After a warm-up, the soak measures:
- the RSS growth of the runner's process tree over the cycles;
- the median cycle of the last 10 % of the cycles ÷ that of the first 10 % (wall time, as a user feels it);
- the median cycle of the last 10 % ÷ that of a fresh runner (warmed up the same way) timed alternately with
  it. Other processes on the machine slow both alike, so this one shows only what the cycles left behind: on
  a shared 2-CPU machine the last ÷ first ratio of a flat runner ranged 0.76-1.29 over five runs, and even its
  CPU time per cycle 0.85-1.27; a runner whose per-request cost grows moves all three.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
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
class Target:
    """A running runner and a credential for it (secret of a workspace that stays under its key limit)."""

    url: str
    pid: int
    secret: str


@dataclass(frozen=True)
class Soak:
    cycles: int
    rss_growth_mb: float
    first_ms: float  # median cycle, first 10 % of the cycles
    last_ms: float  # median cycle, last 10 %
    fresh_ms: float  # median cycle of the fresh runner, timed alternately with the last 10 %

    @property
    def latency_ratio(self) -> float:
        return self.last_ms / self.first_ms

    @property
    def drift(self) -> float:
        return self.last_ms / self.fresh_ms


def process_tree(pid: int) -> list[int]:
    """The process and all its descendants (the runner may host functions in child processes)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parent = int(stat.read_text().rsplit(")", 1)[1].split()[1])  # the command name may hold spaces
        except (OSError, IndexError, ValueError):
            continue  # exited while we looked
        children.setdefault(parent, []).append(int(stat.parent.name))
    tree, pending = [], [pid]
    while pending:
        current = pending.pop()
        tree.append(current)
        pending.extend(children.get(current, []))
    return tree


def tree_rss_bytes(pid: int) -> int:
    """VmRSS summed over the process tree (a process that exits meanwhile counts 0)."""
    total = 0
    for member in process_tree(pid):
        with contextlib.suppress(OSError):
            status = Path(f"/proc/{member}/status").read_text()
            total += next((int(line.split()[1]) * 1024 for line in status.splitlines() if line.startswith("VmRSS:")), 0)
    return total


class _Client:
    """Create+delete cycles against one runner, on one keep-alive connection."""

    def __init__(self, target: Target) -> None:
        address = urlsplit(target.url)
        self._connection = http.client.HTTPConnection(str(address.hostname), address.port, timeout=30)
        self._authorization = {"Authorization": f"Bearer {target.secret}"}

    def _request(self, method: str, path: str, expected: int) -> bytes:
        self._connection.request(method, path, headers=self._authorization)
        response = self._connection.getresponse()
        body = response.read()
        if response.status != expected:
            raise RuntimeError(f"{method} {path} answered {response.status}: {body[:200]!r}")
        return body

    def cycle(self) -> float:
        """One create+delete; its wall time in seconds."""
        started = time.perf_counter()
        key_id = json.loads(self._request("POST", KEYS_PATH, 200))["id"]
        self._request("DELETE", f"{KEYS_PATH}/{key_id}", 204)
        return time.perf_counter() - started

    def close(self) -> None:
        self._connection.close()


def soak(soaked: Target, fresh: Target, cycles: int) -> Soak:
    """`cycles` create+delete cycles through `soaked`; `fresh` only serves as the reference at the end."""
    tenth = max(1, cycles // 10)
    client, reference = _Client(soaked), _Client(fresh)
    try:
        for _ in range(max(50, tenth)):  # both warmed alike: imports, caches, allocator pools
            client.cycle()
            reference.cycle()
        rss_before = tree_rss_bytes(soaked.pid)
        first = [client.cycle() for _ in range(tenth)]
        for _ in range(cycles - 2 * tenth):
            client.cycle()
        last, fresh_times = [], []
        for _ in range(tenth):  # alternately, so that the machine's other load lands on both alike
            last.append(client.cycle())
            fresh_times.append(reference.cycle())
        rss_after = tree_rss_bytes(soaked.pid)
    finally:
        client.close()
        reference.close()
    return Soak(
        cycles,
        (rss_after - rss_before) / 2**20,
        statistics.median(first) * 1000,
        statistics.median(last) * 1000,
        statistics.median(fresh_times) * 1000,
    )


@contextlib.contextmanager
def _runner() -> Iterator[Target]:
    """`signing-keys-local start-api` on a free port, as a user starts it, with the soak's credential."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    process = subprocess.Popen(
        [
            *(
                sys.executable,
                "-m",
                "signing_keys_local.cli",
                "start-api",
                "--port",
                str(port),
                "--quiet",
                "--no-throttle",
                "--in-memory",  # a soak measures the runner, not the journal; and it never leaves state behind
            ),
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
        yield Target(f"http://127.0.0.1:{port}", process.pid, SECRET)
    finally:
        process.terminate()
        process.wait(timeout=20)


def run(cycles: int = CYCLES) -> list[Row]:
    with _runner() as soaked, _runner() as fresh:
        result = soak(soaked, fresh, cycles)
    note = f"{cycles:,} create+delete cycles over HTTP (Livepeer, P-256)"
    return [
        ("runner soak: RSS growth", "MB", result.rss_growth_mb, f"{note}; ≤ 20 MB at 1,000 in tests"),
        (
            "runner soak: median cycle, last ÷ first 10 %",
            "ratio",
            result.latency_ratio,
            f"{result.first_ms:.1f} → {result.last_ms:.1f} ms (wall time: other processes move it)",
        ),
        (
            "runner soak: last 10 % ÷ a fresh runner",
            "ratio",
            result.drift,
            f"{result.last_ms:.1f} vs {result.fresh_ms:.1f} ms, timed alternately; ≤ 1.2 at 1,000 in tests",
        ),
    ]
