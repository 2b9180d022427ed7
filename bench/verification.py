"""The verification core's throughput ÷ raw `jwt.decode` with the same key (the key read is excluded)."""

from __future__ import annotations

import functools
import time
from datetime import UTC, datetime
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from signing_keys import keys
from signing_keys.config import Settings
from signing_keys.key_ids import key_id_for_pem
from signing_keys.models import Algorithm, SigningKey
from signing_keys.verification import TokenVerifier

Row = tuple[str, str, float | None, str]


class _InMemoryStore:
    """The one key the token names: isolates the core's CPU cost from DynamoDB's round trip."""

    def __init__(self, key: SigningKey) -> None:
        self.key = key

    def get_key(self, key_id: str, *, consistent: bool = True) -> SigningKey | None:
        return self.key if key_id == self.key.key_id else None

    def record_last_seen(self, key: SigningKey, seen_at: datetime, interval_seconds: int) -> None:
        return None


def _rate(fn: Any, seconds: float) -> float:
    count, deadline = 0, time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        fn()
        count += 1
    return count / seconds


def run(seconds: float) -> list[Row]:
    rows: list[Row] = []
    for algorithm in (Algorithm.RS256, Algorithm.ES256):
        pair = keys.generate(algorithm)
        key_id = key_id_for_pem(pair.public_key_pem) or ""
        key = SigningKey(key_id, "bench", algorithm, pair.public_key_pem, datetime.now(UTC))
        verifier = TokenVerifier(_InMemoryStore(key), Settings(table_name="unused"))  # type: ignore[arg-type]
        now = int(time.time())
        token = jwt.encode(
            {"sub": "m", "iat": now, "exp": now + 600},
            pair.private_key_pem,
            algorithm=algorithm.value,
            headers={"kid": key_id},
        )
        public_key = serialization.load_pem_public_key(pair.public_key_pem.encode())
        assert isinstance(public_key, rsa.RSAPublicKey | ec.EllipticCurvePublicKey)
        ours = _rate(functools.partial(verifier.verify, token, "bench", "m"), seconds)
        raw = _rate(functools.partial(jwt.decode, token, public_key, algorithms=[algorithm.value]), seconds)
        rows.append((f"verify {algorithm.value}", "rate ratio", ours / raw, f"≥ 0.5 ({ours:,.0f}/s vs {raw:,.0f}/s)"))
    return rows
