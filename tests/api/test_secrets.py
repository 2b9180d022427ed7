"""Private keys, credential secrets and tokens never reach a log line, an error body or the table."""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import jwt
import pytest

from signing_keys_local.examples import authorized, request
from tests.conftest import SECRET_MARKERS
from tests.support import ClientHooks, LocalApi, basic, bearer


def test_private_keys_and_secrets_never_reach_logs_or_table(api: LocalApi, capsys: pytest.CaptureFixture[str]) -> None:
    # Given a credential, used for every kind of request at DEBUG log level
    credential = api.credential("ws-a")
    fastpix = api.request("POST", "/iam/signing-keys", authorization=basic(credential)).json()["data"]
    livepeer = api.request("POST", "/access-control/signing-key", authorization=bearer(credential)).json()
    private_keys = [fastpix["privateKey"], livepeer["privateKey"]]
    api.request("GET", "/iam/signing-keys", authorization=basic(credential))
    api.request("GET", f"/iam/signing-keys/{fastpix['id']}", authorization=basic(credential))
    api.request(
        "PATCH",
        f"/access-control/signing-key/{livepeer['id']}",
        authorization=bearer(credential),
        body={"name": "renamed"},
    )
    rotate = f"/access-control/signing-key/{livepeer['id']}/rotate"
    rotated = api.request("POST", rotate, authorization=bearer(credential), body={"overlapSeconds": 600}).json()
    private_keys.append(rotated["privateKey"])
    api.request("DELETE", f"/iam/signing-keys/{fastpix['id']}", authorization=basic(credential))
    api.request("GET", "/iam/signing-keys", authorization=f"Bearer {credential.secret}-wrong")
    now = int(time.time())
    token = jwt.encode(
        {"sub": "m", "iat": now, "exp": now + 60},
        base64.b64decode(livepeer["privateKey"]),
        "ES256",
        headers={"kid": livepeer["id"]},
    )
    bodies = [
        api.request("GET", "/workspaces/ws-a/playback/m", query={"token": token}).body,
        api.request("GET", "/workspaces/ws-a/playback/other", query={"token": token}).body,
        api.request("GET", "/workspaces/ws-a/playback/m", authorization=f"Bearer {token[:-5]}").body,
        api.request("GET", "/workspaces/ws-a/jwks.json").body,
        api.request("PUT", "/iam/signing-keys", authorization=basic(credential)).body,
        api.request(
            "POST", "/iam/signing-keys", authorization=basic(credential), body={"publicKey": private_keys[0]}
        ).body,
        api.request("POST", rotate, authorization=bearer(credential), body={"publicKey": private_keys[2]}).body,
    ]
    # When the logs and the table are read
    captured = capsys.readouterr()
    logs = captured.out + captured.err
    table = json.dumps(api.table_items())
    # Then the logs are there, but carry no key material, secret or token
    assert "signing key created" in logs
    for text in (logs, table, b"".join(bodies).decode()):
        assert "PRIVATE KEY" not in text
        assert credential.secret not in text
        for private_key in private_keys:
            assert private_key[30:90] not in text
            assert base64.b64decode(private_key).decode()[40:100] not in text
    assert token not in logs and token.split(".")[2] not in logs
    for marker in SECRET_MARKERS:
        assert marker not in logs


@pytest.fixture
def failing_reads(client_hooks: ClientHooks) -> str:
    """GetItem fails with an unexpected exception whose message holds something secret-looking."""
    message = "boom LS0tLS1CRUdJTi canary"

    def explode(**_: Any) -> None:
        raise RuntimeError(message)

    client_hooks.register("before-call.dynamodb.GetItem", explode)
    return message


def test_unexpected_failure_is_a_500_in_the_dialect_shape_without_its_message(
    api: LocalApi, failing_reads: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given a handler whose store fails unexpectedly (the authorizer is bypassed: it reads the table too)
    path = "/iam/signing-keys/00000000-0000-8000-8000-000000000000"
    event = authorized(
        request(
            "GET", path, "/iam/signing-keys/{signingKeyId}", path_parameters={"signingKeyId": path.rsplit("/", 1)[1]}
        )
    )
    # When it is invoked
    response = api.invoke("GetKeyFunction", event)
    # Then the caller gets a FastPix-shaped 500 and neither the body nor the log carries the message
    assert response["statusCode"] == 500
    assert json.loads(response["body"]) == {"success": False, "error": {"code": 500, "message": "internal error"}}
    logs = capsys.readouterr().out
    assert "unhandled error" in logs
    assert "RuntimeError" in logs
    assert "canary" not in logs
