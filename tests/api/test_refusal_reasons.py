"""Every refusal says why: the mistakes developers make when they first sign playback tokens each get the right
reason, in the body and in the `X-Refusal-Reason` header, and `POST /tokens/verify` gives the key's owner the same
verdict without changing anything (a single-use token stays usable, lastSeen unwritten)."""

from __future__ import annotations

import base64
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import jwt
import pytest

from tests.support import LocalApi, Reply, basic, bearer

MEDIA = "movie-42"
DAY = 86_400


@dataclass
class Workspace:
    api: LocalApi
    credential: Any
    key_id: str
    private_pem: bytes

    def token(self, claims: dict[str, Any], *, kid: str | None = None) -> str:
        return jwt.encode(claims, self.private_pem, algorithm="ES256", headers={"kid": kid or self.key_id})

    def play(self, token: str, workspace: str = "ws-a", media: str = MEDIA) -> Reply:
        return self.api.request("GET", f"/workspaces/{workspace}/playback/{media}", query={"token": token})

    def explain(self, token: str, media: str = MEDIA) -> Any:
        reply = self.api.request(
            "POST", "/tokens/verify", authorization=basic(self.credential), body={"token": token, "mediaId": media}
        )
        assert reply.status == 200, reply.body
        return reply.json()


@pytest.fixture
def ws(api: LocalApi) -> Workspace:
    credential = api.credential("ws-a")
    created = api.request("POST", "/access-control/signing-key", authorization=bearer(credential)).json()
    return Workspace(api, credential, created["id"], base64.b64decode(created["privateKey"]))


def fresh(**claims: Any) -> dict[str, Any]:
    now = int(time.time())
    return {"sub": MEDIA, "iat": now, "exp": now + 300, **claims}


def disable(ws: Workspace) -> None:
    reply = ws.api.request(
        "PATCH",
        f"/access-control/signing-key/{ws.key_id}",
        authorization=bearer(ws.credential),
        body={"disabled": True},
    )
    assert reply.status == 204


def revoke_jti(ws: Workspace) -> None:
    reply = ws.api.request("POST", "/revocations", authorization=bearer(ws.credential), body={"jti": "order-1"})
    assert reply.status == 201


Setup = Callable[[Workspace], None]


def nothing(_: Workspace) -> None:
    return None


# mistake → (claims, kid override, workspace in the URL, what to do first, expected status and reason)
MISTAKES: dict[str, tuple[Callable[[], dict[str, Any]], str | None, str, Setup, int, str]] = {
    "a float exp": (lambda: fresh(exp=int(time.time()) + 300.5), None, "ws-a", nothing, 401, "invalid_claims"),
    "an exp in milliseconds": (
        lambda: fresh(exp=int(time.time() * 1000) + 300_000),
        None,
        "ws-a",
        nothing,
        401,
        "invalid_claims",
    ),
    "a 335-day lifetime": (
        lambda: fresh(exp=int(time.time()) + 335 * DAY),
        None,
        "ws-a",
        nothing,
        401,
        "lifetime_too_long",
    ),
    "an aud without the media: prefix": (
        lambda: fresh(sub=None, aud=MEDIA),
        None,
        "ws-a",
        nothing,
        403,
        "wrong_media",
    ),
    "another workspace in the URL": (fresh, None, "ws-b", nothing, 401, "unknown_key"),
    "a kid typo": (fresh, "00000000-0000-8000-8000-000000000000", "ws-a", nothing, 401, "unknown_key"),
    "a disabled key": (fresh, None, "ws-a", disable, 403, "disabled_key"),
    "a revoked jti": (lambda: fresh(jti="order-1"), None, "ws-a", revoke_jti, 403, "jti_revoked"),
    "an expired token": (
        lambda: fresh(iat=int(time.time()) - 900, exp=int(time.time()) - 600),
        None,
        "ws-a",
        nothing,
        401,
        "expired",
    ),
}


def without_nones(claims: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in claims.items() if value is not None}


@pytest.mark.parametrize("mistake", sorted(MISTAKES))
def test_each_mistake_is_refused_with_its_reason_in_the_body_and_a_header(ws: Workspace, mistake: str) -> None:
    # Given a token with a typical first-day mistake
    claims, kid, workspace, setup, status, reason = MISTAKES[mistake]
    setup(ws)
    token = ws.token(without_nones(claims()), kid=kid)
    # When a viewer presents it
    reply = ws.play(token, workspace=workspace)
    # Then the refusal names the reason, in the body (both places) and in the header, with a message
    assert reply.status == status, reply.body
    body = reply.json()
    assert (body["reason"], body["error"]["reason"], body["error"]["code"]) == (reason, reason, status)
    assert reply.headers["x-refusal-reason"] == reason
    assert body["error"]["message"] and body["errors"] == [body["error"]["message"]]


@pytest.mark.parametrize("mistake", sorted(MISTAKES))
def test_the_token_debugger_gives_the_verdict_playback_gives(ws: Workspace, mistake: str) -> None:
    # Given the same token, presented to playback at the URL of the mistake
    claims, kid, workspace, setup, _, _ = MISTAKES[mistake]
    setup(ws)
    token = ws.token(without_nones(claims()), kid=kid)
    played = ws.play(token, workspace=workspace)
    # When its owner asks the debugger (which judges it for the credential's own workspace, ws-a)
    explained = ws.explain(token)
    # Then the verdict is what playback answers in ws-a: the refusal when the mistake is in the token, a play when
    # the mistake was only the URL's workspace
    in_ws_a = played if workspace == "ws-a" else ws.play(token)
    expected_reason = in_ws_a.json().get("reason") if in_ws_a.status != 200 else None
    assert (explained["verdict"]["status"], explained["verdict"]["reason"]) == (in_ws_a.status, expected_reason)
    failed = [check for check in explained["checks"] if check["result"] == "failed"]
    assert [check["reason"] for check in failed] == ([] if expected_reason is None else [expected_reason])


def test_the_debugger_reports_every_stage_in_order_and_the_claims_of_a_token_that_plays(ws: Workspace) -> None:
    claims = fresh()
    explained = ws.explain(ws.token(claims))
    assert explained["verdict"] == {"status": 200, "reason": None, "message": "the token plays this media"}
    assert [check["stage"] for check in explained["checks"]] == [
        "screen", "key", "signature", "times", "media", "policy", "revocations", "spend"
    ]  # fmt: skip
    assert {check["result"] for check in explained["checks"]} == {"passed"}
    assert (explained["keyId"], explained["claims"]) == (ws.key_id, claims)


def test_explaining_a_single_use_token_leaves_it_usable(ws: Workspace) -> None:
    # Given a single-use token
    token = ws.token(fresh(jti="once-1", single_use=True))
    # When its owner explains it twice, Then both say it would play
    assert ws.explain(token)["verdict"]["status"] == 200
    assert ws.explain(token)["verdict"]["status"] == 200
    # And the viewer can still use it once; the debugger then says it was used
    assert ws.play(token).status == 200
    assert ws.play(token).json()["reason"] == "single_use_replayed"
    assert ws.explain(token)["verdict"]["reason"] == "single_use_replayed"


def test_explaining_a_token_never_writes_last_seen(ws: Workspace) -> None:
    ws.explain(ws.token(fresh()))
    (key,) = ws.api.key_items("ws-a")
    assert "lastSeen" not in key
    # while playing it does
    ws.play(ws.token(fresh()))
    (key,) = ws.api.key_items("ws-a")
    assert "lastSeen" in key


def test_a_missing_token_is_refused_saying_where_a_token_goes(api: LocalApi) -> None:
    reply = api.request("GET", f"/workspaces/ws-a/playback/{MEDIA}")
    assert reply.status == 401
    assert reply.json()["reason"] == "missing_token"
    assert "?token=" in reply.json()["error"]["message"]


def test_a_refusal_never_names_what_another_workspace_holds(ws: Workspace) -> None:
    # Given ws-a's token presented at ws-b, which has keys of its own
    other = ws.api.credential("ws-b")
    ws.api.request("POST", "/access-control/signing-key", authorization=bearer(other))
    reply = ws.play(ws.token(fresh()), workspace="ws-b")
    # Then the refusal speaks of ws-b alone: the key is simply none of ws-b's
    message = reply.json()["error"]["message"]
    assert "ws-b" in message
    assert "ws-a" not in message
