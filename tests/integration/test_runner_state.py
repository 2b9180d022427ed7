"""What the runner keeps across restarts (its state directory), and its DynamoDB as a user points tools at it:
a port of their choosing, and a DynamoDB on this machine without AWS credentials."""

from __future__ import annotations

import json
import os
import socket
import stat
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import boto3
import pytest

from tests.conftest import ROOT
from tests.integration.conftest import Runner, call, embedded_endpoint, free_port, runner_command, start_runner

KEYS = "/iam/signing-keys"
JOURNAL = "dynamodb.jsonl"
TABLE = "signing-keys-local-KeysTable"


@dataclass(frozen=True)
class Development:
    """The development credential a runner printed (none was seeded)."""

    token_id: str
    secret: str

    @classmethod
    def printed_by(cls, runner: Runner) -> Development:
        def field(name: str) -> str:
            return next(line for line in runner.lines if line.strip().startswith(f"{name}:")).split(":", 1)[1].strip()

        return cls(field("token id"), field("secret"))

    @property
    def bearer(self) -> str:
        return f"Bearer {self.secret}"


def create_key(runner: Runner, credential: Development) -> str:
    status, _, body = call(runner, "POST", KEYS, authorization=credential.bearer)
    assert status == 201, body
    key_id: str = json.loads(body)["data"]["id"]
    return key_id


def stopped(runner: Runner) -> None:
    assert runner.stop() == 0  # SIGTERM, as Ctrl-C or a service manager stops it


def user_environment() -> dict[str, str]:
    """A shell without AWS configuration."""
    return {name: value for name, value in os.environ.items() if not name.startswith("AWS_")}


# -- a restart keeps everything -----------------------------------------------------------------------------
@dataclass(frozen=True)
class Restarted:
    runner: Runner
    before: Development
    key_id: str
    revocation_id: str
    state_dir: Path


@pytest.fixture(scope="module")
def restarted(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Restarted]:
    # Given a runner on a state directory, with a key and a revocation made through its development credential
    state_dir = tmp_path_factory.mktemp("state")
    first = start_runner(state_dir=state_dir)
    credential = Development.printed_by(first)
    key_id = create_key(first, credential)
    status, _, body = call(
        first, "POST", "/revocations", authorization=credential.bearer, body=json.dumps({"jti": "order-1"}).encode()
    )
    assert status == 201, body
    revocation_id = json.loads(body)["id"]
    # When it is stopped and started again on the same directory
    stopped(first)
    second = start_runner(state_dir=state_dir)
    yield Restarted(second, credential, key_id, revocation_id, state_dir)
    stopped(second)


def test_the_development_credential_survives_a_restart_and_is_printed_again(restarted: Restarted) -> None:
    assert Development.printed_by(restarted.runner) == restarted.before
    assert call(restarted.runner, "GET", KEYS, authorization=restarted.before.bearer)[0] == 200


def test_the_development_credential_is_kept_readable_by_its_owner_only(restarted: Restarted) -> None:
    kept = restarted.state_dir / "credential.json"
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    assert restarted.before.secret in restarted.runner.output  # printed at each start, as the README says


def test_a_key_survives_a_restart(restarted: Restarted) -> None:
    status, _, body = call(restarted.runner, "GET", f"{KEYS}/{restarted.key_id}", authorization=restarted.before.bearer)
    assert (status, json.loads(body)["data"]["signingKeyId"]) == (200, restarted.key_id)


def test_a_revocation_survives_a_restart(restarted: Restarted) -> None:
    status, _, body = call(restarted.runner, "GET", "/revocations", authorization=restarted.before.bearer)
    assert status == 200
    assert [entry["id"] for entry in json.loads(body)["revocations"]] == [restarted.revocation_id]


def test_the_audit_trail_survives_a_restart(restarted: Restarted) -> None:
    status, _, body = call(restarted.runner, "GET", "/audit-events", authorization=restarted.before.bearer)
    assert status == 200
    listed = json.dumps(json.loads(body))
    assert "key.create" in listed and restarted.key_id in listed
    assert "revocation.create" in listed and restarted.revocation_id in listed


def test_reads_are_never_written_to_the_journal(restarted: Restarted) -> None:
    # Given the journal as the restart compacted it
    journal = restarted.state_dir / JOURNAL
    size = journal.stat().st_size
    # When keys, revocations and the audit trail are read
    for path in (KEYS, f"{KEYS}/{restarted.key_id}", "/revocations", "/audit-events"):
        assert call(restarted.runner, "GET", path, authorization=restarted.before.bearer)[0] == 200
    # Then the journal did not grow
    assert journal.stat().st_size == size


def test_a_runner_serving_the_edge_restarts_with_its_keys_and_plays_the_sample_again(
    tmp_path: Path, media_dir: Path
) -> None:
    # Given a runner as `make run` starts it (the edge on, serving the sample), with a key of its credential's,
    # stopped after its edge sync has read the table's stream and the edge made its secret
    first = start_runner("--media-dir", str(media_dir), state_dir=tmp_path)
    credential = Development.printed_by(first)
    key_id = create_key(first, credential)
    first.wait_for_line(lambda line: "/demo?workspace=dev&media=sample&token=" in line)
    stopped(first)
    # When it starts again on the same state directory
    second = start_runner("--media-dir", str(media_dir), state_dir=tmp_path)
    try:
        # Then the key is there, and the sample's manifest arrives again through the exchange and the edge
        assert call(second, "GET", f"{KEYS}/{key_id}", authorization=credential.bearer)[0] == 200
        player = second.wait_for_line(lambda line: "/demo?workspace=dev&media=sample&token=" in line).strip()
        token = player.split("token=", 1)[1]
        status, headers, body = call(second, "GET", f"/workspaces/dev/play/sample/index.m3u8?token={token}")
        assert (status, headers["Content-Type"]) == (200, "application/vnd.apple.mpegurl"), body
        assert body.startswith(b"#EXTM3U")
        # And only DynamoDB's own writes were written down (not the stream's reads, nor the edge's secret)
        journal = (tmp_path / JOURNAL).read_text().splitlines()
        assert {json.loads(line)["target"].split(".")[0] for line in journal} == {"DynamoDB_20120810"}
    finally:
        stopped(second)


def test_interrupting_the_runner_again_while_it_stops_lets_it_stop_cleanly(tmp_path: Path, media_dir: Path) -> None:
    # Given a runner with the edge on (its teardown stops the edge host too)
    runner = start_runner("--media-dir", str(media_dir), state_dir=tmp_path)
    # When it is told to stop, and told again and again while it stops (an impatient Ctrl-C)
    runner.process.terminate()
    while runner.process.poll() is None:
        runner.process.terminate()
        time.sleep(0.01)
    # Then it finishes stopping: exit status 0, and no traceback from it or from a container it was starting
    assert runner.process.wait(timeout=20) == 0
    assert runner.output_ended.wait(timeout=20)  # the containers write to the same output, and leave after it
    assert "Traceback" not in runner.output
    assert runner.wait_for_line(lambda line: line.strip() == "stopped")


# -- starting empty, and a journal cut short ----------------------------------------------------------------
def test_fresh_starts_empty_with_a_new_credential(tmp_path: Path) -> None:
    # Given a state directory holding a key
    first = start_runner(state_dir=tmp_path)
    old = Development.printed_by(first)
    create_key(first, old)
    stopped(first)
    # When the runner starts on it with --fresh
    fresh = start_runner("--fresh", state_dir=tmp_path)
    try:
        new = Development.printed_by(fresh)
        # Then the old credential is gone, and the new one's workspace has no key
        assert new != old
        assert call(fresh, "GET", KEYS, authorization=old.bearer)[0] == 401
        status, _, body = call(fresh, "GET", KEYS, authorization=new.bearer)
        assert (status, json.loads(body)["data"]) == (200, [])
    finally:
        stopped(fresh)


def test_a_partial_last_journal_line_is_ignored(tmp_path: Path) -> None:
    # Given a state directory holding a key, whose journal ends in half a line (a crash mid-write)
    first = start_runner(state_dir=tmp_path)
    credential = Development.printed_by(first)
    key_id = create_key(first, credential)
    stopped(first)
    with (tmp_path / JOURNAL).open("a", encoding="utf-8") as journal:
        journal.write('{"target":"DynamoDB_20120810.PutItem","region":"us-ea')
    # When the runner starts on it
    second = start_runner(state_dir=tmp_path)
    try:
        # Then it says so, and everything before the cut is there
        assert "ignored 1 unreadable line(s)" in second.output
        assert call(second, "GET", f"{KEYS}/{key_id}", authorization=credential.bearer)[0] == 200
    finally:
        stopped(second)


def test_a_state_directory_in_use_by_another_runner_is_refused(tmp_path: Path) -> None:
    running = start_runner(state_dir=tmp_path)
    try:
        command = runner_command("start-api", "--port", str(free_port()), "--state-dir", str(tmp_path))
        result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)
        assert result.returncode == 2
        assert f"{tmp_path} is in use by another runner" in result.stderr
    finally:
        stopped(running)


# -- the DynamoDB a user points tools at --------------------------------------------------------------------
def test_the_embedded_dynamodb_listens_on_the_port_given_and_says_so() -> None:
    port = free_port()
    runner = start_runner("--dynamodb-port", str(port))
    try:
        assert embedded_endpoint(runner) == f"http://127.0.0.1:{port}"
        client = boto3.client(
            "dynamodb",
            endpoint_url=f"http://127.0.0.1:{port}",
            region_name="us-east-1",
            aws_access_key_id="any",
            aws_secret_access_key="any",
        )
        assert TABLE in client.list_tables()["TableNames"]
    finally:
        stopped(runner)


def test_a_taken_dynamodb_port_fails_fast_with_a_clear_message() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        command = runner_command("start-api", "--port", str(free_port()), "--in-memory", "--dynamodb-port", str(port))
        result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 2
    assert f"port {port} is already in use; choose another with --dynamodb-port" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_dynamodb_on_this_machine_needs_no_aws_credentials(runner: Runner) -> None:
    # Given a shell without AWS configuration, and a DynamoDB on this machine (another runner's)
    # When a runner starts on that endpoint
    second = start_runner("--dynamodb-endpoint", embedded_endpoint(runner), env=user_environment())
    try:
        # Then it created its credential there and serves with it
        assert call(second, "GET", KEYS, authorization=Development.printed_by(second).bearer)[0] == 200
    finally:
        stopped(second)
