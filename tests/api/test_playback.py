"""Playback verification: valid tokens pass, every attack in the suite is refused (401/403, never 500)."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization

from signing_keys_tools.tokens import sign
from tests.api.conftest import ApiFactory
from tests.support import LocalApi, Reply, basic, bearer

MEDIA = "media-1"


@dataclass
class IssuedKey:
    key_id: str
    private_pem: bytes
    public_b64: str
    algorithm: str


@pytest.fixture
def workspace(api: LocalApi) -> Any:
    return api.credential("ws-a")


def issue(api: LocalApi, credential: Any, dialect: str = "fastpix") -> IssuedKey:
    if dialect == "fastpix":
        reply = api.request("POST", "/iam/signing-keys", authorization=basic(credential))
        assert reply.status == 201, reply.body
        data = reply.json()["data"]
        algorithm = "RS256"
    else:
        data = api.request("POST", "/access-control/signing-key", authorization=bearer(credential)).json()
        algorithm = "ES256"
    detail = api.request("GET", f"/iam/signing-keys/{data['id']}", authorization=basic(credential)).json()["data"]
    return IssuedKey(data["id"], base64.b64decode(data["privateKey"]), detail["publicKey"], algorithm)


def token_for(
    key: IssuedKey,
    claims: dict[str, Any] | None = None,
    headers: dict[str, Any] | None = None,
    algorithm: str | None = None,
    signing_key: Any = None,
) -> str:
    now = int(time.time())
    body = {"sub": MEDIA, "iat": now, "exp": now + 300, **(claims or {})}
    body = {k: v for k, v in body.items() if v is not None}
    return jwt.encode(
        body,
        signing_key or key.private_pem,
        algorithm=algorithm or key.algorithm,
        headers={"kid": key.key_id, **(headers or {})},
    )


def play(api: LocalApi, token: str | None, media: str = MEDIA, via: str = "query", workspace: str = "ws-a") -> Reply:
    path = f"/workspaces/{workspace}/playback/{media}"
    if token is None:
        return api.request("GET", path)
    if via == "query":
        return api.request("GET", path, query={"token": token})
    return api.request("GET", path, authorization=f"Bearer {token}")


# -- accepted ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("dialect", ["fastpix", "livepeer"])
@pytest.mark.parametrize("via", ["query", "header"])
def test_valid_token_returns_the_verified_claims(api: LocalApi, workspace: Any, dialect: str, via: str) -> None:
    key = issue(api, workspace, dialect)
    reply = play(api, token_for(key, {"groups": ["premium"]}), via=via)
    assert reply.status == 200, reply.body
    body = reply.json()
    assert (body["sub"], body["keyId"], body["workspaceId"], body["groups"]) == (MEDIA, key.key_id, "ws-a", ["premium"])
    assert body["exp"] > time.time()


def test_kid_in_the_claims_is_accepted(api: LocalApi, workspace: Any) -> None:
    key = issue(api, workspace)
    now = int(time.time())
    token = jwt.encode({"kid": key.key_id, "aud": f"media:{MEDIA}", "exp": now + 60}, key.private_pem, "RS256")
    assert play(api, token).status == 200


def test_pub_claim_finds_the_key_as_livepeer_tokens_carry_it(api: LocalApi, workspace: Any) -> None:
    key = issue(api, workspace, "livepeer")
    now = int(time.time())
    token = jwt.encode({"pub": key.public_b64, "sub": MEDIA, "exp": now + 60}, key.private_pem, "ES256")
    assert play(api, token).status == 200


def test_token_from_the_sign_helper_is_accepted(api: LocalApi, workspace: Any) -> None:
    key = issue(api, workspace, "livepeer")
    token = sign(base64.b64encode(key.private_pem).decode(), key.key_id, MEDIA, 600)
    assert play(api, token).status == 200


# -- refused -----------------------------------------------------------------------------------------
def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def unsigned(header: dict[str, Any], claims: dict[str, Any]) -> str:
    return f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(claims).encode())}."


Attack = Callable[[LocalApi, IssuedKey, Any], str]


def _alg_none(api: LocalApi, key: IssuedKey, credential: Any) -> str:
    return unsigned({"alg": "none", "kid": key.key_id}, {"sub": MEDIA, "exp": int(time.time()) + 60}) + "x"


def _hs256_with_public_key(api: LocalApi, key: IssuedKey, credential: Any) -> str:
    header = b64url(json.dumps({"alg": "HS256", "kid": key.key_id}).encode())
    claims = b64url(json.dumps({"sub": MEDIA, "exp": int(time.time()) + 60}).encode())
    import hashlib
    import hmac

    signature = hmac.new(base64.b64decode(key.public_b64), f"{header}.{claims}".encode(), hashlib.sha256).digest()
    return f"{header}.{claims}.{b64url(signature)}"


def _alg_swapped(api: LocalApi, key: IssuedKey, credential: Any) -> str:
    other = issue(api, credential, "livepeer")  # an ES256 key, but the token names the RS256 key
    return token_for(key, algorithm="ES256", signing_key=other.private_pem)


def _other_workspace_kid(api: LocalApi, key: IssuedKey, credential: Any) -> str:
    foreign = issue(api, api.credential("ws-other"))
    return token_for(foreign, headers={"kid": foreign.key_id}, signing_key=key.private_pem)


def _deleted_key(api: LocalApi, key: IssuedKey, credential: Any) -> str:
    token = token_for(key)
    api.request("DELETE", f"/iam/signing-keys/{key.key_id}", authorization=basic(credential))
    return token


def _disabled_key(api: LocalApi, key: IssuedKey, credential: Any) -> str:
    api.request(
        "PATCH", f"/access-control/signing-key/{key.key_id}", authorization=bearer(credential), body={"disabled": True}
    )
    return token_for(key)


def _header_param(name: str, value: Any) -> Attack:
    return lambda api, key, credential: token_for(key, headers={name: value})


def _another_key_signature(api: LocalApi, key: IssuedKey, credential: Any) -> str:
    sibling = issue(api, credential)
    return token_for(key, signing_key=sibling.private_pem)


def _truncated_signature(api: LocalApi, key: IssuedKey, credential: Any) -> str:
    return token_for(key)[:-10]


ATTACKS: dict[str, tuple[Attack, int]] = {
    "alg none": (_alg_none, 401),
    "HS256 keyed with the public key": (_hs256_with_public_key, 401),
    "alg swapped RS256->ES256": (_alg_swapped, 401),
    "kid of another workspace's key signed with ours": (_other_workspace_kid, 401),
    "kid of a deleted key": (_deleted_key, 401),
    "disabled key": (_disabled_key, 403),
    "expired": (
        lambda api, key, c: token_for(key, {"iat": int(time.time()) - 600, "exp": int(time.time()) - 120}),
        401,
    ),
    "not yet valid": (lambda api, key, c: token_for(key, {"nbf": int(time.time()) + 600}), 401),
    "issued in the future": (lambda api, key, c: token_for(key, {"iat": int(time.time()) + 600}), 401),
    "lifetime too long": (lambda api, key, c: token_for(key, {"exp": int(time.time()) + 3 * 86400}), 401),
    "exp in milliseconds": (lambda api, key, c: token_for(key, {"exp": int(time.time() * 1000) + 60_000}), 401),
    "missing exp": (lambda api, key, c: token_for(key, {"exp": None}), 401),
    "wrong media": (lambda api, key, c: token_for(key, {"sub": "media-2"}), 403),
    "wrong audience": (lambda api, key, c: token_for(key, {"sub": None, "aud": "media:media-2"}), 403),
    "header jku": (_header_param("jku", "https://attacker.example/jwks.json"), 401),
    "header jwk": (_header_param("jwk", {"kty": "oct", "k": "AAAA"}), 401),
    "header x5u": (_header_param("x5u", "https://attacker.example/cert.pem"), 401),
    "header x5c": (_header_param("x5c", ["MIIB"]), 401),
    "header crit": (_header_param("crit", ["exp"]), 401),
    "9 KB token": (lambda api, key, c: token_for(key, {"pad": "x" * 9000}), 401),
    "garbage segments": (lambda api, key, c: "not.a.token", 401),
    "two segments": (lambda api, key, c: token_for(key).rsplit(".", 1)[0], 401),
    "header not JSON": (lambda api, key, c: b64url(b"\xff\xfe") + "." + token_for(key).split(".", 1)[1], 401),
    "signature of another key in the workspace": (_another_key_signature, 401),
    "truncated signature": (_truncated_signature, 401),
    "unknown kid": (lambda api, key, c: token_for(key, headers={"kid": "00000000-0000-8000-8000-000000000000"}), 401),
    "kid not a key id": (lambda api, key, c: token_for(key, headers={"kid": "../../etc/passwd"}), 401),
}


@pytest.mark.parametrize("name", sorted(ATTACKS))
def test_attack_is_refused(api: LocalApi, workspace: Any, name: str) -> None:
    # Given a workspace key and a token crafted by the attack
    key = issue(api, workspace)
    attack, status = ATTACKS[name]
    token = attack(api, key, workspace)
    # When it is presented for the media
    reply = play(api, token)
    # Then it is refused with the expected status and a body both clients parse
    assert reply.status == status, (name, reply.body)
    assert reply.json()["error"]["code"] == status


def test_missing_token_is_401(api: LocalApi) -> None:
    assert play(api, None).status == 401


def test_wrong_issuer_is_refused_when_an_allow_list_is_set(make_api: ApiFactory) -> None:
    api = make_api(AllowedIssuers="https://issuer.example")
    key = issue(api, api.credential("ws-a"))
    assert play(api, token_for(key, {"iss": "https://evil.example"})).status == 401
    assert play(api, token_for(key, {"iss": "https://issuer.example"})).status == 200


def test_token_for_one_media_never_opens_another(api: LocalApi, workspace: Any) -> None:
    key = issue(api, workspace)
    token = token_for(key)
    assert play(api, token, media=MEDIA).status == 200
    assert play(api, token, media="media-2").status == 403


def test_revocation_takes_effect_on_the_next_request(api: LocalApi, workspace: Any) -> None:
    key = issue(api, workspace, "livepeer")
    token = token_for(key)
    assert play(api, token).status == 200
    api.request(
        "PATCH", f"/access-control/signing-key/{key.key_id}", authorization=bearer(workspace), body={"disabled": True}
    )
    assert play(api, token).status == 403
    api.request(
        "PATCH", f"/access-control/signing-key/{key.key_id}", authorization=bearer(workspace), body={"disabled": False}
    )
    assert play(api, token).status == 200
    api.request("DELETE", f"/access-control/signing-key/{key.key_id}", authorization=bearer(workspace))
    assert play(api, token).status == 401


def test_last_seen_is_recorded_and_shown_in_livepeer(api: LocalApi, workspace: Any) -> None:
    key = issue(api, workspace, "livepeer")
    path = f"/access-control/signing-key/{key.key_id}"
    assert "lastSeen" not in api.request("GET", path, authorization=bearer(workspace)).json()
    before = int(time.time() * 1000)
    assert play(api, token_for(key)).status == 200
    seen = api.request("GET", path, authorization=bearer(workspace)).json()["lastSeen"]
    assert before - 1000 <= seen <= int(time.time() * 1000) + 1000
    # A second verification within the interval does not move it.
    assert play(api, token_for(key)).status == 200
    assert api.request("GET", path, authorization=bearer(workspace)).json()["lastSeen"] == seen


# -- JWKS --------------------------------------------------------------------------------------------
def test_jwks_lists_enabled_keys_and_verifies_tokens(api: LocalApi, workspace: Any) -> None:
    rsa_key, ec_key = issue(api, workspace), issue(api, workspace, "livepeer")
    disabled = issue(api, workspace, "livepeer")
    api.request(
        "PATCH",
        f"/access-control/signing-key/{disabled.key_id}",
        authorization=bearer(workspace),
        body={"disabled": True},
    )
    reply = api.request("GET", "/workspaces/ws-a/jwks.json")
    assert reply.status == 200
    assert reply.headers["cache-control"] == "public, max-age=60"
    jwks = jwt.PyJWKSet.from_dict(reply.json())
    assert sorted(k.key_id for k in jwks.keys) == sorted([rsa_key.key_id, ec_key.key_id])
    for key in (rsa_key, ec_key):
        jwk = jwks[key.key_id]
        assert jwk.algorithm_name == key.algorithm
        claims = jwt.decode(token_for(key), jwk.key, algorithms=[key.algorithm])
        assert claims["sub"] == MEDIA
        public = serialization.load_pem_public_key(base64.b64decode(key.public_b64))
        assert public.public_numbers() == jwk.key.public_numbers()  # type: ignore[union-attr]


@pytest.mark.parametrize("workspace_id", ["ws-unknown", "not%20valid", "a" * 200])
def test_jwks_of_an_unknown_workspace_is_empty_like_one_without_keys(api: LocalApi, workspace_id: str) -> None:
    api.credential("ws-empty")
    unknown = api.request("GET", f"/workspaces/{workspace_id}/jwks.json")
    empty = api.request("GET", "/workspaces/ws-empty/jwks.json")
    assert unknown.status == empty.status == 200
    assert unknown.body == empty.body == b'{"keys":[]}'
