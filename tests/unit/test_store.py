"""The key repository on moto: the table layout of docs/architecture.md, and the invocation's time budget."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import pytest

from signing_keys import audit
from signing_keys.budget import RESPONSE_MARGIN_SECONDS, InvocationBudget
from signing_keys.errors import InvalidInput, KeyNotFound, ServiceUnavailable
from signing_keys.models import Actor, Algorithm, AuditAction, AuditEntry, KeyPolicy, KeyUpdate, SigningKey
from signing_keys.store.audit import AuditRepository
from signing_keys.store.keys import KeyRepository
from signing_keys.store.table import Table
from tests.unit.conftest import TABLE_NAME, ManualClock

KEY_ID = "00000000-0000-8000-8000-00000000000a"


def key(workspace: str = "ws-a", key_id: str = KEY_ID) -> SigningKey:
    return SigningKey(
        key_id=key_id,
        workspace_id=workspace,
        algorithm=Algorithm.ES256,
        public_key_pem="-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n",
        created_at=datetime(2026, 11, 25, tzinfo=UTC),
        name="studio",
    )


def change(action: AuditAction = AuditAction.KEY_CREATE, workspace: str = "ws-a", key_id: str = KEY_ID) -> AuditEntry:
    return audit.permitted_change(Actor.operator(workspace), action, retention_days=90, key_id=key_id)


def items(dynamodb: Any) -> dict[tuple[str, str], dict[str, Any]]:
    scanned = dynamodb.scan(TableName=TABLE_NAME)["Items"]
    return {(item["PK"]["S"], item["SK"]["S"]): item for item in scanned}


def test_a_key_its_workspace_counter_and_its_audit_entry_are_written_together(
    key_repository: KeyRepository, dynamodb: Any
) -> None:
    entry = change()
    key_repository.add_key(key(), key_limit=10, audit=entry)
    written = items(dynamodb)
    audit_sort_key = f"{int(entry.created_at.timestamp() * 1000):015d}#{entry.event_id}"
    assert set(written) == {(f"KEY#{KEY_ID}", "KEY"), ("WS#ws-a", "COUNTER"), ("AUDIT#ws-a", audit_sort_key)}
    item = written[(f"KEY#{KEY_ID}", "KEY")]
    assert (item["GSI1PK"]["S"], item["GSI1SK"]["S"]) == ("WS#ws-a", f"2026-11-25T00:00:00.000Z#{KEY_ID}")
    assert written[("WS#ws-a", "COUNTER")]["keyCount"]["N"] == "1"


def test_a_key_whose_id_is_taken_is_refused_and_the_stored_one_stays(
    key_repository: KeyRepository, dynamodb: Any
) -> None:
    # Given a disabled key
    key_repository.add_key(replace(key(), disabled=True), key_limit=10, audit=change())
    # When the same key (same id: the same public key) is added again, enabled
    with pytest.raises(InvalidInput):
        key_repository.add_key(key(), key_limit=10, audit=change())
    # Then the stored key is still the disabled one, and the workspace still counts one key
    stored = key_repository.get_key(KEY_ID)
    assert stored is not None and stored.disabled
    assert items(dynamodb)[("WS#ws-a", "COUNTER")]["keyCount"]["N"] == "1"


def test_a_workspace_lists_only_its_own_keys(key_repository: KeyRepository) -> None:
    key_repository.add_key(key("ws-a"), key_limit=10, audit=change())
    other = "00000000-0000-8000-8000-00000000000b"
    key_repository.add_key(key("ws-b", other), key_limit=10, audit=change(workspace="ws-b", key_id=other))
    assert [k.key_id for k in key_repository.list_keys("ws-a")] == [KEY_ID]


def test_a_key_reads_back_as_written(key_repository: KeyRepository) -> None:
    key_repository.add_key(key(), key_limit=10, audit=change())
    assert key_repository.get_key(KEY_ID) == key()


def test_delete_and_update_are_conditional_on_the_workspace(key_repository: KeyRepository) -> None:
    key_repository.add_key(key(), key_limit=10, audit=change())
    with pytest.raises(KeyNotFound):
        key_repository.update_key("ws-b", KEY_ID, KeyUpdate(name="taken"), audit=change(AuditAction.KEY_UPDATE, "ws-b"))
    with pytest.raises(KeyNotFound):
        key_repository.delete_key("ws-b", KEY_ID, audit=change(AuditAction.KEY_DELETE, "ws-b"))
    assert key_repository.get_key(KEY_ID) == key()


@dataclass
class Invocation:
    remaining_seconds: float

    def get_remaining_time_in_millis(self) -> int:
        return int(self.remaining_seconds * 1000)


def test_no_attempt_starts_that_could_outlast_the_invocation(
    key_repository: KeyRepository, budget: InvocationBudget
) -> None:
    # Given an invocation with less time left than one attempt could take (connect + read timeouts)
    budget.start(Invocation(remaining_seconds=RESPONSE_MARGIN_SECONDS + 2.5))
    # When the store is asked to read, Then it answers "retry later" instead of starting the attempt
    with pytest.raises(ServiceUnavailable):
        key_repository.get_key(KEY_ID)


def test_an_attempt_that_fits_the_invocation_goes_through(
    key_repository: KeyRepository, budget: InvocationBudget, clock: ManualClock
) -> None:
    budget.start(Invocation(remaining_seconds=10))
    clock.now += 10 - RESPONSE_MARGIN_SECONDS - 3  # exactly one worst-case attempt left
    assert key_repository.get_key(KEY_ID) is None


def test_a_policy_reads_back_as_written_and_null_removes_it(key_repository: KeyRepository, dynamodb: Any) -> None:
    # Given a key written with every policy field
    policy = KeyPolicy(
        expires_at=datetime(2027, 1, 31, 23, 59, 59, 250_000, tzinfo=UTC),
        allowed_media=("intro", "course-42-*"),
        max_token_lifetime_seconds=600,
    )
    key_repository.add_key(replace(key(), policy=policy), key_limit=10, audit=change())
    item = items(dynamodb)[(f"KEY#{KEY_ID}", "KEY")]
    # Then the item holds them as the table layout says: epoch ms, a list of strings, a number
    assert (item["expiresAt"], item["allowedMedia"], item["maxTokenLifetimeSeconds"]) == (
        {"N": "1801439999250"},
        {"L": [{"S": "intro"}, {"S": "course-42-*"}]},
        {"N": "600"},
    )
    assert key_repository.get_key(KEY_ID) == replace(key(), policy=policy)
    # When an update clears two of them and keeps the third
    key_repository.update_key(
        "ws-a", KEY_ID, KeyUpdate(expires_at=None, allowed_media=None), change(AuditAction.KEY_UPDATE)
    )
    # Then the cleared attributes are gone from the item, and the key's revision counts the write
    stored = key_repository.get_key(KEY_ID)
    assert stored is not None
    assert stored.policy == KeyPolicy(max_token_lifetime_seconds=600)
    assert stored.revision == 1
    assert {"expiresAt", "allowedMedia"}.isdisjoint(items(dynamodb)[(f"KEY#{KEY_ID}", "KEY")])


def test_an_update_of_the_token_lifetime_cap_is_stored(key_repository: KeyRepository) -> None:
    # Given a key whose tokens may live 600 s
    key_repository.add_key(
        replace(key(), policy=KeyPolicy(max_token_lifetime_seconds=600)), key_limit=10, audit=change()
    )
    # When its owner lowers the cap to 300 s
    key_repository.update_key("ws-a", KEY_ID, KeyUpdate(max_token_lifetime_seconds=300), change(AuditAction.KEY_UPDATE))
    # Then the key reads back with the new cap
    stored = key_repository.get_key(KEY_ID)
    assert stored is not None and stored.policy.max_token_lifetime_seconds == 300


def test_last_seen_is_not_written_again_within_the_interval_another_write_began(key_repository: KeyRepository) -> None:
    # Given a key whose use another container recorded at T
    key_repository.add_key(key(), key_limit=10, audit=change())
    seen_at_ms = 1_800_000_000_000
    key_repository.record_last_seen(KEY_ID, seen_at_ms, 60)
    # When a container records a use 59.999 s later, and another at 60 s
    key_repository.record_last_seen(KEY_ID, seen_at_ms + 59_999, 60)
    within = key_repository.get_key(KEY_ID)
    key_repository.record_last_seen(KEY_ID, seen_at_ms + 60_000, 60)
    after = key_repository.get_key(KEY_ID)
    # Then the first is a quiet no-op and the second is written
    assert within is not None and within.last_seen == datetime.fromtimestamp(seen_at_ms / 1000, UTC)
    assert after is not None and after.last_seen == datetime.fromtimestamp((seen_at_ms + 60_000) / 1000, UTC)


def test_an_update_is_one_transaction(key_repository: KeyRepository, calls: Counter[str]) -> None:
    key_repository.add_key(key(), key_limit=10, audit=change())
    calls.clear()
    key_repository.update_key(
        "ws-a", KEY_ID, KeyUpdate(name="renamed", max_token_lifetime_seconds=120), change(AuditAction.KEY_UPDATE)
    )
    assert calls == Counter({"TransactWriteItems": 1})


class Unprocessed:
    """Answers BatchGetItem as DynamoDB does when it throttles a batch: nothing read, every key handed back
    unprocessed, for the first `rounds` calls (botocore's own hook, so the store sees a real response)."""

    def __init__(self, rounds: int) -> None:
        self.rounds = rounds
        self.calls = 0

    def __call__(self, params: dict[str, Any], **_: Any) -> tuple[Any, dict[str, Any]] | None:
        self.calls += 1
        if self.calls > self.rounds:
            return None
        asked = json.loads(params["body"])["RequestItems"]
        parsed = {"Responses": {}, "UnprocessedKeys": asked, "ResponseMetadata": {"HTTPStatusCode": 200}}
        return SimpleNamespace(status_code=200, headers={}), parsed


def test_unprocessed_keys_of_a_verification_read_are_asked_for_again(
    key_repository: KeyRepository, dynamodb: Any
) -> None:
    # Given a key, and DynamoDB leaving the whole batch unprocessed twice
    key_repository.add_key(key(), key_limit=10, audit=change())
    unprocessed = Unprocessed(rounds=2)
    dynamodb.meta.events.register("before-call.dynamodb.BatchGetItem", unprocessed)
    # When the verifier's read runs
    read = key_repository.read_for_verification("ws-a", key_id=KEY_ID, revocation_ids=[])
    # Then it asked again until everything was read
    assert unprocessed.calls == 3
    assert read.key == key()


def test_a_verification_read_that_stays_unprocessed_is_503(key_repository: KeyRepository, dynamodb: Any) -> None:
    # Given DynamoDB that never processes the batch
    unprocessed = Unprocessed(rounds=1_000)
    dynamodb.meta.events.register("before-call.dynamodb.BatchGetItem", unprocessed)
    # When the verifier's read runs, Then it gives up after a bounded number of attempts: retry later
    with pytest.raises(ServiceUnavailable):
        key_repository.read_for_verification("ws-a", key_id=KEY_ID, revocation_ids=[])
    assert unprocessed.calls == 4


def test_the_audit_trail_lists_newest_first_and_pages_by_its_cursor(
    key_repository: KeyRepository, table: Table
) -> None:
    # Given three keys of ws-a created a minute apart, each with its audit entry
    created = []
    for minute in range(3):
        key_id = f"00000000-0000-8000-8000-00000000001{minute}"
        entry = audit.permitted_change(
            Actor.operator("ws-a"),
            AuditAction.KEY_CREATE,
            retention_days=90,
            now=datetime(2026, 11, 25, 12, minute, tzinfo=UTC),
            key_id=key_id,
        )
        key_repository.add_key(key(key_id=key_id), key_limit=10, audit=entry)
        created.append(key_id)
    # When the trail is read two entries at a time
    trail = AuditRepository(table)
    first = trail.list_audit("ws-a", limit=2, cursor=None)
    assert first.next_cursor is not None
    second = trail.list_audit("ws-a", limit=2, cursor=first.next_cursor)
    # Then the pages hold every entry once, newest first, and the last page says there is no more
    assert [entry.key_id for entry in first.entries + second.entries] == created[::-1]
    assert second.next_cursor is None


def test_an_audit_entry_reads_back_with_every_field_it_was_written_with(
    key_repository: KeyRepository, table: Table
) -> None:
    # Given a key written with an audit entry that fills every optional field
    entry = AuditEntry(
        event_id="0123456789abcdef0123456789abcdef",
        workspace_id="ws-a",
        action=AuditAction.KEY_ROTATE,
        created_at=datetime(2026, 11, 25, 12, 0, 0, 123000, tzinfo=UTC),
        expires_at=datetime(2027, 2, 23, 12, 0, tzinfo=UTC),
        token_id="tok-1",
        source_ip="203.0.113.10",
        request_id="req-1",
        key_id=KEY_ID,
        revocation_id="rev-1",
        credential_token_id="tok-2",
        successor_key_id="00000000-0000-8000-8000-00000000000b",
    )
    key_repository.add_key(key(), key_limit=10, audit=entry)
    # When the trail is read / Then the entry is the one written
    assert AuditRepository(table).list_audit("ws-a", limit=10, cursor=None).entries == [entry]
