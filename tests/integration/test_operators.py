"""The operator's side through the runner as a user starts it, with the admin commands run as a user runs them
(a separate process, no AWS configuration) against its embedded DynamoDB: the README's operator section as
written, read-only credentials on every route, rotation, and the audit trail."""

from __future__ import annotations

import base64
import json
import os
import re
import shlex
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest

from signing_keys import routes
from signing_keys.routes import Auth, Dialect
from tests.conftest import ROOT
from tests.integration.conftest import Runner, call, embedded_endpoint, start_runner

TABLE = "signing-keys-local-KeysTable"
ADMIN = [sys.executable, "-m", "signing_keys_tools.admin"]
_PARAMETER = re.compile(r"\{([A-Za-z][A-Za-z0-9]*)\}")


@pytest.fixture(scope="module")
def operated() -> Iterator[Runner]:
    """A runner whose credential changes show on the next request (no authorizer cache), as the README runs it."""
    started = start_runner("--quiet", "--parameter-overrides", "AuthorizerCacheTtlSeconds=0", "KeyCacheMillis=0")
    yield started
    assert started.stop() == 0


def user_environment() -> dict[str, str]:
    """A shell without AWS configuration: what `make run`'s user has when trying the local runner."""
    return {name: value for name, value in os.environ.items() if not name.startswith("AWS_") and name != "TABLE_NAME"}


def admin(runner: Runner, *args: str) -> str:
    """Run an admin command against the runner's embedded DynamoDB; its standard output."""
    database = ["--table", TABLE, "--endpoint-url", embedded_endpoint(runner)]
    done = subprocess.run(
        [*ADMIN, *args, *database], cwd=ROOT, env=user_environment(), capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def issued(runner: Runner, workspace: str, *args: str) -> dict[str, str]:
    created: dict[str, str] = json.loads(admin(runner, "create-credential", "--workspace", workspace, "--json", *args))
    return created


def basic(token_id: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{token_id}:{secret}".encode()).decode()


def lists_keys(runner: Runner, credential: dict[str, str], secret: str | None = None) -> int:
    status, _, _ = call(
        runner, "GET", "/iam/signing-keys", authorization=basic(credential["tokenId"], secret or credential["secret"])
    )
    return status


# -- the README's operator section, as written ---------------------------------------------------------------
def readme_operator_block() -> list[str]:
    """The command lines of the first `sh` block under "## Operate it", without their comments."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## Operate it", 1)[1].split("\n## ", 1)[0]
    block = section.split("```sh\n", 1)[1].split("```", 1)[0]
    return [re.sub(r"\s+#\s.*$", "", line).strip() for line in block.splitlines() if line.strip()]


class ReadmeSession:
    """Plays the README's block like a user at a shell: variables, placeholders filled with what came before."""

    def __init__(self, runner: Runner) -> None:
        self.runner = runner
        self.variables: dict[str, str] = {}
        self.token_id = ""
        self.secrets: list[str] = []  # every secret printed, oldest first

    def fill(self, line: str) -> str:
        for name, value in self.variables.items():
            line = line.replace(f"${name}", value)
        port = embedded_endpoint(self.runner).rsplit(":", 1)[1]
        return (
            line.replace(".venv/bin/python", sys.executable)
            .replace("<port>", port)
            .replace("<token id>", self.token_id)
            .replace("<secret>", self.secrets[-1] if self.secrets else "")
            .replace("http://127.0.0.1:3000", self.runner.url)
        )

    def run(self, line: str) -> tuple[list[str], str]:
        """Run one line; (its words, its output)."""
        name, equals, value = line.partition("=")
        if equals and re.fullmatch(r"[A-Z_]+", name):
            self.variables[name] = shlex.split(value)[0]
            return [], ""
        words = shlex.split(self.fill(line))
        if words[0] == "curl":
            user, url = words[words.index("-u") + 1], words[-1]
            token_id, _, secret = user.partition(":")
            status, _, body = call(
                self.runner, "GET", url.removeprefix(self.runner.url), authorization=basic(token_id, secret)
            )
            assert status == 200, body
            return words, body.decode()
        done = subprocess.run(words, cwd=ROOT, env=user_environment(), capture_output=True, text=True, check=False)
        assert done.returncode == 0, f"{line}\n{done.stderr}"
        printed = dict(re.findall(r"^(token id|secret):\s+(\S+)$", done.stdout, re.MULTILINE))
        if printed:
            self.token_id = printed["token id"]
            self.secrets.append(printed["secret"])
        return words, done.stdout


def test_the_readme_operator_section_works_as_written(operated: Runner) -> None:
    # Given the runner started as the README says (make run's own start is the fixture's), and the README's block
    session = ReadmeSession(operated)
    lines = readme_operator_block()
    assert lines[0].startswith("make run") and "AuthorizerCacheTtlSeconds=0" in lines[0]
    outputs: dict[str, str] = {}
    # When each line runs in turn, Then each does what its comment says
    for line in lines[1:]:
        words, output = session.run(line)
        step = "curl" if words[:1] == ["curl"] else words[3] if words else ""
        outputs[step] = output
        reader = {"tokenId": session.token_id, "secret": session.secrets[-1] if session.secrets else ""}
        if step == "create-credential":
            # a read credential: lists keys, may not create one (403 in the Livepeer shape)
            assert lists_keys(operated, reader) == 200
            status, _, body = call(
                operated, "POST", "/access-control/signing-key", authorization=f"Bearer {reader['secret']}"
            )
            assert (status, list(json.loads(body))) == (403, ["errors"])
        elif step == "list-credentials":
            assert re.search(rf"^{re.escape(session.token_id)}\s+read\s+active\s", output, re.MULTILINE), output
        elif step == "rotate-credential":
            # the old secret works through its grace period, the new one at once
            assert [lists_keys(operated, reader, secret) for secret in session.secrets] == [200, 200]
        elif step == "disable-credential":
            assert [lists_keys(operated, reader, secret) for secret in session.secrets] == [401, 401]
        elif step == "enable-credential":
            assert [lists_keys(operated, reader, secret) for secret in session.secrets] == [200, 200]
    # And the trail, through the CLI and the route, shows the credential's changes newest first
    expected = ["credential.enable", "credential.disable", "credential.rotate", "credential.create"]
    assert re.findall(r"credential\.\w+", outputs["audit"])[:4] == expected
    assert [event["action"] for event in json.loads(outputs["curl"])["auditEvents"]][:4] == expected
    # And no secret was printed twice: only create and rotate print one
    for step in ("list-credentials", "audit", "curl"):
        assert not [secret for secret in session.secrets if secret in outputs[step]]


# -- read-only credentials, once through the runner ----------------------------------------------------------
# A body each method's routes accept where one is needed: a rename, and the token debugger's question (POSTs that
# write are refused before their body is read).
BODIES = {"PATCH": {"name": "renamed"}, "POST": {"token": "not.a.token", "mediaId": "movie-42"}}


def test_a_read_credential_is_refused_every_write_and_answered_every_read(operated: Runner) -> None:
    # Given a workspace with a key, and a read credential of it issued by the admin command
    writer, reader = issued(operated, "ops-scope"), issued(operated, "ops-scope", "--scope", "read")
    _, _, body = call(operated, "POST", "/access-control/signing-key", authorization=f"Bearer {writer['secret']}")
    key_id = json.loads(body)["id"]
    answers: dict[str, tuple[int, set[str]]] = {}
    # When the reader calls every management route of the route table
    for route in routes.guarded_by(Auth.MANAGEMENT):
        path = _PARAMETER.sub(lambda found: key_id if found.group(1) in routes.KEY_ID_PARAMETERS else "x", route.path)
        payload = json.dumps(BODIES[route.method]).encode() if route.method in BODIES else None
        status, _, answer = call(
            operated, route.method, path, authorization=basic(reader["tokenId"], reader["secret"]), body=payload
        )
        document = json.loads(answer) if answer else None
        answers[f"{route.method} {route.path}"] = (status, set(document) if isinstance(document, dict) else set())
    # Then every write is a 403 in its dialect's shape, and every read a 200
    expected_shape = {
        Dialect.FASTPIX: {"success", "error"},
        Dialect.LIVEPEER: {"errors"},
        Dialect.NEUTRAL: {"success", "error", "errors"},
    }
    for route in routes.guarded_by(Auth.MANAGEMENT):
        status, shape = answers[f"{route.method} {route.path}"]
        if route.writes:
            assert (status, shape) == (403, expected_shape[route.dialect]), route
        else:
            assert status == 200, route


# -- rotation, through the runner ----------------------------------------------------------------------------
def test_a_secret_rotated_out_without_grace_is_refused_on_the_next_request(operated: Runner) -> None:
    # Given a credential in use
    old = issued(operated, "ops-rotate")
    assert lists_keys(operated, old) == 200
    # When it is rotated without a grace period
    new: dict[str, Any] = json.loads(
        admin(operated, "rotate-credential", "--workspace", "ops-rotate", "--token-id", old["tokenId"], "--json")
    )
    # Then the old secret is refused at once, the new one accepted, under the same token id
    assert new["tokenId"] == old["tokenId"]
    assert lists_keys(operated, old) == 401
    assert lists_keys(operated, old, new["secret"]) == 200


# -- the audit trail, through the runner ---------------------------------------------------------------------
def test_the_audit_command_lists_key_changes_newest_first_and_only_its_workspaces(operated: Runner) -> None:
    # Given a key created, renamed and deleted through the API
    writer = issued(operated, "ops-audit")
    bearer = f"Bearer {writer['secret']}"
    _, _, body = call(operated, "POST", "/access-control/signing-key", authorization=bearer)
    key_id = json.loads(body)["id"]
    call(operated, "PATCH", f"/access-control/signing-key/{key_id}", authorization=bearer, body=b'{"name": "n"}')
    call(operated, "DELETE", f"/access-control/signing-key/{key_id}", authorization=bearer)
    # When the operator lists the workspace's trail, and another workspace's
    events = json.loads(admin(operated, "audit", "--workspace", "ops-audit", "--json"))["auditEvents"]
    elsewhere = json.loads(admin(operated, "audit", "--workspace", "ops-elsewhere", "--json"))["auditEvents"]
    # Then the changes come newest first, each naming the credential and where the request came from
    assert [(e["action"], e.get("keyId")) for e in events] == [
        ("key.delete", key_id),
        ("key.update", key_id),
        ("key.create", key_id),
        ("credential.create", None),
    ]
    assert {(e["tokenId"], e["sourceIp"]) for e in events[:3]} == {(writer["tokenId"], "127.0.0.1")}
    # And another workspace sees none of them
    assert elsewhere == []
