"""`make smoke` (signing_keys_tools.smoke), the post-deploy check, against the runner as a user starts it: a healthy
stack passes every step and keeps nothing; a step that really fails stops the run, named, and what was created is
deleted."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from collections.abc import Iterator

import boto3
import pytest

from signing_keys.credentials import CredentialService
from signing_keys.models import Scope
from signing_keys.routes import ROUTES
from signing_keys.store.credentials import CredentialRepository
from signing_keys.store.table import Table
from signing_keys_tools.smoke import SECRET_VARIABLE, Smoke
from tests.conftest import ROOT, SECRET_MARKERS
from tests.integration.conftest import Runner, call, counter, embedded_endpoint, start_runner

WORKSPACE, TOKEN_ID, SECRET = "ws-smoke", "tok-smoke", "secret-smoke-0123456789"
TABLE = "signing-keys-local-KeysTable"
STEPS = 23  # every function once, the keys it made deleted


@pytest.fixture(scope="module")
def healthy() -> Iterator[Runner]:
    started = start_runner("--credential", f"{WORKSPACE}:{TOKEN_ID}:{SECRET}")
    yield started
    assert started.stop() == 0


@pytest.fixture(scope="module")
def issuer_bound() -> Iterator[Runner]:
    """A stack that accepts only tokens of one issuer: the smoke's own tokens (no iss) are refused."""
    started = start_runner(
        "--credential",
        f"{WORKSPACE}:{TOKEN_ID}:{SECRET}",
        "--parameter-overrides",
        "AllowedIssuers=https://issuer.example",
    )
    yield started
    assert started.stop() == 0


def smoke(runner: Runner, token_id: str = TOKEN_ID, secret: str = SECRET) -> subprocess.CompletedProcess[str]:
    """`python -m signing_keys_tools.smoke --url …` as the README has an operator run it: the secret in
    SIGNING_KEYS_SMOKE_SECRET (a generated secret may begin with `-`, which `--secret VALUE` would read as an
    option), without any AWS credentials."""
    environment = {name: value for name, value in os.environ.items() if not name.startswith("AWS_")}
    environment.update({"AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull})
    environment[SECRET_VARIABLE] = secret
    command = ["--url", runner.url, "--workspace", WORKSPACE, "--token-id", token_id]
    return subprocess.run(
        [sys.executable, "-m", "signing_keys_tools.smoke", *command],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def leftovers(runner: Runner) -> tuple[tuple[int, int], bytes]:
    """The workspace's key count and keys, and its active revocations."""
    status, _, body = call(runner, "GET", "/revocations", authorization=f"Bearer {SECRET}")
    assert status == 200
    return counter(runner, WORKSPACE), body


def test_a_healthy_stack_passes_every_step_and_keeps_nothing(healthy: Runner) -> None:
    # Given a deployed (here: local) stack and a write-scoped credential, without AWS credentials
    # When the smoke check runs
    result = smoke(healthy)
    # Then every step passes, one line each, and the workspace holds nothing it made
    assert result.returncode == 0, result.stdout + result.stderr
    steps = result.stdout.splitlines()[1:]
    assert len(steps) == STEPS
    assert all(line.startswith("ok    ") for line in steps)
    assert leftovers(healthy) == ((0, 0), b'{"revocations":[],"nextCursor":null}')


def test_the_smoke_check_prints_no_secret_token_or_private_key(healthy: Runner) -> None:
    result = smoke(healthy)
    assert result.returncode == 0, result.stdout
    printed = result.stdout + result.stderr
    assert SECRET not in printed
    assert not any(marker in printed for marker in SECRET_MARKERS)


def test_the_smoke_check_calls_every_function_of_the_route_table(healthy: Runner) -> None:
    # Given the smoke check run in-process against the stack
    check = Smoke(healthy.url, WORKSPACE, TOKEN_ID, SECRET, out=io.StringIO(), pause_seconds=0.5)
    assert check.run() == 0
    # Then it called a route of every function of the route table (a new route's function included), and a
    # method a resource lacks (the 405 function)
    function_of = {(route.method, route.path): route.function for route in ROUTES}
    called = {(c.method, c.route) for c in check.calls}
    assert {function_of[c] for c in called if c in function_of} == {route.function for route in ROUTES}
    assert ("PUT", "/iam/signing-keys") in called


def test_a_read_only_credential_stops_the_run_at_the_first_write_naming_it(issuer_bound: Runner) -> None:
    # Given a credential of the workspace that may only read
    client = boto3.client("dynamodb", endpoint_url=embedded_endpoint(issuer_bound), region_name="us-east-1")
    issued = CredentialService(CredentialRepository(Table(client, TABLE))).issue(WORKSPACE, scope=Scope.READ)
    assert issued is not None
    # When the smoke check runs with it
    result = smoke(issuer_bound, issued.token_id, issued.secret)
    # Then it fails at its first step, a write, saying which call failed and why, and runs no further step
    assert result.returncode == 1
    lines = result.stdout.splitlines()[1:]
    assert lines[0].startswith("FAIL  create key (FastPix): POST /iam/signing-keys → 403 (expected 201): ")
    assert not any(line.startswith("ok") for line in lines)
    assert issued.secret not in result.stdout


def test_a_step_that_fails_midway_is_named_and_what_was_made_is_deleted(issuer_bound: Runner) -> None:
    # Given a stack whose playback authorizer accepts one issuer only, which the smoke's own tokens do not name
    # When the smoke check runs
    result = smoke(issuer_bound)
    # Then the run stops at the playback verification with its 401, every step before it passed
    assert result.returncode == 1
    lines = result.stdout.splitlines()[1:]
    failed = next(index for index, line in enumerate(lines) if line.startswith("FAIL"))
    assert lines[failed].startswith(
        "FAIL  playback verification: GET /workspaces/ws-smoke/playback/smoke-media?… → 401"
    )
    assert all(line.startswith("ok    ") for line in lines[:failed])
    # And the keys it had made are deleted, one line each
    cleaned = lines[failed + 1 :]
    assert len(cleaned) == 3
    assert all(line.startswith("cleaned up: DELETE ") for line in cleaned)
    assert leftovers(issuer_bound)[0] == (0, 0)
