"""The exchange through the gateway emulator: a viewer's JWT, verified as on the playback route, becomes a 302 to
the media's tokenized edge URL, never cached, with CORS for players on other origins; every refusal says why, and
a single-use JWT is spent only by an exchange that redirects."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import boto3
import jwt
import pytest

from signing_keys import edge_tokens
from signing_keys.key_ids import revocation_id_for
from tests.api.conftest import ApiFactory
from tests.support import LocalApi, Reply, bearer

MEDIA = "sample"
SECRET = "s" * 64


@dataclass
class Edge:
    api: LocalApi
    credential: Any
    key_id: str
    private_pem: bytes
    secret_id: str

    def token(self, **claims: Any) -> str:
        now = int(time.time())
        body = {"sub": MEDIA, "iat": now, "exp": now + 600, **claims}
        return jwt.encode(body, self.private_pem, algorithm="ES256", headers={"kid": self.key_id})

    def play(self, token: str | None, path: str = "index.m3u8", media: str = MEDIA, **headers: str) -> Reply:
        query = {} if token is None else {"token": token}
        return self.api.request("GET", f"/workspaces/ws-a/play/{media}/{path}", query=query, headers=headers)


def create_key(api: LocalApi, credential: Any) -> tuple[str, bytes]:
    created = api.request("POST", "/access-control/signing-key", authorization=bearer(credential)).json()
    return created["id"], base64.b64decode(created["privateKey"])


@pytest.fixture
def edge(make_api: ApiFactory) -> Edge:
    api = make_api(EdgeMediaBucketName="media-bucket", AllowedOrigins="https://player.example,https://other.example")
    secret = boto3.client("secretsmanager").create_secret(Name="signing-keys-local-EdgeSecret", SecretString=SECRET)
    credential = api.credential("ws-a")
    key_id, private_pem = create_key(api, credential)
    return Edge(api, credential, key_id, private_pem, secret["VersionId"])


def edge_token(location: str) -> tuple[list[str], str]:
    """The path segments of a Location, and its edge token."""
    segments = urlsplit(location).path.split("/")
    return segments, segments[4]


def test_a_valid_token_is_redirected_to_its_tokenized_edge_url_never_cached(edge: Edge) -> None:
    # Given a viewer's token for the sample
    reply = edge.play(edge.token(), path="720p/index.m3u8")
    # Then the answer is a redirect under /m/<ws>/<media>/<edge token>/, the path kept, never cached
    assert reply.status == 302, reply.body
    assert reply.headers["cache-control"] == "no-store"
    segments, token = edge_token(reply.headers["location"])
    assert segments[:4] == ["", "m", "ws-a", MEDIA]
    assert segments[5:] == ["720p", "index.m3u8"]
    assert "token=" not in reply.headers["location"]  # the viewer's JWT never travels on
    # And the edge token names the key and the secret version, signed over the workspace and the media
    session = edge_tokens.parse(token)
    assert session is not None
    assert (session.key_id, session.secret_id) == (edge.key_id, edge.secret_id)
    assert edge_tokens.mint(session, workspace_id="ws-a", media_id=MEDIA, secret=SECRET) == token


def test_the_session_ends_with_the_jwt_and_names_its_revocation_ids(edge: Edge) -> None:
    now = int(time.time())
    token = edge.token(iat=now, exp=now + 120, jti="order-1", viewer="viewer-7")
    session = edge_tokens.parse(edge_token(edge.play(token).headers["location"])[1])
    assert session is not None
    assert (session.expires_at, session.issued_at) == (now + 120, now)
    assert session.jti_revocation_id == revocation_id_for("ws-a", "jti", "order-1")
    assert session.viewer_revocation_id == revocation_id_for("ws-a", "viewer", "viewer-7")
    assert now - 5 <= session.started_at <= int(time.time())


def test_the_session_ends_with_the_keys_expiry_when_that_is_sooner(edge: Edge) -> None:
    expires_ms = int(time.time() * 1000) + 60_000
    reply = edge.api.request(
        "PATCH",
        f"/access-control/signing-key/{edge.key_id}",
        authorization=bearer(edge.credential),
        body={"expiresAt": expires_ms},
    )
    assert reply.status == 204
    session = edge_tokens.parse(edge_token(edge.play(edge.token()).headers["location"])[1])
    assert session is not None and session.expires_at == expires_ms // 1000


def test_the_session_lasts_at_most_edge_session_seconds(make_api: ApiFactory) -> None:
    api = make_api(EdgeMediaBucketName="media-bucket", EdgeSessionSeconds="300")
    boto3.client("secretsmanager").create_secret(Name="signing-keys-local-EdgeSecret", SecretString=SECRET)
    credential = api.credential("ws-a")
    key_id, private_pem = create_key(api, credential)
    now = int(time.time())
    token = jwt.encode(
        {"sub": MEDIA, "iat": now, "exp": now + 3600}, private_pem, algorithm="ES256", headers={"kid": key_id}
    )
    reply = api.request("GET", f"/workspaces/ws-a/play/{MEDIA}/index.m3u8", query={"token": token})
    session = edge_tokens.parse(edge_token(reply.headers["location"])[1])
    assert session is not None and session.expires_at <= int(time.time()) + 300


@pytest.mark.parametrize(
    ("make", "status", "reason"),
    [
        (lambda e: None, 401, "missing_token"),
        (lambda e: e.token(sub="another-media"), 403, "wrong_media"),
        (lambda e: e.token(exp=int(time.time()) - 600, iat=int(time.time()) - 900), 401, "expired"),
        (lambda e: e.token()[:-4] + "AAAA", 401, "bad_signature"),
    ],
    ids=["no token", "another media", "expired", "tampered"],
)
def test_a_refused_token_is_answered_with_its_reason_as_on_the_playback_route(
    edge: Edge, make: Any, status: int, reason: str
) -> None:
    reply = edge.play(make(edge))
    assert reply.status == status, reply.body
    assert (reply.json()["reason"], reply.headers["x-refusal-reason"]) == (reason, reason)
    assert "location" not in reply.headers


def test_another_workspaces_key_opens_nothing_here(edge: Edge) -> None:
    other = edge.api.credential("ws-b")
    key_id, private_pem = create_key(edge.api, other)
    now = int(time.time())
    token = jwt.encode(
        {"sub": MEDIA, "iat": now, "exp": now + 60}, private_pem, algorithm="ES256", headers={"kid": key_id}
    )
    reply = edge.play(token)
    assert (reply.status, reply.json()["reason"]) == (401, "unknown_key")


def test_a_single_use_token_opens_one_session_and_is_then_refused(edge: Edge) -> None:
    token = edge.token(jti="once-1", single_use=True)
    assert edge.play(token).status == 302
    second = edge.play(token)
    assert (second.status, second.json()["reason"]) == (403, "single_use_replayed")


@pytest.mark.parametrize("path", ["..%2Fother%2Findex.m3u8", ".hidden", "a/../b.ts", "-x.ts", "seg%00.ts"])
def test_a_path_the_edge_would_refuse_is_404_and_spends_no_single_use_token(edge: Edge, path: str) -> None:
    # Given a single-use token, presented first with a path the edge would never serve
    token = edge.token(jti=f"once-{hashlib.sha256(path.encode()).hexdigest()[:8]}", single_use=True)
    refused = edge.play(token, path=path)
    # Then that is a 404 naming the path's rules, and the token is still unspent
    assert refused.status == 404, refused.body
    assert "location" not in refused.headers
    assert edge.play(token).status == 302


def test_cors_lets_an_allowed_player_read_the_redirect_and_a_refusals_reason(edge: Edge) -> None:
    allowed = edge.play(edge.token(), Origin="https://player.example")
    refused = edge.play(None, Origin="https://player.example")
    for reply in (allowed, refused):
        assert reply.headers["access-control-allow-origin"] == "https://player.example"
        assert "X-Refusal-Reason" in reply.headers["access-control-expose-headers"]
    assert "access-control-allow-origin" not in edge.play(edge.token(), Origin="https://evil.example").headers


def test_the_preflight_of_an_allowed_origin_is_answered(edge: Edge) -> None:
    reply = edge.api.request(
        "OPTIONS",
        f"/workspaces/ws-a/play/{MEDIA}/index.m3u8",
        headers={"Origin": "https://other.example", "Access-Control-Request-Headers": "Authorization"},
    )
    assert reply.status == 204
    assert reply.headers["access-control-allow-origin"] == "https://other.example"
    assert "GET" in reply.headers["access-control-allow-methods"]
    assert "Authorization" in reply.headers["access-control-allow-headers"]


def test_without_an_edge_the_exchange_says_the_edge_is_not_configured(api: LocalApi) -> None:
    credential = api.credential("ws-a")
    key_id, private_pem = create_key(api, credential)
    now = int(time.time())
    token = jwt.encode(
        {"sub": MEDIA, "iat": now, "exp": now + 60}, private_pem, algorithm="ES256", headers={"kid": key_id}
    )
    reply = api.request("GET", f"/workspaces/ws-a/play/{MEDIA}/index.m3u8", query={"token": token})
    assert reply.status == 404
    assert "EdgeMediaBucketName" in reply.json()["error"]["message"]


def test_the_mac_is_an_hmac_of_the_workspace_media_and_fields(edge: Edge) -> None:
    # The contract the CloudFront Function checks, recomputed here independently of signing_keys.edge_tokens
    token = edge_token(edge.play(edge.token()).headers["location"])[1]
    signed, _, mac = token.rpartition(".")
    expected = hmac.new(SECRET.encode(), f"e1\nws-a\n{MEDIA}\n{signed}".encode(), hashlib.sha256).digest()
    assert mac == base64.urlsafe_b64encode(expected).rstrip(b"=").decode()
