"""The edge's deny list from the table's changes: each change a viewer's session must feel becomes exactly its
entry, and what the edge does not judge (lastSeen, names, the key count) becomes nothing. Images are the items as
the real store wrote them (on moto), before and after each change, as DynamoDB Streams hands them over."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from signing_keys.config import Settings
from signing_keys.edge_deny_list import (
    Delete,
    Put,
    SetIssuedBefore,
    changes,
    decode,
    encode,
    entry_lifetime_seconds,
    expired,
)
from signing_keys.models import KEEP, Actor, Algorithm, KeyUpdate, RevocationType
from signing_keys.revocations import RevocationService
from signing_keys.service import KeyService
from signing_keys.store.keys import KeyRepository
from signing_keys.store.revocations import RevocationRepository
from tests.unit.conftest import TABLE_NAME

NOW = 1_800_000_000
LIFETIME = entry_lifetime_seconds(21_600, 1000)
OWNER = Actor.operator("ws-a")


def item(dynamodb: Any, pk: str, sk: str) -> dict[str, Any] | None:
    found: dict[str, Any] | None = dynamodb.get_item(TableName=TABLE_NAME, Key={"PK": {"S": pk}, "SK": {"S": sk}}).get(
        "Item"
    )
    return found


def record(old: dict[str, Any] | None, new: dict[str, Any] | None) -> dict[str, Any]:
    name = "INSERT" if old is None else "REMOVE" if new is None else "MODIFY"
    images = {"OldImage": old} if old is not None else {}
    if new is not None:
        images["NewImage"] = new
    return {"eventName": name, "dynamodb": {"ApproximateCreationDateTime": NOW, **images}}


@pytest.fixture
def keys(key_repository: KeyRepository) -> KeyService:
    return KeyService(key_repository, Settings(table_name=TABLE_NAME))


def created_key(keys: KeyService) -> str:
    return keys.create_key(OWNER, default_algorithm=Algorithm.ES256).key.key_id


def update(keys: KeyService, key_id: str, **fields: Any) -> None:
    values = {
        "name": KEEP,
        "disabled": KEEP,
        "expires_at": KEEP,
        "allowed_media": KEEP,
        "max_token_lifetime_seconds": KEEP,
    }
    keys.update_key(OWNER, key_id, KeyUpdate(**(values | fields)))


def key_change(dynamodb: Any, keys: KeyService, key_id: str, change: Any) -> list[Any]:
    before = item(dynamodb, f"KEY#{key_id}", "KEY")
    change()
    return changes([record(before, item(dynamodb, f"KEY#{key_id}", "KEY"))], now=NOW, lifetime=LIFETIME)


def test_a_disabled_key_denies_all_its_sessions_until_none_can_be_valid(dynamodb: Any, keys: KeyService) -> None:
    key_id = created_key(keys)
    found = key_change(dynamodb, keys, key_id, lambda: update(keys, key_id, disabled=True))
    assert found == [Put(f"k:{key_id}", {"from": 0, "until": NOW + LIFETIME}, "ws-a")]


def test_a_deleted_key_denies_all_its_sessions(dynamodb: Any, keys: KeyService) -> None:
    key_id = created_key(keys)
    found = key_change(dynamodb, keys, key_id, lambda: keys.delete_key(OWNER, key_id))
    assert found == [Put(f"k:{key_id}", {"from": 0, "until": NOW + LIFETIME}, "ws-a")]


def test_an_expiry_denies_the_keys_sessions_from_that_moment(dynamodb: Any, keys: KeyService) -> None:
    key_id = created_key(keys)
    moment = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=1)
    found = key_change(dynamodb, keys, key_id, lambda: update(keys, key_id, expires_at=moment))
    assert found == [Put(f"k:{key_id}", {"from": int(moment.timestamp()), "until": NOW + LIFETIME}, "ws-a")]


def test_a_re_enabled_key_without_expiry_leaves_the_deny_list(dynamodb: Any, keys: KeyService) -> None:
    key_id = created_key(keys)
    update(keys, key_id, disabled=True)
    found = key_change(dynamodb, keys, key_id, lambda: update(keys, key_id, disabled=False))
    assert found == [Delete(f"k:{key_id}")]


@pytest.mark.parametrize(
    "change",
    [
        lambda repository, keys, key_id: repository.record_last_seen(key_id, NOW * 1000, 60),
        lambda repository, keys, key_id: update(keys, key_id, name="renamed"),
        lambda repository, keys, key_id: update(keys, key_id, allowed_media=("intro",)),
    ],
    ids=["lastSeen", "a rename", "a media scope"],
)
def test_what_the_edge_does_not_judge_changes_nothing(
    dynamodb: Any, key_repository: KeyRepository, keys: KeyService, change: Any
) -> None:
    key_id = created_key(keys)
    assert key_change(dynamodb, keys, key_id, lambda: change(key_repository, keys, key_id)) == []


@pytest.mark.parametrize("kind", [RevocationType.JTI, RevocationType.VIEWER])
def test_a_jti_or_viewer_revocation_denies_the_sessions_naming_it_and_its_delete_lifts_it(
    dynamodb: Any, revocation_repository: RevocationRepository, kind: RevocationType
) -> None:
    service = RevocationService(revocation_repository, Settings(table_name=TABLE_NAME), now=lambda: NOW)
    entry = service.revoke(OWNER, kind, "value-1").revocation
    stored = item(dynamodb, f"REV#{entry.revocation_id}", "REV")
    assert changes([record(None, stored)], now=NOW, lifetime=LIFETIME) == [
        Put(f"r:{entry.revocation_id}", {"until": NOW + LIFETIME}, "ws-a")
    ]
    assert changes([record(stored, None)], now=NOW, lifetime=LIFETIME) == [Delete(f"r:{entry.revocation_id}")]


def test_issued_before_revocations_reach_the_edge_as_the_workspaces_latest_cut_off(
    dynamodb: Any, revocation_repository: RevocationRepository
) -> None:
    service = RevocationService(revocation_repository, Settings(table_name=TABLE_NAME), now=lambda: NOW)
    service.revoke(OWNER, RevocationType.ISSUED_BEFORE, NOW - 100)
    before = item(dynamodb, "WS#ws-a", "COUNTER")
    later = service.revoke(OWNER, RevocationType.ISSUED_BEFORE, NOW - 10).revocation
    after = item(dynamodb, "WS#ws-a", "COUNTER")
    revocation_item = item(dynamodb, f"REV#{later.revocation_id}", "REV")
    found = changes([record(None, revocation_item), record(before, after)], now=NOW, lifetime=LIFETIME)
    # The entry's own record makes nothing (the cut-offs travel on the workspace item); the workspace's does
    assert found == [SetIssuedBefore("w:ws-a", NOW - 10, NOW + LIFETIME)]
    service.delete(OWNER, later.revocation_id)
    reverted = changes([record(after, item(dynamodb, "WS#ws-a", "COUNTER"))], now=NOW, lifetime=LIFETIME)
    assert reverted == [SetIssuedBefore("w:ws-a", NOW - 100, NOW + LIFETIME)]


def test_a_key_count_change_on_the_workspace_item_changes_nothing(dynamodb: Any, keys: KeyService) -> None:
    created_key(keys)
    before = item(dynamodb, "WS#ws-a", "COUNTER")
    created_key(keys)
    assert changes([record(before, item(dynamodb, "WS#ws-a", "COUNTER"))], now=NOW, lifetime=LIFETIME) == []


def test_items_the_edge_never_reads_change_nothing(dynamodb: Any, keys: KeyService) -> None:
    created_key(keys)
    audit = [entry for entry in dynamodb.scan(TableName=TABLE_NAME)["Items"] if entry["PK"]["S"].startswith("AUDIT#")]
    assert audit
    assert changes([record(None, entry) for entry in audit], now=NOW, lifetime=LIFETIME) == []


def test_an_entry_expires_once_its_until_has_passed_and_an_unreadable_one_is_kept() -> None:
    assert expired(encode({"until": NOW - 1}), NOW)
    assert not expired(encode({"until": NOW}), NOW)
    assert not expired("not json", NOW)
    assert decode("[1]") is None


def test_entries_live_a_session_plus_the_key_cache_and_a_margin() -> None:
    assert entry_lifetime_seconds(21_600, 1000) == 21_600 + 1 + 60
    assert entry_lifetime_seconds(300, 2500) == 300 + 3 + 60
