"""Verification: the warm path's throughput ÷ raw `jwt.decode` with an already-loaded key, and the DynamoDB reads
one hot key costs across containers (simulated time, injected clock)."""

from __future__ import annotations

import functools
import os
import time
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from signing_keys import keys
from signing_keys.config import Settings
from signing_keys.key_ids import key_id_for_pem
from signing_keys.models import Algorithm, SigningKey
from signing_keys.store.keys import VerificationItems
from signing_keys.verification import TokenVerifier

Row = tuple[str, str, float | None, str]

WORKSPACE = "bench"
# DynamoDB's per-partition ceiling for strongly consistent reads of items up to 4 KB (3,000 RCU/s).
PARTITION_READS_PER_SECOND = 3000
HOT_KEY_CONTAINERS = 50
HOT_KEY_VERIFICATIONS = int(os.environ.get("BENCH_HOT_KEY_VERIFICATIONS", "1000000"))
HOT_KEY_MODELLED_RATE = 1_000_000  # verifications per second
HOT_KEY_SAMPLED_SECONDS = 10


class _InMemoryTable:
    """The one key the tokens name, counting reads per (simulated) second: DynamoDB's round trip left out."""

    def __init__(self, key: SigningKey, clock: Any = time.monotonic) -> None:
        self.key = key
        self.clock = clock
        self.reads_per_second: Counter[int] = Counter()

    def read_for_verification(
        self, workspace_id: str, *, key_id: str | None, revocation_ids: Sequence[str]
    ) -> VerificationItems:
        self.reads_per_second[int(self.clock())] += 1
        return VerificationItems(key=self.key if key_id == self.key.key_id else None)

    def record_last_seen(self, key_id: str, seen_at_ms: int, interval_seconds: int) -> None:
        return None

    def consume_single_use(self, workspace_id: str, jti: str, *, keep_until: int) -> bool:
        return True  # the benchmark's tokens are not single-use

    def single_use_spent(self, workspace_id: str, jti: str) -> bool:
        return False


class _SimulatedClock:
    def __init__(self) -> None:
        self.seconds = 0.0

    def __call__(self) -> float:
        return self.seconds


def _rate(fn: Any, seconds: float) -> float:
    count, deadline = 0, time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        fn()
        count += 1
    return count / seconds


def _signing_key(algorithm: Algorithm) -> tuple[SigningKey, str]:
    pair = keys.generate(algorithm)
    key_id = key_id_for_pem(WORKSPACE, pair.public_key_pem) or ""
    return SigningKey(key_id, WORKSPACE, algorithm, pair.public_key_pem, datetime.now(UTC)), pair.private_key_pem


def _token(key: SigningKey, private_pem: str) -> str:
    now = int(time.time())
    claims = {"sub": "m", "aud": "media:m", "iat": now, "exp": now + 3600}
    return jwt.encode(claims, private_pem, algorithm=key.algorithm.value, headers={"kid": key.key_id})


def warm(seconds: float) -> list[Row]:
    """A verifier whose cache holds the key (default KeyCacheMillis) against PyJWT's own decode."""
    rows: list[Row] = []
    for algorithm in (Algorithm.RS256, Algorithm.ES256):
        key, private_pem = _signing_key(algorithm)
        verifier = TokenVerifier(_InMemoryTable(key), Settings(table_name="unused"))
        token = _token(key, private_pem)
        public_key = serialization.load_pem_public_key(key.public_key_pem.encode())
        assert isinstance(public_key, rsa.RSAPublicKey | ec.EllipticCurvePublicKey)
        verifier.verify(token, WORKSPACE, "m")  # the one cold read
        ours = _rate(functools.partial(verifier.verify, token, WORKSPACE, "m"), seconds)
        raw = _rate(
            functools.partial(jwt.decode, token, public_key, algorithms=[algorithm.value], audience="media:m"),
            seconds,
        )
        rows.append(
            (
                f"verify {algorithm.value} (warm cache)",
                "rate ratio",
                ours / raw,
                f"≥ 0.9 ({ours:,.0f}/s vs {raw:,.0f}/s)",
            )
        )
    return rows


def hot_key() -> Row:
    """50 containers verifying one key's tokens at a modelled 1,000,000/s: DynamoDB reads of that key per second.

    The run samples HOT_KEY_VERIFICATIONS verifications evenly from HOT_KEY_SAMPLED_SECONDS of that traffic
    (each standing for the ones around it). A container reads the key only on its first verification after
    its cache entry expired, and every container sees samples far more often than once per KeyCacheMillis, so
    the sampled read count is the modelled one.
    """
    clock = _SimulatedClock()
    key, private_pem = _signing_key(Algorithm.RS256)
    table = _InMemoryTable(key, clock)
    settings = Settings(table_name="unused")
    containers = [TokenVerifier(table, settings, clock=clock) for _ in range(HOT_KEY_CONTAINERS)]
    token = _token(key, private_pem)
    step = HOT_KEY_SAMPLED_SECONDS / HOT_KEY_VERIFICATIONS
    for n in range(HOT_KEY_VERIFICATIONS):
        clock.seconds = n * step
        containers[n % HOT_KEY_CONTAINERS].verify(token, WORKSPACE, "m")
    reads = sum(table.reads_per_second.values())
    busiest = max(table.reads_per_second.values())
    throttled = sum(max(0, r - PARTITION_READS_PER_SECOND) for r in table.reads_per_second.values())
    bound = HOT_KEY_CONTAINERS / (settings.key_cache_millis / 1000)
    return (
        "hot key (reads/s at 1M verifications/s)",
        "reads/s",
        reads / HOT_KEY_SAMPLED_SECONDS,
        f"≤ {bound:.0f} ({HOT_KEY_CONTAINERS} containers, KeyCacheMillis {settings.key_cache_millis}); "
        f"busiest second {busiest}; throttled {throttled} (limit {PARTITION_READS_PER_SECOND:,}/s); "
        f"{HOT_KEY_VERIFICATIONS:,} verifications sampled over {HOT_KEY_SAMPLED_SECONDS} s",
    )


def run(seconds: float) -> list[Row]:
    return [*warm(seconds), hot_key()]
