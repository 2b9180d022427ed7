"""Concurrent requests through the runner never see each other's state (issue 19, finding 1): each function
runs in containers that serve one request at a time, as Lambda's do.

Before, every handler ran in the runner's one process: with two workspaces in flight, answers carried the
other workspace's key, spurious 404s and 500s appeared, and log lines carried another request's correlation id.
"""

from __future__ import annotations

import base64
import json
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import pytest

from tests.integration.conftest import Runner, call, start_runner

pytestmark = pytest.mark.slow  # 480 requests from 24 clients at once

WORKSPACES = {
    "ws-iso-a": ("tok-iso-a", "secret-iso-a-0123456789"),
    "ws-iso-b": ("tok-iso-b", "secret-iso-b-0123456789"),
}
REQUESTS = 480
CLIENTS = 24


@pytest.fixture(scope="module")
def runner() -> Iterator[Runner]:
    credentials = [arg for ws, (tok, sec) in WORKSPACES.items() for arg in ("--credential", f"{ws}:{tok}:{sec}")]
    # Authorizer results uncached, so every request runs the authorizer as well as its function.
    overrides = ["KeyLimit=1000", "LogLevel=DEBUG", "AuthorizerCacheTtlSeconds=0"]
    started = start_runner(*credentials, "--parameter-overrides", *overrides)
    yield started
    assert started.stop() == 0


def basic(workspace: str) -> str:
    token_id, secret = WORKSPACES[workspace]
    return "Basic " + base64.b64encode(f"{token_id}:{secret}".encode()).decode()


def bearer(workspace: str) -> str:
    return f"Bearer {WORKSPACES[workspace][1]}"


# Both dialects: reads of a known key, lists, and creates (P-256: cheap enough to run many).
MIX: list[tuple[str, str, str, Callable[[str], str]]] = [
    ("get", "GET", "/iam/signing-keys/{key}", basic),
    ("get", "GET", "/access-control/signing-key/{key}", bearer),
    ("list", "GET", "/iam/signing-keys?limit=100", basic),
    ("list", "GET", "/access-control/signing-key", bearer),
    ("create", "POST", "/access-control/signing-key", bearer),
]


@dataclass
class Answer:
    workspace: str
    operation: str
    status: int
    request_id: str
    body: Any

    def key_ids(self) -> set[str]:
        """The key ids the answer names."""
        if self.operation == "list":
            listed = self.body["data"] if isinstance(self.body, dict) else self.body
            return {key["id"] for key in listed}
        data = self.body.get("data", self.body)
        return {data.get("signingKeyId") or data["id"]}

    def workspace_named(self) -> str:
        """The workspace a FastPix read names (the other answers name none)."""
        return (
            str(self.body.get("data", {}).get("workspaceId", self.workspace))
            if self.operation == "get"
            else self.workspace
        )


@dataclass
class Traffic:
    """Every answer, and the key ids each workspace is known to hold."""

    answers: list[Answer] = field(default_factory=list)
    keys: dict[str, set[str]] = field(default_factory=lambda: {ws: set() for ws in WORKSPACES})
    lock: threading.Lock = field(default_factory=threading.Lock)

    def send(
        self, runner: Runner, workspace: str, request: tuple[str, str, str, Callable[[str], str]], key: str
    ) -> Answer:
        operation, method, path, authorization = request
        status, headers, body = call(runner, method, path.format(key=key), authorization=authorization(workspace))
        answer = Answer(workspace, operation, status, headers.get("x-amzn-RequestId", ""), json.loads(body or b"null"))
        with self.lock:
            self.answers.append(answer)
            if operation == "create" and status == 200:
                self.keys[workspace].add(answer.body["id"])
        return answer


@pytest.fixture(scope="module")
def traffic(runner: Runner) -> tuple[Traffic, int]:
    """Given one key per workspace, REQUESTS requests from CLIENTS concurrent clients, both workspaces at once."""
    traffic, first_line = Traffic(), len(runner.lines)
    seeded = {ws: traffic.send(runner, ws, MIX[-1], "").body["id"] for ws in WORKSPACES}
    names = list(WORKSPACES)
    jobs = [(names[i % 2], MIX[(i // 2) % len(MIX)]) for i in range(REQUESTS)]
    with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
        list(pool.map(lambda job: traffic.send(runner, job[0], job[1], seeded[job[0]]), jobs))
    # Every request logged before it was answered, so once a last request's line has come through the runner's
    # output, all of theirs have.
    last = traffic.send(runner, names[0], MIX[-1], "").body["id"]
    runner.wait_for_line(lambda line: last in line and "signing key created" in line, after=first_line)
    return traffic, first_line


def test_no_answer_fails_or_misses_a_key(traffic: tuple[Traffic, int]) -> None:
    # Then every request succeeded: no 5xx, and no spurious 404 for a key that exists
    statuses = Counter(answer.status for answer in traffic[0].answers)
    assert set(statuses) == {200}, statuses


def test_no_answer_carries_the_other_workspaces_keys(traffic: tuple[Traffic, int]) -> None:
    # Then no answer of one workspace names a key, or the id, of the other
    answers, keys = traffic[0].answers, traffic[0].keys
    foreign = {ws: set().union(*(keys[other] for other in keys if other != ws)) for ws in keys}
    named_foreign = [a for a in answers if a.status == 200 and a.key_ids() & foreign[a.workspace]]
    leaks = named_foreign + [a for a in answers if a.status == 200 and a.workspace_named() != a.workspace]
    assert leaks == []
    assert sum(1 for a in answers if a.operation != "create") >= REQUESTS * 3 // 5


def test_every_log_line_of_a_request_carries_its_correlation_id(runner: Runner, traffic: tuple[Traffic, int]) -> None:
    # Then each function log line names the workspace of the request whose correlation id it carries
    answers, first_line = traffic
    workspace_of = {a.request_id: a.workspace for a in answers.answers}
    records = [json.loads(line) for line in runner.lines[first_line:] if line.startswith("{")]
    ours = [r for r in records if r.get("correlation_id") in workspace_of and "workspace_id" in r]
    mismatched = [r for r in ours if r["workspace_id"] != workspace_of[r["correlation_id"]]]
    assert mismatched == []
    assert len(ours) >= REQUESTS  # at least the authorizer's line for every request: the check is not vacuous


def test_each_created_key_is_logged_under_its_own_request(runner: Runner, traffic: tuple[Traffic, int]) -> None:
    answers, first_line = traffic
    created = {a.body["id"]: a.request_id for a in answers.answers if a.operation == "create" and a.status == 200}
    records = [json.loads(line) for line in runner.lines[first_line:] if line.startswith("{")]
    logged = {r["key_id"]: r["correlation_id"] for r in records if r.get("message") == "signing key created"}
    assert {key: logged.get(key) for key in created} == created


def test_a_rejected_credential_is_logged_without_the_callers_path(runner: Runner) -> None:
    # Given a request with a bad credential and a path full of the caller's own text
    first_line = len(runner.lines)
    status, headers, _ = call(runner, "GET", "/iam/signing-keys/%1B%5B31mINJECTED", authorization="Bearer wrong")
    assert status == 401
    # Then the authorizer logs the route's template, never the raw path
    request_id = {name.lower(): value for name, value in headers.items()}["x-amzn-requestid"]
    # The runner's output arrives after the answer, later still on a busy machine
    line = runner.wait_for_line(
        lambda line: line.startswith("{") and request_id in line and "credential rejected" in line, after=first_line
    )
    rejected = json.loads(line)
    assert (rejected["correlation_id"], rejected["message"]) == (request_id, "credential rejected")
    assert (rejected["method"], rejected["resource"]) == ("GET", "/iam/signing-keys/{signingKeyId}")
    assert "INJECTED" not in json.dumps(rejected)
