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
from cryptography.hazmat.primitives.asymmetric import ec

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


def test_without_a_key_cache_revocation_takes_effect_on_the_next_request(make_api: ApiFactory) -> None:
    # Given the key cache switched off (KeyCacheMillis=0: a strongly consistent read per verification)
    api = make_api(KeyCacheMillis="0")
    workspace = api.credential("ws-a")
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


# -- the adversarial review (issue 18) ----------------------------------------------------------------
def pub_token(key: IssuedKey, claims: dict[str, Any] | None = None) -> str:
    """A Livepeer-style token: the key is named by its public key (`pub` claim), not by a `kid`."""
    now = int(time.time())
    return jwt.encode(
        {"pub": key.public_b64, "sub": MEDIA, "exp": now + 300, **(claims or {})}, key.private_pem, key.algorithm
    )


def register(api: LocalApi, credential: Any, private_key: Any) -> IssuedKey:
    """Bring your own key: only the public half goes to the API."""
    public_pem = private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    reply = api.request(
        "POST", "/iam/signing-keys", authorization=basic(credential), body={"publicKey": public_pem.decode()}
    )
    assert reply.status == 201, reply.body
    private_pem = private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return IssuedKey(reply.json()["data"]["id"], private_pem, base64.b64encode(public_pem).decode(), "ES256")


TOKEN_STYLES: dict[str, Callable[[IssuedKey], str]] = {"kid": token_for, "pub": pub_token}


@pytest.mark.parametrize("dialect", ["fastpix", "livepeer"])
@pytest.mark.parametrize("style", sorted(TOKEN_STYLES))
def test_another_tenants_token_never_opens_your_media(api: LocalApi, dialect: str, style: str) -> None:
    # Given workspace B's key and a valid token signed with it, naming its key by kid or by pub
    tenant_b = issue(api, api.credential("ws-b"), dialect)
    api.credential("ws-a")
    token = TOKEN_STYLES[style](tenant_b)
    # When it is presented on workspace A's route for the same media id, and on B's own route
    on_a, on_b = play(api, token, workspace="ws-a"), play(api, token, workspace="ws-b")
    # Then A's media stays closed (an unknown key there), while B's opens
    assert (on_a.status, on_b.status) == (401, 200), (on_a.body, on_b.body)


def test_registering_a_public_key_another_workspace_holds_succeeds_and_reveals_nothing(api: LocalApi) -> None:
    # Given workspace A holding a public key
    pair = ec.generate_private_key(ec.SECP256R1())
    held_by_a = register(api, api.credential("ws-a"), pair)
    # When workspace B registers the same public key
    held_by_b = register(api, api.credential("ws-b"), pair)
    # Then B gets a key of its own, unrelated to A's, and still cannot see A's
    assert held_by_b.key_id != held_by_a.key_id
    intruder = basic(api.credential("ws-b"))
    assert api.request("GET", f"/iam/signing-keys/{held_by_a.key_id}", authorization=intruder).status == 404


def test_a_key_deleted_in_one_workspace_never_verifies_there_again_through_another(make_api: ApiFactory) -> None:
    # Given A's own key pair, tokens A signed with it, and no key cache (every verification reads the table)
    api = make_api(KeyCacheMillis="0")
    owner_a = api.credential("ws-a")
    pair = ec.generate_private_key(ec.SECP256R1())
    key_a = register(api, owner_a, pair)
    by_kid, by_pub = token_for(key_a), pub_token(key_a)
    assert play(api, by_kid).status == play(api, by_pub).status == 200
    # When A deletes the key and B uploads the same public key (public: JWKS, pub claims)
    assert api.request("DELETE", f"/iam/signing-keys/{key_a.key_id}", authorization=basic(owner_a)).status == 200
    register(api, api.credential("ws-b"), pair)
    # Then A's tokens stay refused on A's route, and the kid token (naming A's key) on B's route too
    assert play(api, by_kid).status == play(api, by_pub).status == 401
    assert play(api, by_kid, workspace="ws-b").status == 401


def test_a_media_audience_alone_binds_when_aud_and_sub_disagree(api: LocalApi, workspace: Any) -> None:
    # Given a token whose aud names movie-42 and whose sub names movie-43
    key = issue(api, workspace)
    token = token_for(key, {"aud": "media:movie-42", "sub": "movie-43"})
    # When it is presented for each
    opened, other = play(api, token, media="movie-42"), play(api, token, media="movie-43")
    # Then only the audience's media opens
    assert (opened.status, other.status) == (200, 403)


def test_a_media_audience_in_a_list_binds_and_sub_is_then_ignored(api: LocalApi, workspace: Any) -> None:
    key = issue(api, workspace)
    token = token_for(key, {"aud": ["viewer-app", "media:movie-42"], "sub": "movie-43"})
    assert play(api, token, media="movie-42").status == 200
    assert play(api, token, media="movie-43").status == 403


def test_sub_binds_when_aud_names_no_media(api: LocalApi, workspace: Any) -> None:
    key = issue(api, workspace)
    token = token_for(key, {"aud": "viewer-app", "sub": "movie-43"})
    assert play(api, token, media="movie-43").status == 200


@pytest.mark.parametrize("media", ["movie:42", "urn:media:42", "a.b_c-d:e"])
def test_a_media_id_with_colons_opens_with_its_token(api: LocalApi, workspace: Any, media: str) -> None:
    # Given a valid token for a media id containing ':' (the media id pattern allows it)
    key = issue(api, workspace)
    token = token_for(key, {"sub": media})
    # When it is presented for that media and for another
    # Then the policy expresses the exact route: 200 there, 403 elsewhere, never a 500
    assert play(api, token, media=media).status == 200
    assert play(api, token, media=media + "x").status == 403


def _hostile_pub_claim() -> str:
    """The finding's token: a PEM header, then spaces up to the 8 KB limit, no valid signature (62 s before)."""
    spaces = 6200
    while True:
        claims = {"pub": "-----BEGIN PUBLIC KEY-----" + " " * spaces + "A", "sub": MEDIA, "exp": int(time.time()) + 60}
        token = unsigned({"alg": "ES256"}, claims) + "AAAA"
        if len(token) <= 8192:
            return token
        spaces -= 10


ES256_HEADER = b64url(b'{"alg":"ES256"}')
OBJECT_OPENING = '{"a":'


def _nested(opening: str, depth: int) -> str:
    return b64url((opening * depth).encode())


HOSTILE_TOKENS: dict[str, Callable[[], str]] = {
    "8 KB pub claim of whitespace": _hostile_pub_claim,
    "header of 5,000 nested [": lambda: f"{_nested('[', 5000)}.{b64url(b'{}')}.AAAA",
    "payload of 5,000 nested [": lambda: f"{ES256_HEADER}.{_nested('[', 5000)}.AAAA",
    "payload of 1,000 nested objects": lambda: f"{ES256_HEADER}.{_nested(OBJECT_OPENING, 1000)}.AAAA",
    "pub claim of 6,000 base64 characters": lambda: (
        unsigned({"alg": "ES256"}, {"pub": "QUFB" * 1500, "sub": MEDIA, "exp": int(time.time()) + 60}) + "AAAA"
    ),
}


@pytest.mark.timeout(5)
@pytest.mark.parametrize("name", sorted(HOSTILE_TOKENS))
def test_hostile_tokens_are_401_in_bounded_work(api: LocalApi, name: str) -> None:
    # Given a token built to exhaust the parser (8 KB worst cases)
    token = HOSTILE_TOKENS[name]()
    assert len(token) <= 8192
    # When it is presented
    reply = play(api, token, via="header")
    # Then it is refused as invalid, quickly (the per-test timeout), with the template's 401 body
    assert reply.status == 401, reply.body


WRONGLY_TYPED_CLAIMS: dict[str, dict[str, Any]] = {
    "exp as a string": {"exp": str(int(time.time()) + 60)},
    "iat as a string": {"iat": str(int(time.time()))},
    "nbf as a string": {"nbf": str(int(time.time()))},
    "exp as a float": {"exp": time.time() + 60.5},
    "exp as true": {"exp": True},
    "exp beyond any date": {"exp": 10**400},
    "exp negative": {"exp": -1},
    "aud as a number": {"aud": 42},
    "aud as an object": {"aud": {"media": MEDIA}},
    "sub as a list": {"sub": [MEDIA]},
}


@pytest.mark.parametrize("name", sorted(WRONGLY_TYPED_CLAIMS))
def test_validly_signed_tokens_with_wrongly_typed_claims_are_401(api: LocalApi, workspace: Any, name: str) -> None:
    # Given a token signed by the workspace's key whose claims have the wrong type
    key = issue(api, workspace, "livepeer")
    token = token_for(key, WRONGLY_TYPED_CLAIMS[name])
    # When it is presented, Then it is an invalid token: 401, never a 500/503
    assert play(api, token).status == 401
