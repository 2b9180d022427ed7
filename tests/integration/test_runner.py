"""The runner over real HTTP: routing, the authorizer, gateway responses, concurrency, lifecycle."""

from __future__ import annotations

import base64
import http.client
import json
import socket
import subprocess
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import jwt
import pytest

from tests.conftest import ROOT, SECRET_MARKERS
from tests.integration.conftest import (
    CREDENTIAL,
    RACE_WORKSPACES,
    Runner,
    call,
    counter,
    free_port,
    runner_command,
    start_runner,
)

WORKSPACE, TOKEN_ID, SECRET = CREDENTIAL


def basic(token_id: str = TOKEN_ID, secret: str = SECRET) -> str:
    return "Basic " + base64.b64encode(f"{token_id}:{secret}".encode()).decode()


def test_create_get_list_delete_over_http(runner: Runner) -> None:
    status, headers, body = call(runner, "POST", "/iam/signing-keys", authorization=basic())
    assert status == 201
    assert headers["Content-Type"] == "application/json"
    key_id = json.loads(body)["data"]["id"]
    status, _, body = call(runner, "GET", f"/iam/signing-keys/{key_id}", authorization=basic())
    assert (status, json.loads(body)["data"]["signingKeyId"]) == (200, key_id)
    status, _, body = call(runner, "GET", "/access-control/signing-key", authorization=f"Bearer {SECRET}")
    assert status == 200
    assert key_id in [k["id"] for k in json.loads(body)]
    assert call(runner, "DELETE", f"/iam/signing-keys/{key_id}", authorization=basic())[0] == 200
    assert call(runner, "DELETE", f"/iam/signing-keys/{key_id}", authorization=basic())[0] == 404


def test_missing_credential_gets_the_templates_401_body(runner: Runner) -> None:
    status, _, body = call(runner, "GET", "/iam/signing-keys")
    assert status == 401
    assert json.loads(body) == {
        "success": False,
        "error": {"code": 401, "message": "Unauthorized"},
        "errors": ["Unauthorized"],
    }


@pytest.mark.parametrize(
    ("method", "path", "meant"),
    [
        ("POST", "/iam/signing-key", "POST /iam/signing-keys"),
        ("GET", "/iam/signing-keys/some-id/extra", "GET /iam/signing-keys/{signingKeyId}"),
        ("DELETE", "/access-control/key/some-id", "DELETE /access-control/signing-key/{keyId}"),
        ("GET", "/", "GET /iam/signing-keys"),
    ],
    ids=["typo", "one segment too many", "wrong prefix", "root"],
)
def test_a_path_no_route_has_is_404_naming_the_nearest_route(
    runner: Runner, method: str, path: str, meant: str
) -> None:
    # When a path no route has is called (with or without a credential: the fallback needs none)
    status, _, body = call(runner, method, path, authorization=basic())
    # Then it is a 404 in both dialects' shape whose message names the route the caller most likely meant
    message = f"no route matches this path; did you mean {meant}?"
    assert (status, json.loads(body)) == (404, {"success": False, "error": {"code": 404, "message": message},
                                                "errors": [message]})  # fmt: skip


def test_a_trailing_slash_reaches_the_same_route_for_every_method(runner: Runner) -> None:
    # Given API Gateway's routing, which serves `/iam/signing-keys/` as the resource `/iam/signing-keys`
    # When keys are created, listed, read and deleted through paths ending in a slash
    status, _, body = call(runner, "POST", "/iam/signing-keys/", authorization=basic())
    assert status == 201, body  # the authorizer's policy allows the slash too (it once answered 403 here)
    key_id = json.loads(body)["data"]["id"]
    assert call(runner, "GET", "/iam/signing-keys/", authorization=basic())[0] == 200
    assert call(runner, "GET", f"/iam/signing-keys/{key_id}/", authorization=basic())[0] == 200
    # Then each answered as without the slash
    assert call(runner, "DELETE", f"/iam/signing-keys/{key_id}/", authorization=basic())[0] == 200
    assert call(runner, "GET", f"/iam/signing-keys/{key_id}", authorization=basic())[0] == 404


def test_oversize_request_is_413_from_the_gateway(runner: Runner) -> None:
    # Given a request announcing a body over API Gateway's 10 MB quota (sent headers-first, as clients stream)
    host, port = runner.url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    connection.putrequest("POST", "/iam/signing-keys")
    connection.putheader("Authorization", basic())
    connection.putheader("Content-Type", "application/json")
    connection.putheader("Content-Length", str(10 * 1024 * 1024 + 1))
    connection.endheaders()
    # When the gateway answers before reading it
    response = connection.getresponse()
    # Then it is the gateway's 413, and no handler ran
    assert response.status == 413
    assert json.loads(response.read()) == {
        "success": False,
        "error": {"code": 413, "message": "Request too large"},
        "errors": ["Request too large"],
    }
    connection.close()


@pytest.mark.parametrize("workspace", RACE_WORKSPACES)
def test_fifty_concurrent_creates_yield_exactly_the_limit(runner: Runner, workspace: str) -> None:
    # Given an empty workspace with KeyLimit=10
    authorization = basic(f"tok-{workspace}", f"secret-{workspace}")
    # When 50 clients create a key at the same moment
    with ThreadPoolExecutor(max_workers=50) as pool:
        statuses = list(
            pool.map(lambda _: call(runner, "POST", "/iam/signing-keys", authorization=authorization)[0], range(50))
        )
    # Then exactly 10 succeed, 40 hit the limit, and the counter equals the keys stored
    errors = [line for line in runner.lines if "unhandled error" in line]
    assert Counter(statuses) == {201: 10, 403: 40}, errors[-3:]
    assert counter(runner, workspace) == (10, 10)


def test_runner_logs_one_line_per_request_without_secrets(runner: Runner) -> None:
    already = len(runner.lines)
    call(runner, "GET", "/iam/signing-keys?limit=2&offset=1", authorization=basic())
    line = runner.wait_for_line(lambda text: text.startswith("GET /iam/signing-keys 200 "), after=already)
    assert line.strip().endswith("ms")
    assert "limit=" not in line
    logs = runner.output
    assert "signing key created" in logs
    assert SECRET not in logs
    for marker in SECRET_MARKERS:
        assert marker not in logs


def run_cli(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        runner_command(*args), cwd=ROOT, input=stdin, capture_output=True, text=True, timeout=120, check=False
    )


# -- lifecycle ----------------------------------------------------------------------------------------
def test_generated_credential_is_printed_and_works() -> None:
    runner = start_runner()
    try:
        token_id = next(line for line in runner.lines if line.strip().startswith("token id:")).split(":", 1)[1].strip()
        secret = next(line for line in runner.lines if line.strip().startswith("secret:")).split(":", 1)[1].strip()
        status, _, _ = call(runner, "GET", "/iam/signing-keys", authorization=basic(token_id, secret))
        assert status == 200
        assert f"{runner.url}/iam/signing-keys" in runner.output
    finally:
        assert runner.stop() == 0
    assert "stopped" in runner.output


def test_taken_port_fails_fast_with_a_clear_message() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_cli("start-api", "--port", str(port))
    assert result.returncode == 2
    assert f"port {port} on 127.0.0.1 is already in use" in result.stderr
    assert "Traceback" not in result.stderr


def test_invalid_template_fails_fast(tmp_path: Path) -> None:
    broken = tmp_path / "template.yaml"
    broken.write_text("Resources: [not, a, mapping]\n")
    result = run_cli("start-api", "-t", str(broken), "--port", str(free_port()))
    assert result.returncode == 2
    assert "has no Resources section" in result.stderr


def test_unknown_parameter_override_fails_fast() -> None:
    result = run_cli("start-api", "--port", str(free_port()), "--parameter-overrides", "KeyLimt=3")
    assert result.returncode == 2
    assert "unknown parameter(s) in overrides: KeyLimt" in result.stderr


# -- invoke ---------------------------------------------------------------------------------------------
EDGE = {"EdgeMediaBucketName": "local-media"}  # the edge's functions exist only with a media bucket


def function_for(event_file: Path) -> str:
    from signing_keys_local.template import Template

    return next(
        f.logical_id
        for f in Template(ROOT / "template.yaml", EDGE).functions().values()
        if f.code_uri.name == event_file.stem
    )


@pytest.mark.parametrize("event_file", sorted((ROOT / "events").glob("*.json")), ids=lambda p: p.stem)
def test_every_event_file_invokes_successfully(event_file: Path) -> None:
    overrides = [f"{name}={value}" for name, value in EDGE.items()]
    result = run_cli("invoke", function_for(event_file), "-e", str(event_file), "--parameter-overrides", *overrides)
    assert result.returncode == 0, result.stderr
    response: dict[str, Any] = json.loads(result.stdout)
    if event_file.stem == "rotate_edge_secret":
        assert response is None  # a rotation step returns nothing
    elif event_file.stem == "authorize_playback":
        # Its example token is expired by design: the authorizer's answer is API Gateway's 401.
        assert response == {"errorMessage": "Unauthorized", "errorType": "Exception"}
    elif event_file.stem in {"playback", "exchange"}:
        # The same token at the playback route: refused, saying why.
        assert (response["statusCode"], json.loads(response["body"])["reason"]) == (401, "bad_signature")
    elif event_file.stem == "method_not_allowed":
        assert (response["statusCode"], response["headers"]["Allow"]) == (405, "GET, POST")
    elif "policyDocument" in response:
        assert response["policyDocument"]["Statement"][0]["Effect"] == "Allow"
    elif event_file.stem in {"edge_sync", "sweep_edge"}:
        assert response in ({"puts": 1, "deletes": 0, "cuts": 0}, {"removed": 0})
    else:
        assert 200 <= response["statusCode"] < 300, response


def test_invoke_reads_the_event_from_stdin() -> None:
    event = (ROOT / "events" / "list_keys.json").read_text()
    result = run_cli("invoke", "ListKeysFunction", "--event", "-", stdin=event)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["statusCode"] == 200


# -- the README's playback round trip -----------------------------------------------------------------
def test_playback_round_trip_create_sign_play_disable_refused(runner: Runner, tmp_path: Path) -> None:
    # Given a key created over HTTP and its private key saved as the API returned it
    bearer = f"Bearer {SECRET}"
    status, _, body = call(runner, "POST", "/access-control/signing-key", authorization=bearer)
    assert status == 200
    key = json.loads(body)
    key_file = tmp_path / "key.b64"
    key_file.write_text(key["privateKey"])
    # When a token is minted with the helper and presented for the media
    minted = subprocess.run(
        [
            sys.executable,
            "-m",
            "signing_keys_tools.tokens",
            "sign",
            "--key",
            str(key_file),
            "--kid",
            key["id"],
            "--media",
            "movie-42",
            "--lifetime",
            "600",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    token = minted.stdout.strip()
    status, _, body = call(runner, "GET", f"/workspaces/{WORKSPACE}/playback/movie-42?token={token}")
    # Then it plays, and after the key is disabled the very next request is refused
    assert status == 200, body
    assert json.loads(body)["keyId"] == key["id"]
    disable = json.dumps({"disabled": True}).encode()
    assert (
        call(runner, "PATCH", f"/access-control/signing-key/{key['id']}", authorization=bearer, body=disable)[0] == 204
    )
    assert call(runner, "GET", f"/workspaces/{WORKSPACE}/playback/movie-42?token={token}")[0] == 403
    assert call(runner, "GET", f"/workspaces/{WORKSPACE}/playback/movie-42", authorization=f"Bearer {token}")[0] == 403
    assert token not in runner.output


def test_jwks_verifies_a_token_with_pyjwks_client(runner: Runner) -> None:
    status, _, body = call(runner, "POST", "/iam/signing-keys", authorization=basic())
    assert status == 201
    created = json.loads(body)["data"]
    token = jwt.encode(
        {"sub": "m", "exp": int(time.time()) + 60},
        base64.b64decode(created["privateKey"]),
        algorithm="RS256",
        headers={"kid": created["id"]},
    )
    client = jwt.PyJWKClient(f"{runner.url}/workspaces/{WORKSPACE}/jwks.json", cache_keys=False)
    signing_key = client.get_signing_key_from_jwt(token)
    assert jwt.decode(token, signing_key.key, algorithms=["RS256"])["sub"] == "m"
    call(runner, "DELETE", f"/iam/signing-keys/{created['id']}", authorization=basic())


def test_runner_serves_the_openapi_document_and_docs(runner: Runner) -> None:
    status, headers, body = call(runner, "GET", "/openapi.json")
    assert status == 200
    assert json.loads(body) == json.loads((ROOT / "openapi.json").read_text())
    status, headers, body = call(runner, "GET", "/docs")
    assert status == 200
    assert headers["Content-Type"].startswith("text/html")
    assert b"/openapi.json" in body
    assert call(runner, "GET", "/docs/swagger-ui.js")[0] == 200
