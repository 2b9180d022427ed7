"""Key rotation over a moto-backed store, with an injected clock: what the successor inherits, when the old key
expires, the key limit, and the read + transaction the store makes (and repeats when the old key changed)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from signing_keys import audit, keys
from signing_keys.config import Settings
from signing_keys.errors import InvalidInput, KeyLimitReached, KeyNotFound, ServiceUnavailable
from signing_keys.key_ids import key_id_for_pem
from signing_keys.models import Actor, Algorithm, AuditAction, AuditEntry, KeyPolicy, KeyUpdate, Rotation, SigningKey
from signing_keys.service import KeyService
from signing_keys.store import KeyStore
from tests.unit.conftest import TABLE_NAME

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
LIMIT = 3
POLICY = KeyPolicy(allowed_media=("intro", "course-42-*"), max_token_lifetime_seconds=600)


@pytest.fixture
def service(store: KeyStore) -> KeyService:
    return KeyService(store, Settings(table_name=TABLE_NAME, key_limit=LIMIT), now=lambda: NOW)


def create(service: KeyService, workspace: str = "ws-a", **policy: Any) -> SigningKey:
    created = service.create_key(
        Actor.operator(workspace),
        default_algorithm=Algorithm.ES256,
        name="studio",
        project_id="p-1",
        policy=KeyPolicy(**{"allowed_media": POLICY.allowed_media, "max_token_lifetime_seconds": 600, **policy}),
    )
    return created.key


def table_state(store: KeyStore, dynamodb: Any, workspace: str = "ws-a") -> tuple[int, list[SigningKey]]:
    item = dynamodb.get_item(TableName=TABLE_NAME, Key={"PK": {"S": f"WS#{workspace}"}, "SK": {"S": "COUNTER"}})
    return int(item["Item"]["keyCount"]["N"]), store.list_keys(workspace)


def test_the_successor_inherits_the_old_keys_fields_and_the_old_key_expires_after_the_overlap(
    service: KeyService, store: KeyStore
) -> None:
    # Given a named, scoped key
    old = create(service)
    # When it is rotated with a 10-minute overlap
    rotated = service.rotate_key(Actor.operator("ws-a"), old.key_id, overlap_seconds=600)
    # Then the successor has a new ES256 pair, the old key's name, project and policy, and no expiry
    successor = rotated.key
    assert rotated.private_key_pem is not None and successor.key_id != old.key_id
    assert (successor.algorithm, successor.name, successor.project_id) == (Algorithm.ES256, "studio", "p-1")
    assert successor.policy == POLICY
    # And the old key now expires at the end of the overlap; both are listed
    reread = service.get_key("ws-a", old.key_id)
    assert reread.policy.expires_at == NOW + timedelta(seconds=600)
    assert {key.key_id for key in service.list_keys("ws-a")} == {old.key_id, successor.key_id}


def test_an_old_expiry_sooner_than_the_overlap_stays(service: KeyService) -> None:
    old = create(service, expires_at=NOW + timedelta(seconds=60))
    service.rotate_key(Actor.operator("ws-a"), old.key_id, overlap_seconds=3600)
    assert service.get_key("ws-a", old.key_id).policy.expires_at == NOW + timedelta(seconds=60)


def test_no_overlap_expires_the_old_key_now(service: KeyService) -> None:
    old = create(service)
    service.rotate_key(Actor.operator("ws-a"), old.key_id, overlap_seconds=0)
    assert service.get_key("ws-a", old.key_id).policy.expires_at == NOW


def test_a_successor_brought_as_a_public_key_keeps_its_own_algorithm(service: KeyService) -> None:
    # Given an ES256 key, and an RSA public key its owner generated elsewhere
    old = create(service)
    uploaded = keys.generate(Algorithm.RS256).public_key_pem
    # When the key is rotated to that public key
    rotated = service.rotate_key(Actor.operator("ws-a"), old.key_id, public_key=uploaded)
    # Then the successor is that RS256 key, with no private key anywhere, and still inherits the policy
    assert rotated.private_key_pem is None
    assert (rotated.key.algorithm, rotated.key.public_key_pem) == (Algorithm.RS256, uploaded)
    assert rotated.key.policy == POLICY


def test_rotating_to_the_same_public_key_is_invalid_and_changes_nothing(
    service: KeyService, store: KeyStore, dynamodb: Any
) -> None:
    old = create(service)
    before = table_state(store, dynamodb)
    with pytest.raises(InvalidInput) as refused:
        service.rotate_key(Actor.operator("ws-a"), old.key_id, public_key=old.public_key_pem)
    assert [field.field for field in refused.value.fields] == ["publicKey"]
    assert table_state(store, dynamodb) == before


def test_at_the_limit_rotation_is_refused_and_changes_nothing(
    service: KeyService, store: KeyStore, dynamodb: Any
) -> None:
    # Given a workspace at its limit
    old = create(service)
    for _ in range(LIMIT - 1):
        create(service)
    before = table_state(store, dynamodb)
    # When a key is rotated, Then the limit refuses it: the counter, the old key and the list are as they were
    with pytest.raises(KeyLimitReached):
        service.rotate_key(Actor.operator("ws-a"), old.key_id)
    assert table_state(store, dynamodb) == before
    assert store.get_key(old.key_id) == old


def test_another_workspaces_key_is_not_found_and_nothing_changes(
    service: KeyService, store: KeyStore, dynamodb: Any
) -> None:
    foreign = create(service, "ws-b")
    with pytest.raises(KeyNotFound):
        service.rotate_key(Actor.operator("ws-a"), foreign.key_id)
    assert table_state(store, dynamodb, "ws-b") == (1, [foreign])
    assert store.list_keys("ws-a") == []


def test_an_id_that_cannot_be_a_key_is_not_found_without_a_read(service: KeyService, calls: Counter[str]) -> None:
    with pytest.raises(KeyNotFound):
        service.rotate_key(Actor.operator("ws-a"), "not-a-key")
    assert calls == Counter()


# -- the store's read + transaction ------------------------------------------------------------------------
def change(action: AuditAction, key_id: str) -> AuditEntry:
    return audit.permitted_change(Actor.operator("ws-a"), action, retention_days=90, now=NOW, key_id=key_id)


def successor_of(old: SigningKey) -> Rotation:
    """A successor as the service builds one (a fresh pair, the old key's name), expiring the old key at NOW."""
    pair = keys.generate(old.algorithm)
    key_id = key_id_for_pem(old.workspace_id, pair.public_key_pem)
    assert key_id is not None
    successor = SigningKey(key_id, old.workspace_id, old.algorithm, pair.public_key_pem, NOW, name=old.name)
    return Rotation(successor, NOW, change(AuditAction.KEY_ROTATE, old.key_id))


def plan_with(interference: Callable[[int], None]) -> Callable[[SigningKey], Rotation]:
    """A plan that lets something happen between the store's read of the old key and its transaction."""
    attempts = [0]

    def plan(old: SigningKey) -> Rotation:
        interference(attempts[0])
        attempts[0] += 1
        return successor_of(old)

    return plan


def test_undisturbed_rotation_is_one_read_and_one_transaction(
    service: KeyService, store: KeyStore, calls: Counter[str]
) -> None:
    old = create(service)
    calls.clear()
    store.rotate_key("ws-a", old.key_id, plan_with(lambda _: None), LIMIT)
    assert calls == Counter({"GetItem": 1, "TransactWriteItems": 1})


def test_a_write_between_the_read_and_the_transaction_makes_the_store_read_again(
    service: KeyService, store: KeyStore, calls: Counter[str]
) -> None:
    # Given a key renamed by someone else right after the rotation read it (once)
    old = create(service)

    def rename_once(attempt: int) -> None:
        if attempt == 0:
            store.update_key(
                "ws-a", old.key_id, KeyUpdate(name="renamed meanwhile"), change(AuditAction.KEY_UPDATE, old.key_id)
            )

    calls.clear()
    # When it is rotated
    rotation = store.rotate_key("ws-a", old.key_id, plan_with(rename_once), LIMIT)
    # Then the first transaction failed on the old key's revision, and the second copied the new name
    assert rotation.successor.name == "renamed meanwhile"
    assert calls == Counter({"GetItem": 2, "TransactWriteItems": 3})  # the rename is a transaction too
    assert len(store.list_keys("ws-a")) == 2


def test_a_key_that_keeps_changing_is_a_bounded_retry_then_unavailable(
    service: KeyService, store: KeyStore, dynamodb: Any
) -> None:
    old = create(service)
    before = table_state(store, dynamodb)

    def rename_every_time(attempt: int) -> None:
        store.update_key(
            "ws-a", old.key_id, KeyUpdate(name=f"rename {attempt}"), change(AuditAction.KEY_UPDATE, old.key_id)
        )

    with pytest.raises(ServiceUnavailable):
        store.rotate_key("ws-a", old.key_id, plan_with(rename_every_time), LIMIT)
    count, listed = table_state(store, dynamodb)
    assert (count, [key.key_id for key in listed]) == (before[0], [old.key_id])


def test_a_key_deleted_between_the_read_and_the_transaction_is_not_found(
    service: KeyService, store: KeyStore, dynamodb: Any
) -> None:
    old = create(service)

    def delete_once(attempt: int) -> None:
        if attempt == 0:
            store.delete_key("ws-a", old.key_id, change(AuditAction.KEY_DELETE, old.key_id))

    with pytest.raises(KeyNotFound):
        store.rotate_key("ws-a", old.key_id, plan_with(delete_once), LIMIT)
    assert table_state(store, dynamodb) == (0, [])
