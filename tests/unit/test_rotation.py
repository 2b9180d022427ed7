"""Key rotation over a moto-backed store, with an injected clock: what the successor inherits, when the old key
expires, the key limit, and the read + transaction a rotation makes (the service reads and decides again when the
old key changed; the store's write never does on its own)."""

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
from signing_keys.store.keys import KeyRepository
from tests.unit.conftest import TABLE_NAME

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
LIMIT = 3
POLICY = KeyPolicy(allowed_media=("intro", "course-42-*"), max_token_lifetime_seconds=600)


@pytest.fixture
def service(key_repository: KeyRepository) -> KeyService:
    return KeyService(key_repository, Settings(table_name=TABLE_NAME, key_limit=LIMIT), now=lambda: NOW)


def create(service: KeyService, workspace: str = "ws-a", **policy: Any) -> SigningKey:
    created = service.create_key(
        Actor.operator(workspace),
        default_algorithm=Algorithm.ES256,
        name="studio",
        project_id="p-1",
        policy=KeyPolicy(**{"allowed_media": POLICY.allowed_media, "max_token_lifetime_seconds": 600, **policy}),
    )
    return created.key


def table_state(key_repository: KeyRepository, dynamodb: Any, workspace: str = "ws-a") -> tuple[int, list[SigningKey]]:
    item = dynamodb.get_item(TableName=TABLE_NAME, Key={"PK": {"S": f"WS#{workspace}"}, "SK": {"S": "COUNTER"}})
    return int(item["Item"]["keyCount"]["N"]), key_repository.list_keys(workspace)


def test_the_successor_inherits_the_old_keys_fields_and_the_old_key_expires_after_the_overlap(
    service: KeyService, key_repository: KeyRepository
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
    service: KeyService, key_repository: KeyRepository, dynamodb: Any
) -> None:
    old = create(service)
    before = table_state(key_repository, dynamodb)
    with pytest.raises(InvalidInput) as refused:
        service.rotate_key(Actor.operator("ws-a"), old.key_id, public_key=old.public_key_pem)
    assert [field.field for field in refused.value.fields] == ["publicKey"]
    assert table_state(key_repository, dynamodb) == before


def test_rotating_to_the_public_key_of_another_registered_key_is_invalid_and_changes_nothing(
    service: KeyService, key_repository: KeyRepository, dynamodb: Any
) -> None:
    # Given two keys of ws-a
    old, other = create(service), create(service)
    before = table_state(key_repository, dynamodb)
    # When the first is rotated to the second's public key
    with pytest.raises(InvalidInput) as refused:
        service.rotate_key(Actor.operator("ws-a"), old.key_id, public_key=other.public_key_pem)
    # Then the store's write refuses the taken key id, naming the public key, and nothing changed
    assert [field.field for field in refused.value.fields] == ["publicKey"]
    assert table_state(key_repository, dynamodb) == before


def test_at_the_limit_rotation_is_refused_and_changes_nothing(
    service: KeyService, key_repository: KeyRepository, dynamodb: Any
) -> None:
    # Given a workspace at its limit
    old = create(service)
    for _ in range(LIMIT - 1):
        create(service)
    before = table_state(key_repository, dynamodb)
    # When a key is rotated, Then the limit refuses it: the counter, the old key and the list are as they were
    with pytest.raises(KeyLimitReached):
        service.rotate_key(Actor.operator("ws-a"), old.key_id)
    assert table_state(key_repository, dynamodb) == before
    assert key_repository.get_key(old.key_id) == old


def test_another_workspaces_key_is_not_found_and_nothing_changes(
    service: KeyService, key_repository: KeyRepository, dynamodb: Any
) -> None:
    foreign = create(service, "ws-b")
    with pytest.raises(KeyNotFound):
        service.rotate_key(Actor.operator("ws-a"), foreign.key_id)
    assert table_state(key_repository, dynamodb, "ws-b") == (1, [foreign])
    assert key_repository.list_keys("ws-a") == []


def test_an_id_that_cannot_be_a_key_is_not_found_without_a_read(service: KeyService, calls: Counter[str]) -> None:
    with pytest.raises(KeyNotFound):
        service.rotate_key(Actor.operator("ws-a"), "not-a-key")
    assert calls == Counter()


# -- the read + transaction, and deciding again when the old key changed -------------------------------------
def change(action: AuditAction, key_id: str) -> AuditEntry:
    return audit.permitted_change(Actor.operator("ws-a"), action, retention_days=90, now=NOW, key_id=key_id)


def after_each_read(dynamodb: Any, interference: Callable[[int], None]) -> None:
    """Let something happen right after each GetItem from now on (the n-th, from 0), as a concurrent request
    would: between the service's read of the old key and its transaction."""
    reads = [0]

    def interfere(**_: Any) -> None:
        interference(reads[0])
        reads[0] += 1

    dynamodb.meta.events.register("after-call.dynamodb.GetItem", interfere)


def rename(key_repository: KeyRepository, key_id: str, name: str) -> None:
    key_repository.update_key("ws-a", key_id, KeyUpdate(name=name), change(AuditAction.KEY_UPDATE, key_id))


def test_undisturbed_rotation_is_one_read_and_one_transaction(service: KeyService, calls: Counter[str]) -> None:
    old = create(service)
    calls.clear()
    service.rotate_key(Actor.operator("ws-a"), old.key_id)
    assert calls == Counter({"GetItem": 1, "TransactWriteItems": 1})


def test_a_write_between_the_read_and_the_transaction_makes_the_service_read_again(
    service: KeyService, key_repository: KeyRepository, dynamodb: Any, calls: Counter[str]
) -> None:
    # Given a key renamed by someone else right after the rotation read it (once)
    old = create(service)
    after_each_read(
        dynamodb, lambda read: rename(key_repository, old.key_id, "renamed meanwhile") if read == 0 else None
    )
    calls.clear()
    # When it is rotated
    rotated = service.rotate_key(Actor.operator("ws-a"), old.key_id)
    # Then the first transaction failed on the old key's revision, and the second copied the new name
    assert rotated.key.name == "renamed meanwhile"
    assert calls == Counter({"GetItem": 2, "TransactWriteItems": 3})  # the rename is a transaction too
    assert len(key_repository.list_keys("ws-a")) == 2


def test_a_key_that_keeps_changing_is_a_bounded_retry_then_unavailable(
    service: KeyService, key_repository: KeyRepository, dynamodb: Any
) -> None:
    old = create(service)
    before = table_state(key_repository, dynamodb)
    after_each_read(dynamodb, lambda read: rename(key_repository, old.key_id, f"rename {read}"))
    with pytest.raises(ServiceUnavailable):
        service.rotate_key(Actor.operator("ws-a"), old.key_id)
    count, listed = table_state(key_repository, dynamodb)
    assert (count, [key.key_id for key in listed]) == (before[0], [old.key_id])


def test_a_key_that_keeps_changing_is_read_and_written_four_times_and_no_more(
    service: KeyService, key_repository: KeyRepository, dynamodb: Any, calls: Counter[str]
) -> None:
    # Given a key renamed by someone else after every read of it
    old = create(service)
    after_each_read(dynamodb, lambda read: rename(key_repository, old.key_id, f"rename {read}"))
    calls.clear()
    # When it is rotated, Then the service decides four times, each one read and one transaction, then gives up
    with pytest.raises(ServiceUnavailable):
        service.rotate_key(Actor.operator("ws-a"), old.key_id)
    assert calls == Counter({"GetItem": 4, "TransactWriteItems": 4 + 4})  # and the four renames


def test_a_generated_pair_is_made_once_however_often_the_rotation_is_decided(
    service: KeyService, key_repository: KeyRepository, dynamodb: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a key renamed by someone else after the rotation's first two reads
    old = create(service)
    generated: list[keys.KeyPair] = []
    real_generate = keys.generate

    def generate(algorithm: Algorithm) -> keys.KeyPair:
        generated.append(real_generate(algorithm))
        return generated[-1]

    monkeypatch.setattr(keys, "generate", generate)
    after_each_read(dynamodb, lambda read: rename(key_repository, old.key_id, f"rename {read}") if read < 2 else None)
    # When it is rotated (three reads, three decisions)
    rotated = service.rotate_key(Actor.operator("ws-a"), old.key_id)
    # Then one pair was generated, and the private key handed out is the successor's own
    assert len(generated) == 1
    assert rotated.private_key_pem == generated[0].private_key_pem
    assert rotated.key.public_key_pem == generated[0].public_key_pem


def test_the_stores_write_of_a_rotation_read_before_a_change_fails_once_and_writes_nothing(
    service: KeyService, key_repository: KeyRepository, dynamodb: Any, calls: Counter[str]
) -> None:
    # Given a rotation decided on a read of the key, and the key renamed after that read
    old = create(service)
    read = key_repository.get_key(old.key_id)
    assert read is not None
    rename(key_repository, old.key_id, "renamed meanwhile")
    before = table_state(key_repository, dynamodb)
    pair = keys.generate(read.algorithm)
    key_id = key_id_for_pem("ws-a", pair.public_key_pem)
    assert key_id is not None
    successor = SigningKey(key_id, "ws-a", read.algorithm, pair.public_key_pem, NOW, name=read.name)
    stale = Rotation(read, successor, NOW, change(AuditAction.KEY_ROTATE, old.key_id))
    calls.clear()
    # When the store is asked to write it
    written = key_repository.write_rotation(stale, LIMIT)
    # Then it says so after one transaction, without reading or trying again itself, and nothing was written
    assert not written
    assert calls == Counter({"TransactWriteItems": 1})
    assert table_state(key_repository, dynamodb) == before


def test_a_key_deleted_between_the_read_and_the_transaction_is_not_found(
    service: KeyService, key_repository: KeyRepository, dynamodb: Any
) -> None:
    old = create(service)
    after_each_read(
        dynamodb,
        lambda read: (
            key_repository.delete_key("ws-a", old.key_id, change(AuditAction.KEY_DELETE, old.key_id))
            if read == 0
            else None
        ),
    )
    with pytest.raises(KeyNotFound):
        service.rotate_key(Actor.operator("ws-a"), old.key_id)
    assert table_state(key_repository, dynamodb) == (0, [])
