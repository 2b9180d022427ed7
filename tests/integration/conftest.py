"""The local runner as a user starts it: a subprocess serving HTTP on a free loopback port."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import pytest

from tests.browser import Browser, chromium_executable
from tests.conftest import ROOT

STARTUP_TIMEOUT_SECONDS = 60


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class Runner:
    process: subprocess.Popen[str]
    url: str
    lines: list[str] = field(default_factory=list)
    output_ended: threading.Event = field(default_factory=threading.Event)  # every writer closed the pipe

    @property
    def output(self) -> str:
        return "".join(self.lines)

    def wait_for_line(self, predicate: Callable[[str], bool], after: int = 0, timeout: float = 10) -> str:
        """The first output line from index `after` on that satisfies `predicate` (output arrives async)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in self.lines[after:]:
                if predicate(line):
                    return line
            time.sleep(0.02)
        raise AssertionError(f"no matching line in runner output:\n{self.output}")

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.terminate()
        return self.process.wait(timeout=20)


def runner_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "signing_keys_local.cli", *args]


def start_runner(*args: str, state_dir: Path | None = None, env: dict[str, str] | None = None) -> Runner:
    """A runner on a free port; hermetic (`--in-memory`) unless it is given a state directory."""
    port = free_port()
    state = ["--state-dir", str(state_dir)] if state_dir is not None else ["--in-memory"]
    process = subprocess.Popen(
        runner_command("start-api", "--port", str(port), *state, *args),
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=dict(os.environ) if env is None else env,
    )
    runner = Runner(process, f"http://127.0.0.1:{port}")
    ready = threading.Event()

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            runner.lines.append(line)
            if line.startswith("ready in"):
                ready.set()
        runner.output_ended.set()
        ready.set()

    threading.Thread(target=read, daemon=True).start()
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    while not ready.wait(0.1):
        if time.monotonic() > deadline:
            process.kill()
            raise RuntimeError(f"runner did not start:\n{runner.output}")
    if process.poll() is not None:
        raise RuntimeError(f"runner exited with {process.returncode}:\n{runner.output}")
    return runner


CREDENTIAL = ("ws-it", "tok-it", "secret-it-0123456789")
FUZZ_CREDENTIAL = ("ws-fuzz", "tok-fuzz", "secret-fuzz-0123456789")  # fuzzing fills its workspace to the limit
FRONT_CREDENTIAL = ("ws-front", "tok-front", "secret-front-0123456789")  # the HTTP front's framing tests
RACE_WORKSPACES = [f"ws-race-{round_}" for round_ in range(5)]
MACHINE_WORKSPACES = ["ws-machine-a", "ws-machine-b"]
# Key policies and rotation (test_key_policies_over_http.py): one workspace per test, so limits never interact.
POLICY_WORKSPACES = ["ws-scope", "ws-lifetime", "ws-expiry", "ws-rotate", "ws-byok"]
ROTATION_RACE_WORKSPACES = [f"ws-rotate-race-{round_}" for round_ in range(3)]
# Revocations act workspace-wide (issuedBefore refuses every older token): each scenario gets its own workspace.
REVOCATION_WORKSPACES = [f"ws-rev-{scenario}" for scenario in ("jti", "viewer", "issuedBefore", "other", "once")]
# The last review's reproductions (test_review_reproductions.py): one workspace per scenario.
REVIEW_WORKSPACES = ["ws-review-jwks", "ws-review-slash", "ws-review-escape", "ws-review-advance"]


@pytest.fixture(scope="session")
def runner() -> Iterator[Runner]:
    credentials = [
        CREDENTIAL,
        FUZZ_CREDENTIAL,
        FRONT_CREDENTIAL,
        *(
            (ws, f"tok-{ws}", f"secret-{ws}")
            for ws in RACE_WORKSPACES
            + MACHINE_WORKSPACES
            + POLICY_WORKSPACES
            + ROTATION_RACE_WORKSPACES
            + REVOCATION_WORKSPACES
            + REVIEW_WORKSPACES
        ),
    ]
    args = [arg for c in credentials for arg in ("--credential", ":".join(c))]
    # KeyCacheMillis=0: tests here show revocation on the very next request; test_key_cache.py runs the default.
    started = start_runner(*args, "--parameter-overrides", "KeyLimit=10", "LogLevel=DEBUG", "KeyCacheMillis=0")
    yield started
    assert started.stop() == 0


@pytest.fixture(scope="session")
def chromium() -> str:
    """Debian's chromium, installed when missing; a test that needs it is skipped only where it cannot be."""
    return chromium_executable()


@pytest.fixture(scope="session")
def browser(chromium: str) -> Iterator[Browser]:
    """One headless chromium for the session; each page it opens has a browser context of its own."""
    with Browser(chromium) as started:
        yield started


# The edge (test_edge_over_http.py, test_player_over_edge.py): a runner with --media-dir and KeyCacheMillis at its
# default, the sample under each test workspace, and a file of another media nothing may ever reach.
SAMPLE = ROOT / "local" / "signing_keys_local" / "media" / "dev" / "sample"
EDGE_WORKSPACES = [
    "ws-edge", "ws-edge-other", "ws-edge-revoke", "ws-edge-viewer", "ws-edge-cutoff", "ws-edge-key", "ws-edge-play",
]  # fmt: skip
SECRET_BYTES = b"another media's bytes"
README_CREDENTIAL = ("dev", "tok-dev", "secret-dev-readme")


@pytest.fixture(scope="session")
def media_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("media")
    for workspace in [*EDGE_WORKSPACES, "dev"]:  # dev: the sample the runner's banner plays
        shutil.copytree(SAMPLE, root / workspace / "sample")
    (root / "ws-edge" / "private").mkdir()
    (root / "ws-edge" / "private" / "index.m3u8").write_bytes(SECRET_BYTES)
    (root / "outside.txt").write_bytes(SECRET_BYTES)
    return root


@pytest.fixture(scope="session")
def edge_runner(media_dir: Path) -> Iterator[Runner]:
    credentials = [arg for ws in EDGE_WORKSPACES for arg in ("--credential", f"{ws}:tok-{ws}:secret-{ws}")]
    credentials += ["--credential", ":".join(README_CREDENTIAL)]  # the dev workspace the README's walkthroughs use
    started = start_runner(*credentials, "--media-dir", str(media_dir), "--parameter-overrides", "LogLevel=DEBUG")
    yield started
    assert started.stop() == 0


# -- clients of a running runner ------------------------------------------------------------------
def call(
    runner: Runner,
    method: str,
    path: str,
    *,
    authorization: str | None = None,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(runner.url + path, data=body, method=method)
    for name, value in (headers or {}).items():
        request.add_header(name, value)
    if authorization:
        request.add_header("Authorization", authorization)
    if body is not None and "Content-Type" not in (headers or {}):
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def bearer(workspace: str) -> str:
    """The Authorization of a workspace whose credential the runner was given as `ws:tok-ws:secret-ws`."""
    return f"Bearer secret-{workspace}"


def create_livepeer_key(runner: Runner, workspace: str) -> dict[str, Any]:
    """A new key of the workspace (Livepeer dialect: ES256), as the create call answered it, private key included."""
    status, _, body = call(runner, "POST", "/access-control/signing-key", authorization=bearer(workspace))
    assert status == 200, body
    key: dict[str, Any] = json.loads(body)
    return key


def counter(runner: Runner, workspace: str) -> tuple[int, int]:
    client = boto3.client("dynamodb", endpoint_url=embedded_endpoint(runner), region_name="us-east-1")
    table = "signing-keys-local-KeysTable"
    item = client.get_item(TableName=table, Key={"PK": {"S": f"WS#{workspace}"}, "SK": {"S": "COUNTER"}}).get(
        "Item", {"keyCount": {"N": "0"}}
    )
    keys = client.query(
        TableName=table,
        IndexName="GSI1",
        KeyConditionExpression="GSI1PK = :ws",
        ExpressionAttributeValues={":ws": {"S": f"WS#{workspace}"}},
        Select="COUNT",
    )["Count"]
    return int(item["keyCount"]["N"]), keys


def runner_rss_bytes(runner: Runner) -> int:
    """The runner process's resident memory (its containers are processes of their own, not counted)."""
    status = Path(f"/proc/{runner.process.pid}/status").read_text(encoding="ascii")
    return next(int(line.split()[1]) * 1024 for line in status.splitlines() if line.startswith("VmRSS:"))


def embedded_endpoint(runner: Runner) -> str:
    line = next(line for line in runner.lines if line.startswith("DynamoDB: "))
    return line.split(" ", 1)[1].strip()
