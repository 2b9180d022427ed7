"""The verifier's key cache (KeyCacheMillis) over the real store on moto, with an injected clock: a key change
takes effect exactly when the cached lookup expires, never later; 0 means on the next verification."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator
from dataclasses import replace

import pytest

from signing_keys.config import Settings
from signing_keys.key_loader import KEY_CACHE_ENTRIES
from signing_keys.models import Actor, KeyUpdate
from signing_keys.rejections import Rejection, TokenRejected
from signing_keys.verification import TokenVerifier
from tests.unit.verification_support import (
    MEDIA,
    WORKSPACE,
    FakeClock,
    MemoryKeys,
    MotoKeys,
    key_in_hand,
    moto_keys,
    quiet_rejections,
)

SETTINGS = Settings(table_name="signing-keys-local-KeysTable", key_cache_millis=1000)
UNKNOWN_KID = "00000000-0000-8000-8000-000000000000"


@pytest.fixture
def table() -> Iterator[MotoKeys]:
    with moto_keys(SETTINGS) as keys:
        yield keys


def rejection(verifier: TokenVerifier, token: str) -> Rejection | None:
    """Why the token is refused now, or None when it verifies."""
    try:
        verifier.verify(token, WORKSPACE, MEDIA)
    except TokenRejected as rejected:
        return rejected.reason
    return None


CHANGES: dict[str, tuple[Callable[[MotoKeys, str], None], Rejection]] = {
    "disabled": (
        lambda table, key_id: table.service.update_key(Actor.operator(WORKSPACE), key_id, KeyUpdate(disabled=True)),
        Rejection.DISABLED_KEY,
    ),
    "deleted": (
        lambda table, key_id: table.service.delete_key(Actor.operator(WORKSPACE), key_id),
        Rejection.UNKNOWN_KEY,
    ),
    "scoped to other media": (
        lambda table, key_id: table.service.update_key(
            Actor.operator(WORKSPACE), key_id, KeyUpdate(allowed_media=("other-*",))
        ),
        Rejection.MEDIA_NOT_ALLOWED,
    ),
}


@pytest.mark.parametrize("change", sorted(CHANGES))
def test_a_key_change_takes_effect_exactly_when_its_cached_lookup_expires(table: MotoKeys, change: str) -> None:
    # Given a key whose lookup a verification has just cached
    clock = FakeClock()
    verifier = TokenVerifier(table.store, SETTINGS, clock=clock)
    signer = table.create()
    token = signer.token()
    assert rejection(verifier, token) is None
    # When the key is disabled or deleted
    apply, reason = CHANGES[change]
    apply(table, signer.key.key_id)
    # Then the token still verifies until KeyCacheMillis has passed, and is refused from then on
    clock.advance(0.999)
    assert rejection(verifier, token) is None
    clock.advance(0.001)
    assert rejection(verifier, token) is reason


def test_a_re_enabled_key_verifies_again_exactly_when_its_cached_lookup_expires(table: MotoKeys) -> None:
    # Given a disabled key, whose refusal a verification has just cached
    clock = FakeClock()
    verifier = TokenVerifier(table.store, SETTINGS, clock=clock)
    signer = table.create()
    table.service.update_key(Actor.operator(WORKSPACE), signer.key.key_id, KeyUpdate(disabled=True))
    token = signer.token()
    assert rejection(verifier, token) is Rejection.DISABLED_KEY
    # When it is enabled again
    table.service.update_key(Actor.operator(WORKSPACE), signer.key.key_id, KeyUpdate(disabled=False))
    # Then it is still refused until the cached lookup expires, and verifies from then on
    clock.advance(0.999)
    assert rejection(verifier, token) is Rejection.DISABLED_KEY
    clock.advance(0.001)
    assert rejection(verifier, token) is None


def test_without_a_cache_a_disabled_key_is_refused_on_the_next_verification(table: MotoKeys) -> None:
    # Given KeyCacheMillis = 0 and a key that has just verified a token
    verifier = TokenVerifier(table.store, replace(SETTINGS, key_cache_millis=0), clock=FakeClock())
    signer = table.create()
    token = signer.token()
    assert rejection(verifier, token) is None
    # When the key is disabled, with no time passing at all
    table.service.update_key(Actor.operator(WORKSPACE), signer.key.key_id, KeyUpdate(disabled=True))
    # Then the very next verification reads the key again and refuses the token
    assert rejection(verifier, token) is Rejection.DISABLED_KEY


def test_without_a_cache_every_verification_is_one_strongly_consistent_read(table: MotoKeys) -> None:
    verifier = TokenVerifier(table.store, replace(SETTINGS, key_cache_millis=0), clock=FakeClock())
    token = table.create().token()
    table.calls.clear()
    for _ in range(3):
        assert rejection(verifier, token) is None
    assert table.calls["BatchGetItem"] == 3


def test_warm_verifications_make_no_dynamodb_call(table: MotoKeys) -> None:
    # Given a key verified once (one read, and the first lastSeen write)
    clock = FakeClock()
    verifier = TokenVerifier(table.store, SETTINGS, clock=clock)
    token = table.create().token()
    assert rejection(verifier, token) is None
    table.calls.clear()
    # When it verifies a hundred more tokens within KeyCacheMillis
    for _ in range(100):
        clock.advance(0.005)
        assert rejection(verifier, token) is None
    # Then DynamoDB was not called at all: no read and no lastSeen write
    assert sum(table.calls.values()) == 0


def test_an_unknown_kid_is_not_read_again_within_key_cache_millis(table: MotoKeys) -> None:
    # Given a token naming a key id this workspace does not have
    clock = FakeClock()
    verifier = TokenVerifier(table.store, SETTINGS, clock=clock)
    token = table.create().token(headers={"kid": UNKNOWN_KID})
    table.calls.clear()
    # When it is presented again and again within KeyCacheMillis, then once more after
    for _ in range(10):
        assert rejection(verifier, token) is Rejection.UNKNOWN_KEY
        clock.advance(0.099)
    reads_within = table.calls["BatchGetItem"]
    clock.advance(0.01)
    assert rejection(verifier, token) is Rejection.UNKNOWN_KEY
    # Then the miss was read once, and once more only after the TTL
    assert (reads_within, table.calls["BatchGetItem"]) == (1, 2)


def test_last_seen_is_written_at_most_once_per_interval_across_cache_reloads(table: MotoKeys) -> None:
    # Given a verifier whose wall clock and cache clock are both injected
    clock, wall = FakeClock(), FakeClock()
    wall.seconds = 1_800_000_000.0
    verifier = TokenVerifier(table.store, SETTINGS, clock=clock, now=wall)
    signer = table.create()
    token = signer.token({"iat": int(wall.seconds), "exp": int(wall.seconds) + 3600})
    # When it verifies every 100 ms for two and a half minutes (the cache reloading the key every second)
    for _ in range(1500):
        assert rejection(verifier, token) is None
        clock.advance(0.1)
        wall.advance(0.1)
    # Then lastSeen was written at the start and once per elapsed minute: three writes
    assert table.calls["UpdateItem"] == 3
    shown = table.service.get_key(WORKSPACE, signer.key.key_id).last_seen
    assert shown is not None
    assert shown.timestamp() == pytest.approx(1_800_000_120, abs=0.2)


def test_last_seen_is_written_again_exactly_one_interval_after_the_last_write() -> None:
    # Given a key whose use was just recorded (its cache entry kept warm: the cache clock never moves)
    store, wall = MemoryKeys(), FakeClock()
    wall.seconds = 1_800_000_000.0
    signer = key_in_hand()
    store.put(signer.key)
    verifier = TokenVerifier(store, SETTINGS, clock=FakeClock(), now=wall)
    token = signer.token({"iat": int(wall.seconds), "exp": int(wall.seconds) + 3600})
    assert rejection(verifier, token) is None
    # When it verifies again just before one interval has passed, and then exactly at it
    interval = SETTINGS.last_seen_interval_seconds
    wall.advance(interval - 0.001)
    assert rejection(verifier, token) is None
    wall.advance(0.001)
    assert rejection(verifier, token) is None
    # Then the second write is the one at the interval
    assert [seen_ms for _, seen_ms in store.last_seen_writes] == [
        1_800_000_000_000,
        1_800_000_000_000 + interval * 1000,
    ]


def _token_naming(kid: str) -> str:
    # Refused at the lookup, before any signature check: an unsigned token is enough to probe the cache.
    header = base64.urlsafe_b64encode(json.dumps({"alg": "ES256", "kid": kid}).encode()).rstrip(b"=").decode()
    return f"{header}.eyJleHAiOjE4MDAwMDAwMDB9.AAAA"


@pytest.mark.slow
@pytest.mark.timeout(60)
def test_the_cache_never_grows_past_its_bound_under_100_000_random_kids() -> None:
    # Given a verifier over an in-memory table holding one real key
    store = MemoryKeys()
    clock = FakeClock()
    verifier = TokenVerifier(store, SETTINGS, clock=clock)
    signer = key_in_hand()
    store.put(signer.key)
    # When 100,000 tokens naming random key ids arrive
    largest = 0
    with quiet_rejections():
        for n in range(100_000):
            assert rejection(verifier, _token_naming(f"{n:08x}-0000-8000-8000-{n:012x}")) is Rejection.UNKNOWN_KEY
            largest = max(largest, len(verifier.loader.keys))
    # Then the cache held at most its bound, and each random id cost one read
    assert largest == KEY_CACHE_ENTRIES
    assert store.reads == 100_000


@pytest.mark.parametrize(
    "kid",
    [
        "../../etc/passwd",
        "00000000-0000-8000-8000-00000000000\n",  # 36 characters, the last a newline
        "00000000-0000-8000-8000-00000000000A",  # upper case: ids are lower-case hex
        "00000000-0000-4000-8000-000000000000",  # a UUIDv4: not one of ours
        "",
    ],
)
def test_a_kid_that_cannot_be_a_key_id_is_refused_without_a_read(kid: str) -> None:
    store = MemoryKeys()
    verifier = TokenVerifier(store, SETTINGS, clock=FakeClock())
    assert rejection(verifier, key_in_hand().token(headers={"kid": kid})) is Rejection.UNKNOWN_KEY
    assert store.reads == 0
