"""Shared by the verifier's unit tests: an injectable clock, keys with their private halves, tokens, a key table
in memory (for floods no DynamoDB emulation could serve quickly) and one on moto (for the real store)."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

import boto3
import jwt
import pytest
from moto import mock_aws

from signing_keys import keys
from signing_keys.config import Settings
from signing_keys.key_ids import key_id_for_pem
from signing_keys.models import Actor, Algorithm, SigningKey
from signing_keys.observability import logger
from signing_keys.service import KeyService
from signing_keys.store.keys import KeyRepository, VerificationItems
from signing_keys.store.revocations import RevocationRepository
from signing_keys.store.table import Table
from signing_keys_local.template import Template
from tests.conftest import TEMPLATE

WORKSPACE = "ws-a"
MEDIA = "movie-42"


class FakeClock:
    """Monotonic seconds that move only when a test says so."""

    def __init__(self) -> None:
        self.seconds = 1000.0

    def __call__(self) -> float:
        return self.seconds

    def advance(self, seconds: float) -> None:
        self.seconds += seconds


@contextmanager
def quiet_rejections() -> Iterator[None]:
    """No metric or log line per refused token: flood tests measure the verifier, not CloudWatch's formats."""
    level = logger.log_level
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("POWERTOOLS_METRICS_DISABLED", "true")
        logger.setLevel("WARNING")
        try:
            yield
        finally:
            logger.setLevel(level)


@dataclass(frozen=True)
class KeyInHand:
    """A stored key and the private half its owner signs with."""

    key: SigningKey
    private_pem: str

    def token(self, claims: dict[str, Any] | None = None, headers: dict[str, Any] | None = None) -> str:
        now = int(time.time())
        # A claim given as None is left out (e.g. a token without iat).
        body = {"sub": MEDIA, "iat": now, "exp": now + 300, **(claims or {})}
        body = {name: value for name, value in body.items() if value is not None}
        return jwt.encode(
            body,
            self.private_pem,
            algorithm=self.key.algorithm.value,
            headers={"kid": self.key.key_id, **(headers or {})},
        )


def key_in_hand(algorithm: Algorithm = Algorithm.ES256, workspace_id: str = WORKSPACE) -> KeyInHand:
    pair = keys.generate(algorithm)
    key_id = key_id_for_pem(workspace_id, pair.public_key_pem)
    assert key_id is not None
    key = SigningKey(key_id, workspace_id, algorithm, pair.public_key_pem, datetime.now(UTC))
    return KeyInHand(key, pair.private_key_pem)


@dataclass
class MemoryKeys:
    """The verifier's view of the table, in memory (keys only), counting reads and lastSeen writes."""

    keys: dict[str, SigningKey] = field(default_factory=dict)
    reads: int = 0
    last_seen_writes: list[tuple[str, int]] = field(default_factory=list)

    def read_for_verification(
        self, workspace_id: str, *, key_id: str | None, revocation_ids: Sequence[str]
    ) -> VerificationItems:
        self.reads += 1
        return VerificationItems(key=None if key_id is None else self.keys.get(key_id))

    def consume_single_use(self, workspace_id: str, jti: str, *, keep_until: int) -> bool:
        raise AssertionError("no single-use token here")

    def single_use_spent(self, workspace_id: str, jti: str) -> bool:
        raise AssertionError("no single-use token here")

    def record_last_seen(self, key_id: str, seen_at_ms: int, interval_seconds: int) -> None:
        self.last_seen_writes.append((key_id, seen_at_ms))

    def put(self, key: SigningKey) -> None:
        self.keys[key.key_id] = key

    def disable(self, key_id: str, disabled: bool = True) -> None:
        self.keys[key_id] = replace(self.keys[key_id], disabled=disabled)


@dataclass
class MotoKeys:
    """The real repositories and service over moto, counting the DynamoDB calls made through them, by operation."""

    store: KeyRepository
    revocations: RevocationRepository
    service: KeyService
    client: Any
    table_name: str
    calls: Counter[str] = field(default_factory=Counter)

    def items(self) -> list[dict[str, Any]]:
        """Every item of the table (a Scan: it shows in `calls`)."""
        return list(self.client.scan(TableName=self.table_name)["Items"])

    def count_call(self, model: Any, **_: Any) -> None:
        self.calls[model.name] += 1

    def create(self, algorithm: Algorithm = Algorithm.ES256, workspace_id: str = WORKSPACE) -> KeyInHand:
        created = self.service.create_key(Actor.operator(workspace_id), default_algorithm=algorithm)
        assert created.private_key_pem is not None
        return KeyInHand(created.key, created.private_key_pem)


@contextmanager
def moto_keys(settings: Settings) -> Iterator[MotoKeys]:
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        definition = Template(TEMPLATE).table_definition()
        client.create_table(**definition)
        dynamodb = Table(client, definition["TableName"])
        store = KeyRepository(dynamodb)
        table = MotoKeys(
            store, RevocationRepository(dynamodb), KeyService(store, settings), client, definition["TableName"]
        )
        client.meta.events.register("before-call.dynamodb", table.count_call)
        yield table
