"""The verifier enforces a key's policy (expiry, media scope, token lifetime), the token's own times and the
deployment's accepted issuers, with injected clocks; the JWKS leaves expired keys out. The table is in memory: only
the verifier's logic is under test here."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pytest

from signing_keys.config import Settings
from signing_keys.jwks import jwk_set
from signing_keys.models import KeyPolicy
from signing_keys.rejections import Rejection, TokenRejected
from signing_keys.verification import TokenVerifier
from tests.unit.verification_support import WORKSPACE, FakeClock, KeyInHand, MemoryKeys, key_in_hand

NOW = 1_800_000_000.0  # epoch seconds the verifier judges tokens at, until a test moves it
SETTINGS = Settings(table_name="unused", key_cache_millis=1000, max_token_lifetime_seconds=86_400)
SKEW = SETTINGS.clock_skew_seconds


class WallClock:
    """Epoch seconds that move only when a test says so."""

    def __init__(self) -> None:
        self.seconds = NOW

    def __call__(self) -> float:
        return self.seconds


def with_policy(signer: KeyInHand, **policy: Any) -> KeyInHand:
    return dataclasses.replace(signer, key=dataclasses.replace(signer.key, policy=KeyPolicy(**policy)))


def token(signer: KeyInHand, media: str = "movie-42", lifetime: int = 300, issued: float | None = NOW) -> str:
    claims: dict[str, Any] = {"sub": media, "exp": int(NOW) + lifetime}
    if issued is not None:
        claims["iat"] = int(issued)
    return jwt.encode(
        claims, signer.private_pem, algorithm=signer.key.algorithm.value, headers={"kid": signer.key.key_id}
    )


class Verifying:
    def __init__(self, signer: KeyInHand, settings: Settings = SETTINGS) -> None:
        self.table = MemoryKeys()
        self.table.put(signer.key)
        self.wall = WallClock()
        self.verifier = TokenVerifier(self.table, settings, clock=FakeClock(), now=self.wall)

    def refusal(self, presented: str, media: str = "movie-42") -> TokenRejected | None:
        try:
            self.verifier.verify(presented, WORKSPACE, media)
        except TokenRejected as rejected:
            return rejected
        return None


def reason(refusal: TokenRejected | None) -> Rejection | None:
    return None if refusal is None else refusal.reason


def test_a_cached_key_expires_exactly_at_its_expires_at() -> None:
    # Given a key expiring 10 s from now, whose lookup a verification has just cached
    signer = with_policy(key_in_hand(), expires_at=datetime.fromtimestamp(NOW + 10, UTC))
    verifying = Verifying(signer)
    presented = token(signer)
    assert verifying.refusal(presented) is None
    # When the wall clock reaches its expiry (the cached lookup is still fresh: its clock has not moved)
    verifying.wall.seconds = NOW + 9.999
    assert verifying.refusal(presented) is None
    verifying.wall.seconds = NOW + 10
    refusal = verifying.refusal(presented)
    # Then from that moment the key verifies nothing: 403, reason key_expired, with no new read
    assert reason(refusal) is Rejection.KEY_EXPIRED
    assert refusal is not None and refusal.status == 403
    assert verifying.table.reads == 1


@pytest.mark.parametrize(
    ("media", "expected"),
    [
        ("intro", None),
        ("intro2", Rejection.MEDIA_NOT_ALLOWED),
        ("course-42-ep1", None),
        ("course-42", Rejection.MEDIA_NOT_ALLOWED),
        ("outro", Rejection.MEDIA_NOT_ALLOWED),
    ],
)
def test_a_scoped_key_opens_only_matching_media(media: str, expected: Rejection | None) -> None:
    # Given a key scoped to an exact id and a prefix, and a token bound to the media it is presented for
    signer = with_policy(key_in_hand(), allowed_media=("intro", "course-42-*"))
    refusal = Verifying(signer).refusal(token(signer, media), media)
    # Then it opens matching media only; another is 403, reason media_not_allowed
    assert reason(refusal) is expected
    assert refusal is None or refusal.status == 403


@pytest.mark.parametrize(
    ("lifetime", "issued", "expected"),
    [
        (600, NOW, None),
        (600 + SKEW, NOW, None),  # the same skew as the deployment's cap
        (600 + SKEW + 1, NOW, Rejection.LIFETIME_TOO_LONG),
        (3_600, NOW, Rejection.LIFETIME_TOO_LONG),
        (3_600, None, Rejection.LIFETIME_TOO_LONG),  # without iat: exp - now
        (600, None, None),
        (300, NOW - 600, Rejection.LIFETIME_TOO_LONG),  # counted from iat, not from now
    ],
)
def test_a_key_caps_the_lifetime_of_its_tokens(lifetime: int, issued: float | None, expected: Rejection | None) -> None:
    # Given a key whose tokens may live at most 600 s
    signer = with_policy(key_in_hand(), max_token_lifetime_seconds=600)
    # When a token of that lifetime is presented, Then a longer one is 401, reason lifetime_too_long
    refusal = Verifying(signer).refusal(token(signer, lifetime=lifetime, issued=issued))
    assert reason(refusal) is expected
    assert refusal is None or refusal.status == 401


def test_a_key_cap_above_a_since_lowered_deployment_cap_does_not_raise_it() -> None:
    # Given a key allowing 3,600 s, in a deployment whose cap has since been lowered to 600 s
    signer = with_policy(key_in_hand(), max_token_lifetime_seconds=3_600)
    verifying = Verifying(signer, dataclasses.replace(SETTINGS, max_token_lifetime_seconds=600))
    # Then the deployment's cap still holds
    assert reason(verifying.refusal(token(signer, lifetime=3_600))) is Rejection.LIFETIME_TOO_LONG


def test_a_forged_token_for_an_expired_key_is_a_bad_signature_not_a_policy_answer() -> None:
    # Given an expired key, and a token for it signed by someone else's key
    signer = with_policy(key_in_hand(), expires_at=datetime.fromtimestamp(NOW - 1, UTC))
    forger = dataclasses.replace(key_in_hand(), key=signer.key)
    # When it is presented, Then the signature is checked before any policy: 401, nothing learned about the key
    assert reason(Verifying(signer).refusal(token(forger))) is Rejection.BAD_SIGNATURE


def test_the_jwks_leaves_out_keys_expired_at_the_time_of_reading() -> None:
    # Given three keys: one without expiry, one expiring at NOW, one disabled
    plain = key_in_hand().key
    expiring = dataclasses.replace(key_in_hand().key, policy=KeyPolicy(expires_at=datetime.fromtimestamp(NOW, UTC)))
    disabled = dataclasses.replace(key_in_hand().key, disabled=True)
    keys = [plain, expiring, disabled]
    # When the set is read just before and at the expiry
    before = [jwk["kid"] for jwk in jwk_set(keys, NOW - 0.001)["keys"]]
    at = [jwk["kid"] for jwk in jwk_set(keys, NOW)["keys"]]
    # Then the expiring key is published until that moment, and the disabled one never
    assert before == [plain.key_id, expiring.key_id]
    assert at == [plain.key_id]


def test_a_key_with_an_expiry_in_the_future_verifies() -> None:
    signer = with_policy(key_in_hand(), expires_at=datetime.fromtimestamp(NOW, UTC) + timedelta(days=1))
    assert Verifying(signer).refusal(token(signer)) is None


# A token's times against the wall clock, each boundary with the deployment's clock skew on both sides.
TIMES = {
    "expired exactly the skew ago": ({"exp": NOW - SKEW}, Rejection.EXPIRED),
    "expired less than the skew ago": ({"exp": NOW - SKEW + 1}, None),
    "not before exactly the skew ahead": ({"nbf": NOW + SKEW}, None),
    "not before more than the skew ahead": ({"nbf": NOW + SKEW + 1}, Rejection.NOT_YET_VALID),
    "issued more than the skew ahead": ({"iat": NOW + SKEW + 1}, Rejection.NOT_YET_VALID),
}


@pytest.mark.parametrize("name", sorted(TIMES))
def test_a_tokens_times_are_judged_with_the_clock_skew(name: str) -> None:
    # Given a token issued now for 300 s, but for the time named
    claims, expected = TIMES[name]
    signer = key_in_hand()
    presented = signer.token({"iat": int(NOW), "exp": int(NOW) + 300, **{k: int(v) for k, v in claims.items()}})
    # When it is verified now, Then it is refused with that reason (401) and a message saying why, or verifies
    refusal = Verifying(signer).refusal(presented)
    assert reason(refusal) is expected
    assert refusal is None or (refusal.status == 401 and refusal.message)


@pytest.mark.parametrize(
    ("issuer", "expected"),
    [
        ("https://issuer.example", None),
        ("https://other.example", Rejection.WRONG_ISSUER),
        (None, Rejection.WRONG_ISSUER),
    ],
)
def test_a_deployment_with_accepted_issuers_refuses_any_other_or_none(
    issuer: str | None, expected: Rejection | None
) -> None:
    # Given a deployment accepting one issuer
    settings = dataclasses.replace(SETTINGS, allowed_issuers=("https://issuer.example",))
    signer = key_in_hand()
    # When a token naming an issuer (or none) is verified, Then only the accepted one verifies
    refusal = Verifying(signer, settings).refusal(signer.token({"iat": int(NOW), "exp": int(NOW) + 300, "iss": issuer}))
    assert reason(refusal) is expected
