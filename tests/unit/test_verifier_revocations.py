"""Revocations and single-use tokens in the verifier, over the real store and service on moto, with injected
clocks: each revocation refuses its tokens exactly when the cached lookups expire (KeyCacheMillis) and not
before, an entry never lapses (a token it covers may become valid much later), and DynamoDB is called at most
once per verification (plus one conditional write for a single-use token)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import Any

import pytest

from signing_keys.config import Settings
from signing_keys.models import Actor, RevocationType
from signing_keys.rejections import Rejection, TokenRejected
from signing_keys.revocations import RevocationService
from signing_keys.verification import TokenVerifier
from tests.unit.verification_support import MEDIA, WORKSPACE, KeyInHand, MotoKeys, moto_keys

SETTINGS = Settings(
    table_name="signing-keys-local-KeysTable",
    key_cache_millis=1000,
    max_token_lifetime_seconds=3600,
    clock_skew_seconds=30,
)
START = 1_800_000_000
OWNER = Actor.operator(WORKSPACE)  # who revokes: the workspace's own (operator) credential
# When the old rule let an entry lapse: createdAt + the lifetime cap + 3 skews.
OLD_LAPSE_SECONDS = 3600 + 3 * 30


@dataclass
class Clocks:
    """The verifier's two clocks, moved together: monotonic (ages the caches) and wall (judges times)."""

    monotonic: float = 1000.0
    wall: float = float(START)

    def advance(self, seconds: float) -> None:
        self.monotonic += seconds
        self.wall += seconds


@dataclass
class World:
    table: MotoKeys
    clocks: Clocks
    verifier: TokenVerifier
    revocations: RevocationService
    signer: KeyInHand

    def token(self, **claims: Any) -> str:
        now = int(self.clocks.wall)
        return self.signer.token({"iat": now, "exp": now + 300, **claims})

    def rejection(self, token: str) -> Rejection | None:
        try:
            self.verifier.verify(token, WORKSPACE, MEDIA)
        except TokenRejected as rejected:
            return rejected.reason
        return None


def build_world(table: MotoKeys, settings: Settings = SETTINGS) -> World:
    clocks = Clocks()
    verifier = TokenVerifier(table.store, settings, clock=lambda: clocks.monotonic, now=lambda: clocks.wall)
    revocations = RevocationService(table.revocations, settings, now=lambda: clocks.wall)
    return World(table, clocks, verifier, revocations, table.create())


@pytest.fixture
def world() -> Iterator[World]:
    with moto_keys(SETTINGS) as table:
        yield build_world(table)


# Each kind of revocation: what to put in the token, how to revoke it, and why it is then refused.
KINDS: dict[str, tuple[dict[str, Any], Callable[[World], tuple[RevocationType, str | int]], Rejection]] = {
    "jti": ({"jti": "token-1"}, lambda w: (RevocationType.JTI, "token-1"), Rejection.JTI_REVOKED),
    "viewer": ({"viewer": "viewer-7"}, lambda w: (RevocationType.VIEWER, "viewer-7"), Rejection.VIEWER_REVOKED),
    "issuedBefore": ({}, lambda w: (RevocationType.ISSUED_BEFORE, int(w.clocks.wall) + 1), Rejection.ISSUED_BEFORE),
}


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_a_revocation_refuses_exactly_when_the_cached_lookups_expire(world: World, kind: str) -> None:
    # Given a token whose lookups a verification has just cached
    claims, revocation, reason = KINDS[kind]
    token = world.token(**claims)
    assert world.rejection(token) is None
    # When it is revoked
    world.revocations.revoke(OWNER, *revocation(world))
    # Then it still verifies until KeyCacheMillis has passed, and is refused from then on
    world.clocks.advance(0.999)
    assert world.rejection(token) is None
    world.clocks.advance(0.001)
    assert world.rejection(token) is reason


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_a_deleted_revocation_lets_the_token_verify_again_once_the_lookups_expire(world: World, kind: str) -> None:
    # Given a revoked token, its refusal cached
    claims, revocation, reason = KINDS[kind]
    token = world.token(**claims)
    entry = world.revocations.revoke(OWNER, *revocation(world)).revocation
    world.clocks.advance(1)
    assert world.rejection(token) is reason
    # When the revocation is deleted
    world.revocations.delete(OWNER, entry.revocation_id)
    # Then the token is refused until the cached lookups expire, and verifies from then on
    world.clocks.advance(0.999)
    assert world.rejection(token) is reason
    world.clocks.advance(0.001)
    assert world.rejection(token) is None


def test_a_token_without_iat_is_refused_while_an_issued_before_is_active(world: World) -> None:
    world.revocations.revoke(OWNER, RevocationType.ISSUED_BEFORE, START - 3600)
    token = world.signer.token({"iat": None, "exp": START + 300})
    assert world.rejection(token) is Rejection.ISSUED_BEFORE


def test_a_token_issued_at_the_cut_off_or_after_it_verifies(world: World) -> None:
    world.revocations.revoke(OWNER, RevocationType.ISSUED_BEFORE, START)
    assert world.rejection(world.token(iat=START)) is None


def test_the_latest_active_cut_off_is_the_one_that_counts(world: World) -> None:
    # Given two issuedBefore revocations, an hour apart
    world.revocations.revoke(OWNER, RevocationType.ISSUED_BEFORE, START - 3600)
    later = world.revocations.revoke(OWNER, RevocationType.ISSUED_BEFORE, START).revocation
    token = world.token(iat=START - 60)
    # Then a token issued between them is refused; once the later one is deleted, it verifies
    assert world.rejection(token) is Rejection.ISSUED_BEFORE
    world.revocations.delete(OWNER, later.revocation_id)
    world.clocks.advance(1)
    assert world.rejection(token) is None


def test_a_token_without_iat_stays_refused_by_a_cut_off_long_after_every_token_with_iat_expired(
    world: World,
) -> None:
    # Given an issuedBefore revocation, and a token without iat minted before it whose exp lies beyond the cap
    world.revocations.revoke(OWNER, RevocationType.ISSUED_BEFORE, START)
    far_exp = START + 10 * OLD_LAPSE_SECONDS
    token = world.signer.token({"iat": None, "exp": far_exp})
    # When its exp comes within the lifetime cap, long after the old rule's lapse
    world.clocks.advance(far_exp - 3000 - START)
    # Then it is still refused: nothing tells it was issued after the cut-off
    assert world.rejection(token) is Rejection.ISSUED_BEFORE


@pytest.mark.parametrize("kind", ["jti", "viewer"])
def test_an_advance_ticket_revoked_before_it_became_valid_is_refused_when_it_does(world: World, kind: str) -> None:
    # Given a token whose iat lies after the old rule's lapse (an advance ticket), revoked now
    claims, revocation, reason = KINDS[kind]
    valid_from = START + 2 * OLD_LAPSE_SECONDS
    token = world.signer.token({"iat": valid_from, "exp": valid_from + 300, **claims})
    world.revocations.revoke(OWNER, *revocation(world))
    # When its iat comes
    world.clocks.advance(valid_from - START)
    # Then it is refused
    assert world.rejection(token) is reason


@pytest.mark.parametrize("kind", ["jti", "viewer"])
def test_a_token_without_iat_revoked_while_its_exp_lay_beyond_the_cap_is_refused_once_it_is_within(
    world: World, kind: str
) -> None:
    # Given a token without iat whose exp lies beyond the lifetime cap (refused as too long-lived for now), revoked
    claims, revocation, reason = KINDS[kind]
    far_exp = START + 10 * OLD_LAPSE_SECONDS
    token = world.signer.token({"iat": None, "exp": far_exp, **claims})
    assert world.rejection(token) is Rejection.LIFETIME_TOO_LONG
    world.revocations.revoke(OWNER, *revocation(world))
    # When its exp comes within the cap
    world.clocks.advance(far_exp - 3000 - START)
    # Then it is refused as revoked
    assert world.rejection(token) is reason


def test_another_workspaces_revocation_of_the_same_jti_changes_nothing(world: World) -> None:
    world.revocations.revoke(Actor.operator("ws-other"), RevocationType.JTI, "token-1")
    world.revocations.revoke(Actor.operator("ws-other"), RevocationType.VIEWER, "viewer-7")
    world.revocations.revoke(Actor.operator("ws-other"), RevocationType.ISSUED_BEFORE, START)
    assert world.rejection(world.token(jti="token-1", viewer="viewer-7", iat=START - 60)) is None


# -- DynamoDB calls per verification -----------------------------------------------------------------------------
def calls_for(world: World, token: str) -> dict[str, int]:
    world.table.calls.clear()
    world.rejection(token)
    return dict(world.table.calls)


def test_a_cold_verification_is_one_batch_read_whatever_the_token_names(world: World) -> None:
    # Given a token with a jti and a viewer, and nothing cached
    token = world.token(jti="token-1", viewer="viewer-7")
    # When it is verified, Then key, cut-offs and both revocation lookups came in one BatchGetItem (and the
    # first lastSeen write)
    assert calls_for(world, token) == {"BatchGetItem": 1, "UpdateItem": 1}


def test_a_warm_verification_without_jti_or_viewer_makes_no_call(world: World) -> None:
    token = world.token()
    world.rejection(token)
    world.clocks.advance(0.5)
    assert calls_for(world, token) == {}


def test_a_warm_verification_of_a_seen_jti_and_viewer_makes_no_call(world: World) -> None:
    token = world.token(jti="token-1", viewer="viewer-7")
    world.rejection(token)
    world.clocks.advance(0.5)
    assert calls_for(world, token) == {}


def test_a_new_jti_under_a_warm_key_is_one_batch_read(world: World) -> None:
    world.rejection(world.token())
    world.clocks.advance(0.5)
    assert calls_for(world, world.token(jti="token-2")) == {"BatchGetItem": 1}


def test_without_a_cache_each_verification_is_one_batch_read() -> None:
    with moto_keys(SETTINGS) as table:
        world = build_world(table, replace(SETTINGS, key_cache_millis=0))
        token = world.token(jti="token-1", viewer="viewer-7")
        world.rejection(token)
        for _ in range(3):
            assert calls_for(world, token) == {"BatchGetItem": 1}


def test_a_jti_no_revocation_could_hold_costs_no_revocation_lookup(world: World) -> None:
    # Given a warm key and a token whose jti is longer than any revocation value
    world.rejection(world.token())
    world.clocks.advance(0.5)
    # When it is verified, Then nothing is read: no revocation can name it
    assert calls_for(world, world.token(jti="j" * 257)) == {}


# -- single-use tokens ------------------------------------------------------------------------------------------
def test_a_single_use_token_verifies_once(world: World) -> None:
    token = world.token(jti="once", single_use=True)
    assert world.rejection(token) is None
    assert world.rejection(token) is Rejection.SINGLE_USE_REPLAYED
    world.clocks.advance(5)
    assert world.rejection(token) is Rejection.SINGLE_USE_REPLAYED


def test_a_single_use_token_whose_jti_holds_a_lone_surrogate_verifies_once(world: World) -> None:
    # Given a single-use token whose jti holds a lone surrogate (JSON's "\ud800"), which strict UTF-8 cannot encode
    token = world.token(jti="once-\ud800", single_use=True)
    # When it is presented twice, Then it is spent like any other: once, never a failure
    assert world.rejection(token) is None
    assert world.rejection(token) is Rejection.SINGLE_USE_REPLAYED


def test_explaining_a_single_use_token_never_spends_it(world: World) -> None:
    # Given a single-use token
    token = world.token(jti="once", single_use=True)
    # When its owner has it explained, Then it would play
    assert world.verifier.explain(token, WORKSPACE, MEDIA).reason is None
    # And it still plays once
    assert world.rejection(token) is None


def test_explaining_a_spent_single_use_token_reports_the_replay(world: World) -> None:
    # Given a single-use token that has played
    token = world.token(jti="once", single_use=True)
    assert world.rejection(token) is None
    # When its owner has it explained, Then the verdict is the replay a viewer would get
    assert world.verifier.explain(token, WORKSPACE, MEDIA).reason is Rejection.SINGLE_USE_REPLAYED


def test_a_single_use_token_adds_one_conditional_write(world: World) -> None:
    world.rejection(world.token())  # key cached, lastSeen written
    world.clocks.advance(0.5)
    assert calls_for(world, world.token(jti="once", single_use=True)) == {"BatchGetItem": 1, "PutItem": 1}


def test_a_single_use_token_is_kept_used_until_it_can_no_longer_verify(world: World) -> None:
    world.rejection(world.token(jti="once", single_use=True))
    (used,) = [item for item in world.table.items() if item["PK"]["S"].startswith("USED#")]
    assert used["ttl"] == {"N": str(START + 300 + 30)}  # exp + skew


def test_a_single_use_token_without_jti_is_invalid_and_costs_no_read(world: World) -> None:
    world.table.calls.clear()
    assert world.rejection(world.token(single_use=True)) is Rejection.INVALID_CLAIMS
    assert world.table.calls == {}


@pytest.mark.parametrize("claims", [{"single_use": "yes", "jti": "j"}, {"jti": 7}, {"viewer": ["a"]}])
def test_claims_a_revocation_or_single_use_reads_must_have_their_types(world: World, claims: dict[str, Any]) -> None:
    assert world.rejection(world.token(**claims)) is Rejection.INVALID_CLAIMS


def test_a_single_use_token_refused_for_another_reason_is_not_spent(world: World) -> None:
    # Given a single-use token presented first for another media
    token = world.token(jti="once", single_use=True)
    with pytest.raises(TokenRejected) as refused:
        world.verifier.verify(token, WORKSPACE, "another-media")
    assert refused.value.reason is Rejection.WRONG_MEDIA
    # Then it still verifies, once, for its own
    assert world.rejection(token) is None
    assert world.rejection(token) is Rejection.SINGLE_USE_REPLAYED


def test_a_revoked_single_use_token_is_not_spent_by_its_refusals(world: World) -> None:
    # Given a single-use token whose jti is revoked
    token = world.token(jti="once", single_use=True)
    entry = world.revocations.revoke(OWNER, RevocationType.JTI, "once").revocation
    assert world.rejection(token) is Rejection.JTI_REVOKED
    # When the revocation is deleted, Then the token verifies once after all
    world.revocations.delete(OWNER, entry.revocation_id)
    world.clocks.advance(1)
    assert world.rejection(token) is None
    assert world.rejection(token) is Rejection.SINGLE_USE_REPLAYED


def test_single_use_is_per_workspace(world: World) -> None:
    # Given the same jti spent in another workspace
    assert world.table.store.consume_single_use("ws-other", "once", keep_until=START + 600)
    # Then this workspace's single-use token with that jti still verifies once
    assert world.rejection(world.token(jti="once", single_use=True)) is None


@pytest.mark.parametrize("reason", [Rejection.JTI_REVOKED, Rejection.VIEWER_REVOKED, Rejection.ISSUED_BEFORE])
def test_revocation_refusals_are_403(reason: Rejection) -> None:
    assert TokenRejected(reason).status == 403


def test_a_replayed_single_use_token_is_403_and_one_without_jti_401() -> None:
    assert TokenRejected(Rejection.SINGLE_USE_REPLAYED).status == 403
    assert TokenRejected(Rejection.INVALID_CLAIMS).status == 401
