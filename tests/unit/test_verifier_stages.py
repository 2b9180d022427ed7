"""The verifier's stages one by one, and their order: a token that fails exactly one stage is refused by that
stage with its reason (every stage before it passed, every one after it skipped), whether it is verified or
explained; a token failing two stages is refused by the earlier one. The order is the security contract:
nothing is read before the token is screened, no policy or revocation is judged on a forged signature, a
single-use token is spent only once every other stage passed."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import jwt
import pytest

from signing_keys.config import Settings
from signing_keys.models import Actor, KeyUpdate, RevocationType
from signing_keys.rejections import Rejection, TokenRejected
from signing_keys.revocations import RevocationService
from signing_keys.stages import Stage
from signing_keys.verification import TokenVerifier
from tests.unit.verification_support import MEDIA, WORKSPACE, KeyInHand, MotoKeys, key_in_hand, moto_keys

SETTINGS = Settings(table_name="signing-keys-local-KeysTable", key_cache_millis=0, max_token_lifetime_seconds=3600)
OWNER = Actor.operator(WORKSPACE)
ORDER = list(Stage)


@dataclass
class Verifier:
    table: MotoKeys
    verifier: TokenVerifier
    revocations: RevocationService
    signer: KeyInHand

    def token(self, **claims: Any) -> str:
        return self.signer.token(claims)

    def refusal(self, token: str, media: str = MEDIA) -> Rejection | None:
        try:
            self.verifier.verify(token, WORKSPACE, media)
        except TokenRejected as rejected:
            return rejected.reason
        return None

    def outcomes(self, token: str, media: str = MEDIA) -> list[tuple[Stage, str, Rejection | None]]:
        return [
            (check.stage, check.outcome, check.reason)
            for check in self.verifier.explain(token, WORKSPACE, media).checks
        ]

    def disable_key(self) -> None:
        self.table.service.update_key(OWNER, self.signer.key.key_id, KeyUpdate(disabled=True))

    def revoke_jti(self, jti: str) -> str:
        return self.revocations.revoke(OWNER, RevocationType.JTI, jti).revocation.revocation_id


@pytest.fixture
def world() -> Iterator[Verifier]:
    # No key cache (KeyCacheMillis 0): each verification reads what the table holds now.
    with moto_keys(SETTINGS) as table:
        yield Verifier(
            table, TokenVerifier(table.store, SETTINGS), RevocationService(table.revocations, SETTINGS), table.create()
        )


def forged(world: Verifier) -> str:
    """A token naming the stored key, signed by another private key."""
    stranger = key_in_hand()
    now = int(time.time())
    return jwt.encode(
        {"sub": MEDIA, "iat": now, "exp": now + 300},
        stranger.private_pem,
        algorithm="ES256",
        headers={"kid": world.signer.key.key_id},
    )


def unknown_kid(world: Verifier) -> str:
    return key_in_hand().token()


def spent_single_use(world: Verifier) -> str:
    token = world.token(jti="once", single_use=True)
    assert world.refusal(token) is None  # its one use
    return token


def revoked_jti(world: Verifier) -> str:
    world.revoke_jti("revoked-1")
    return world.token(jti="revoked-1")


def for_a_disabled_key(world: Verifier) -> str:
    world.disable_key()
    return world.token()


# What fails exactly one stage, and the reason that stage gives.
ONE_FAILING_STAGE: dict[Stage, tuple[Callable[[Verifier], str], Rejection]] = {
    Stage.SCREEN: (lambda w: w.token(exp=float(int(time.time()) + 300)), Rejection.INVALID_CLAIMS),
    Stage.KEY: (unknown_kid, Rejection.UNKNOWN_KEY),
    Stage.SIGNATURE: (forged, Rejection.BAD_SIGNATURE),
    Stage.TIMES: (lambda w: w.token(iat=int(time.time()) - 600, exp=int(time.time()) - 300), Rejection.EXPIRED),
    Stage.MEDIA: (lambda w: w.token(sub="another-media"), Rejection.WRONG_MEDIA),
    Stage.POLICY: (for_a_disabled_key, Rejection.DISABLED_KEY),
    Stage.REVOCATIONS: (revoked_jti, Rejection.JTI_REVOKED),
    Stage.SPEND: (spent_single_use, Rejection.SINGLE_USE_REPLAYED),
}


def test_the_stages_run_in_the_contracts_order() -> None:
    assert [stage.value for stage in ORDER] == [
        "screen", "key", "signature", "times", "media", "policy", "revocations", "spend",
    ]  # fmt: skip


def test_a_token_failing_no_stage_passes_every_stage(world: Verifier) -> None:
    token = world.token(jti="fine", single_use=True)
    assert world.outcomes(token) == [(stage, "passed", None) for stage in ORDER]
    assert world.refusal(token) is None


@pytest.mark.parametrize("failing", ORDER)
def test_a_token_failing_one_stage_is_refused_by_that_stage(world: Verifier, failing: Stage) -> None:
    # Given a token that fails exactly this stage
    make, reason = ONE_FAILING_STAGE[failing]
    token = make(world)
    # When it is explained, Then the stages before it passed, it failed with its reason, the rest were skipped
    position = ORDER.index(failing)
    assert world.outcomes(token) == [
        *((stage, "passed", None) for stage in ORDER[:position]),
        (failing, "failed", reason),
        *((stage, "skipped", None) for stage in ORDER[position + 1 :]),
    ]
    # And verifying it refuses it for the same reason
    assert world.refusal(token) is reason


def test_a_token_that_fails_the_screen_costs_no_read(world: Verifier) -> None:
    # Given a token whose exp is not a whole number
    token = world.token(exp=float(int(time.time()) + 300))
    world.table.calls.clear()
    # When it is verified, Then it is refused before the key is looked up
    assert world.refusal(token) is Rejection.INVALID_CLAIMS
    assert world.table.calls == {}


def test_a_forged_token_for_a_disabled_key_is_refused_for_its_signature(world: Verifier) -> None:
    # Given a disabled key, and a token naming it signed by someone else
    world.disable_key()
    # Then the signature is judged first: a forger learns nothing of the key's state
    assert world.refusal(forged(world)) is Rejection.BAD_SIGNATURE


def test_an_expired_token_with_a_revoked_jti_is_refused_as_expired(world: Verifier) -> None:
    # Given a revoked jti, on a token that has also expired: Then times are judged before revocations
    world.revoke_jti("old")
    now = int(time.time())
    assert world.refusal(world.token(jti="old", iat=now - 600, exp=now - 300)) is Rejection.EXPIRED


def test_a_token_for_another_media_of_a_disabled_key_is_refused_for_its_media(world: Verifier) -> None:
    # Given a disabled key's token for another media: Then the media binding is judged before the key's state
    world.disable_key()
    assert world.refusal(world.token(sub="another-media")) is Rejection.WRONG_MEDIA


def test_a_disabled_keys_token_with_a_revoked_jti_is_refused_for_the_key(world: Verifier) -> None:
    # Given a disabled key's token whose jti is revoked: Then the key's state is judged before revocations
    world.revoke_jti("j-1")
    world.disable_key()
    assert world.refusal(world.token(jti="j-1")) is Rejection.DISABLED_KEY


def test_a_single_use_token_refused_by_an_earlier_stage_is_not_spent(world: Verifier) -> None:
    # Given a single-use token whose jti is revoked
    token = world.token(jti="ticket-9", single_use=True)
    revocation_id = world.revoke_jti("ticket-9")
    assert world.refusal(token) is Rejection.JTI_REVOKED
    # When the revocation is deleted
    world.revocations.delete(OWNER, revocation_id)
    # Then the token still has its one use: the refusal spent nothing
    assert world.refusal(token) is None
    assert world.refusal(token) is Rejection.SINGLE_USE_REPLAYED


def test_explaining_a_single_use_token_leaves_it_usable(world: Verifier) -> None:
    # Given a single-use token explained first: Then its spend stage passes without spending it
    token = world.token(jti="ticket-10", single_use=True)
    assert world.outcomes(token)[-1] == (Stage.SPEND, "passed", None)
    assert world.refusal(token) is None
