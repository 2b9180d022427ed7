"""Each layer of the verifier's defences alone, so removing one fails a test even where another layer would hide
it from the API: the tenant check on a key named by `kid`, the exact `media:` audience and its precedence over
`sub`, the JWKS publishing only what the verifier would verify with, and a failed lastSeen write reported rather
than swallowed."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import jwt
import pytest
from botocore.exceptions import ClientError, EndpointConnectionError
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from signing_keys.config import Settings
from signing_keys.jwks import jwk_set
from signing_keys.key_ids import key_id_for_pem
from signing_keys.models import Algorithm, Revocation, RevocationType, SigningKey
from signing_keys.rejections import Rejection, TokenRejected
from signing_keys.store.keys import VerificationItems
from signing_keys.verification import TokenVerifier
from tests.unit.verification_support import MEDIA, WORKSPACE, FakeClock, KeyInHand, MemoryKeys, key_in_hand

SETTINGS = Settings(table_name="unused", key_cache_millis=0)
NOW = 1_800_000_000


def verifier_over(store: Any) -> TokenVerifier:
    return TokenVerifier(store, SETTINGS, clock=FakeClock(), now=lambda: NOW)


def rejection(verifier: TokenVerifier, token: str, workspace: str = WORKSPACE, media: str = MEDIA) -> Rejection | None:
    try:
        verifier.verify(token, workspace, media)
    except TokenRejected as rejected:
        return rejected.reason
    return None


def claims(**extra: Any) -> dict[str, Any]:
    return {"iat": NOW, "exp": NOW + 300, **extra}


def test_a_key_of_another_workspace_named_by_kid_is_an_unknown_key_to_this_workspace() -> None:
    # Given ws-b's key, which a table read by its id returns whatever the route's workspace is
    theirs = key_in_hand(workspace_id="ws-b")
    store = MemoryKeys()
    store.put(theirs.key)
    # When a token it signed (naming it by kid) is verified for ws-a's media
    # Then the verifier itself refuses it: no later layer is needed to keep tenants apart
    assert rejection(verifier_over(store), theirs.token(claims(sub=MEDIA))) is Rejection.UNKNOWN_KEY


class RevocationsOfAnotherWorkspace(MemoryKeys):
    """A table read that answers each revocation id asked for with another workspace's entry of that id."""

    def read_for_verification(
        self, workspace_id: str, *, key_id: str | None, revocation_ids: Sequence[str]
    ) -> VerificationItems:
        read = super().read_for_verification(workspace_id, key_id=key_id, revocation_ids=revocation_ids)
        foreign = {rid: Revocation(rid, "ws-b", RevocationType.JTI, "order-1", NOW * 1000) for rid in revocation_ids}
        return replace(read, revocations=foreign)


def test_a_revocation_entry_of_another_workspace_revokes_nothing_here() -> None:
    # Given a read that hands back, for this token's jti, an entry of ws-b (revocation ids are derived from the
    # workspace, so the table cannot: this is the loader's own check, alone)
    ours = key_in_hand()
    store = RevocationsOfAnotherWorkspace()
    store.put(ours.key)
    # When ws-a's token with that jti is verified, Then ws-b's entry does not revoke it
    assert rejection(verifier_over(store), ours.token(claims(jti="order-1"))) is None


@pytest.mark.parametrize(("audience", "media"), [("media:movie-42", "movie-4"), ("media:movie-4", "movie-42")])
def test_a_media_audience_opens_exactly_its_media_never_a_prefix_or_an_extension(audience: str, media: str) -> None:
    ours = key_in_hand()
    store = MemoryKeys()
    store.put(ours.key)
    token = ours.token(claims(aud=audience, sub=None))
    assert rejection(verifier_over(store), token, media=media) is Rejection.WRONG_MEDIA


# How a token binds its media: a `media:` audience alone when it has one (FastPix), else `sub` (Livepeer).
MEDIA_BINDINGS = {
    "a media audience, no sub": ({"aud": "media:movie-42", "sub": None}, None),
    "a media audience among others, no sub": ({"aud": ["https://player.example", "media:movie-42"], "sub": None}, None),
    "a media audience for another media beside a matching sub": (
        {"aud": "media:movie-41", "sub": "movie-42"},
        Rejection.WRONG_MEDIA,
    ),
    "no audience and no sub": ({"sub": None}, Rejection.WRONG_MEDIA),
}


@pytest.mark.parametrize("name", sorted(MEDIA_BINDINGS))
def test_a_media_audience_binds_the_token_alone_when_it_has_one(name: str) -> None:
    # Given a token binding its media as named
    binding, expected = MEDIA_BINDINGS[name]
    ours = key_in_hand()
    store = MemoryKeys()
    store.put(ours.key)
    # When it is verified for movie-42, Then the audience decides where there is one, and claims never disagree
    assert rejection(verifier_over(store), ours.token(claims(**binding)), media=MEDIA) is expected


def signed_without_header_kid(signer: KeyInHand, body: dict[str, Any]) -> str:
    return jwt.encode(body, signer.private_pem, algorithm=signer.key.algorithm.value)


@pytest.mark.parametrize("naming", ["kid claim", "pub claim"])
def test_a_token_may_name_its_key_in_its_claims_instead_of_its_header(naming: str) -> None:
    # Given a stored key, and a token without a header kid naming it by a kid claim (FastPix) or a pub claim
    ours = key_in_hand()
    store = MemoryKeys()
    store.put(ours.key)
    named = {"kid": ours.key.key_id} if naming == "kid claim" else {"pub": ours.key.public_key_pem}
    token = signed_without_header_kid(ours, claims(sub=MEDIA, **named))
    # When it is verified, Then that key verifies it
    assert rejection(verifier_over(store), token) is None


def test_a_token_naming_no_key_is_an_unknown_key() -> None:
    # Given a token with neither a kid (header or claim) nor a pub claim
    ours = key_in_hand()
    store = MemoryKeys()
    store.put(ours.key)
    # When it is verified, Then it is refused as naming no key of the workspace
    assert rejection(verifier_over(store), signed_without_header_kid(ours, claims(sub=MEDIA))) is Rejection.UNKNOWN_KEY


def weak_rsa_key(workspace: str = WORKSPACE) -> SigningKey:
    """An RSA key with e = 3, as a table written before uploads were checked could hold."""
    public = rsa.RSAPublicNumbers(3, rsa.generate_private_key(65537, 2048).public_key().public_numbers().n).public_key()
    pem = public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    key_id = key_id_for_pem(workspace, pem)
    assert key_id is not None
    return SigningKey(key_id, workspace, Algorithm.RS256, pem, datetime.now(UTC))


def test_the_jwks_leaves_out_a_stored_key_the_verifier_refuses_to_verify_with() -> None:
    # Given a sound key and a legacy key with e = 3 in the same workspace
    sound, weak = key_in_hand().key, weak_rsa_key()
    # When the JWK Set is built, Then only the sound key is published
    assert [entry["kid"] for entry in jwk_set([sound, weak], NOW)["keys"]] == [sound.key_id]


def test_a_stored_key_whose_algorithm_is_not_its_keys_is_not_published() -> None:
    # Given an ES256 key item whose algorithm attribute says RS256
    mislabelled = key_in_hand().key
    mislabelled = SigningKey(
        mislabelled.key_id, WORKSPACE, Algorithm.RS256, mislabelled.public_key_pem, mislabelled.created_at
    )
    assert jwk_set([mislabelled], NOW)["keys"] == []


class FailingLastSeen(MemoryKeys):
    def __init__(self, error: Exception) -> None:
        super().__init__()
        self.error = error

    def record_last_seen(self, key_id: str, seen_at_ms: int, interval_seconds: int) -> None:
        raise self.error


ACCESS_DENIED = ClientError({"Error": {"Code": "AccessDeniedException", "Message": "no"}}, "UpdateItem")


@pytest.mark.parametrize(
    ("error", "code"),
    [(ACCESS_DENIED, "AccessDeniedException"), (EndpointConnectionError(endpoint_url="https://dynamodb"), "")],
    ids=["denied", "unreachable"],
)
def test_a_failed_last_seen_write_still_verifies_and_is_logged_with_its_error(
    error: Exception, code: str, caplog: pytest.LogCaptureFixture
) -> None:
    # Given a table whose lastSeen write fails (e.g. a policy that denies it)
    ours = key_in_hand()
    store = FailingLastSeen(error)
    store.put(ours.key)
    # When a token verifies
    with caplog.at_level(logging.WARNING):
        assert rejection(verifier_over(store), ours.token(claims(sub=MEDIA))) is None
    # Then the failure is logged, naming the key and the error, never silently dropped
    failures = [record for record in caplog.records if record.getMessage() == "lastSeen write failed"]
    assert len(failures) == 1
    assert failures[0].__dict__["key_id"] == ours.key.key_id
    assert failures[0].__dict__["error_type"] == type(error).__name__
    assert failures[0].__dict__["error_code"] == code
