"""RevocationService over a moto-backed store, with an injected wall clock: the domain rules of section 8 without
HTTP (what is written, what stands, what a page and a cursor reach). Entries never lapse: they stand until deleted."""

from __future__ import annotations

import base64
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import pytest

from signing_keys import audit
from signing_keys.config import Settings
from signing_keys.errors import InvalidInput, ReadOnlyCredential, RevocationLimitReached, RevocationNotFound
from signing_keys.key_ids import revocation_id_for
from signing_keys.limits import MAX_ACTIVE_CUTOFFS
from signing_keys.models import Actor, Algorithm, AuditAction, RevocationType, Scope, SigningKey
from signing_keys.revocations import RevocationService
from signing_keys.store.keys import KeyRepository
from signing_keys.store.revocations import RevocationRepository
from tests.unit.conftest import TABLE_NAME, ManualClock

SETTINGS = Settings(table_name=TABLE_NAME, max_token_lifetime_seconds=3600, clock_skew_seconds=30)
# Far past any lifetime cap: the moment the old rule let entries lapse (createdAt + cap + 3 skews) is long gone.
A_YEAR = 365 * 86_400
NOW = 1_800_000_000.0
EPOCH = datetime.fromtimestamp(NOW, UTC)
JTI, VIEWER, ISSUED_BEFORE = RevocationType.JTI, RevocationType.VIEWER, RevocationType.ISSUED_BEFORE


def writer(workspace: str) -> Actor:
    return Actor(workspace, "tok-writer", Scope.WRITE, source_ip="203.0.113.9", request_id="req-1")


READER = Actor("ws-a", "tok-reader", Scope.READ, source_ip="203.0.113.9", request_id="req-2")


def cursor_at(sort_key: str) -> str:
    """A cursor as the listing hands them out: the base64url of a sort key (crafted here to probe the bounds)."""
    return base64.urlsafe_b64encode(sort_key.encode()).decode().rstrip("=")


@pytest.fixture
def wall() -> ManualClock:
    """Epoch seconds that move only when a test says so."""
    clock = ManualClock()
    clock.now = NOW
    return clock


@pytest.fixture
def service(revocation_repository: RevocationRepository, wall: ManualClock) -> RevocationService:
    return RevocationService(revocation_repository, SETTINGS, now=wall)


def item(dynamodb: Any, pk: str, sk: str) -> dict[str, Any] | None:
    found: dict[str, Any] | None = dynamodb.get_item(TableName=TABLE_NAME, Key={"PK": {"S": pk}, "SK": {"S": sk}}).get(
        "Item"
    )
    return found


def cutoff_attributes(dynamodb: Any, workspace: str = "ws-a") -> set[str]:
    workspace_item = item(dynamodb, f"WS#{workspace}", "COUNTER") or {}
    return {name for name in workspace_item if name.startswith("cutoff_")}


def test_a_revocation_is_stored_under_the_id_of_its_workspace_type_and_value(
    service: RevocationService, dynamodb: Any
) -> None:
    # Given a jti revoked with a reason
    revoked = service.revoke(writer("ws-a"), JTI, "token-1", reason="leaked")
    # Then it is new, and its id is the one verification computes
    assert revoked.created
    entry = revoked.revocation
    assert entry.revocation_id == revocation_id_for("ws-a", "jti", "token-1")
    assert (entry.type, entry.value, entry.reason, entry.created_at_ms) == (JTI, "token-1", "leaked", NOW * 1000)
    # And the table holds it in the workspace's listing, without a TTL: nothing but a delete removes it
    stored = item(dynamodb, f"REV#{entry.revocation_id}", "REV")
    assert stored is not None
    assert stored["GSI1PK"] == {"S": "REVS#ws-a"}
    assert {"ttl", "expiresAt"}.isdisjoint(stored)


def test_the_same_revocation_again_returns_the_standing_entry_and_writes_nothing(
    service: RevocationService, wall: ManualClock, dynamodb: Any, calls: Counter[str]
) -> None:
    # Given a viewer revoked a minute ago
    first = service.revoke(writer("ws-a"), VIEWER, "viewer-7", reason="first").revocation
    before = item(dynamodb, f"REV#{first.revocation_id}", "REV")
    wall.now += 60
    # When the same viewer is revoked again, with another reason
    again = service.revoke(writer("ws-a"), VIEWER, "viewer-7", reason="second")
    # Then the first entry is returned unchanged, and the stored item is exactly as it was
    assert (again.created, again.revocation) == (False, first)
    assert item(dynamodb, f"REV#{first.revocation_id}", "REV") == before


def test_an_entry_a_year_old_still_stands_and_revoking_again_returns_it(
    service: RevocationService, wall: ManualClock
) -> None:
    # Given a jti revoked a year ago
    first = service.revoke(writer("ws-a"), JTI, "token-1").revocation
    wall.now += A_YEAR
    # When the jti is revoked again, Then the year-old entry is what stands
    again = service.revoke(writer("ws-a"), JTI, "token-1")
    assert (again.created, again.revocation) == (False, first)


def test_an_issued_before_more_than_a_minute_ahead_is_invalid(service: RevocationService, dynamodb: Any) -> None:
    with pytest.raises(InvalidInput) as refused:
        service.revoke(writer("ws-a"), ISSUED_BEFORE, int(NOW) + 61)
    assert [field.field for field in refused.value.fields] == ["issuedBefore"]
    assert cutoff_attributes(dynamodb) == set()


def test_an_issued_before_sets_its_cut_off_on_the_workspace_item_and_delete_removes_it(
    service: RevocationService, dynamodb: Any
) -> None:
    # Given an issuedBefore revocation
    entry = service.revoke(writer("ws-a"), ISSUED_BEFORE, int(NOW)).revocation
    # Then the workspace item carries its cut-off, read with the key by verification
    workspace_item = item(dynamodb, "WS#ws-a", "COUNTER")
    assert workspace_item is not None
    cutoff = workspace_item[f"cutoff_{entry.revocation_id}"]["M"]
    assert cutoff == {"issuedBefore": {"N": str(int(NOW))}}
    # When it is deleted, Then the entry and the cut-off are gone together
    service.delete(writer("ws-a"), entry.revocation_id)
    assert item(dynamodb, f"REV#{entry.revocation_id}", "REV") is None
    assert cutoff_attributes(dynamodb) == set()


def test_a_new_issued_before_keeps_the_earlier_cut_offs_however_old(
    service: RevocationService, wall: ManualClock, dynamodb: Any
) -> None:
    # Given an issuedBefore cut-off made a year ago
    old = service.revoke(writer("ws-a"), ISSUED_BEFORE, int(NOW) - 10).revocation
    wall.now += A_YEAR
    # When another issuedBefore is revoked
    new = service.revoke(writer("ws-a"), ISSUED_BEFORE, int(wall.now)).revocation
    # Then the workspace item carries both (deleting the new one must leave the old one in force)
    assert cutoff_attributes(dynamodb) == {f"cutoff_{old.revocation_id}", f"cutoff_{new.revocation_id}"}


def test_issued_before_revocations_are_bounded_but_repeating_one_is_not_refused(
    service: RevocationService, dynamodb: Any
) -> None:
    # Given as many issuedBefore cut-offs as a workspace may hold (one made here, the rest written as the
    # store lays them out, which is quicker than a hundred revocations)
    service.revoke(writer("ws-a"), ISSUED_BEFORE, int(NOW))
    active = {"issuedBefore": {"N": str(int(NOW))}}
    others = {f"#c{n}": f"cutoff_{revocation_id_for('ws-a', 'issuedBefore', n)}" for n in range(MAX_ACTIVE_CUTOFFS - 1)}
    dynamodb.update_item(
        TableName=TABLE_NAME,
        Key={"PK": {"S": "WS#ws-a"}, "SK": {"S": "COUNTER"}},
        UpdateExpression="SET " + ", ".join(f"{name} = :cutoff" for name in others),
        ExpressionAttributeNames=others,
        ExpressionAttributeValues={":cutoff": {"M": active}},
    )
    # When one more is asked for, Then it is refused
    with pytest.raises(RevocationLimitReached):
        service.revoke(writer("ws-a"), ISSUED_BEFORE, int(NOW) - 1)
    # And repeating a standing one still returns it
    assert not service.revoke(writer("ws-a"), ISSUED_BEFORE, int(NOW)).created


def test_revoking_and_deleting_a_jti_leaves_the_workspace_item_as_it_was(
    service: RevocationService, key_repository: KeyRepository, dynamodb: Any
) -> None:
    # Given a workspace holding a key (its item counts it)
    key_id = "00000000-0000-8000-8000-00000000000a"
    created = audit.permitted_change(writer("ws-a"), AuditAction.KEY_CREATE, retention_days=90, key_id=key_id)
    key_repository.add_key(SigningKey(key_id, "ws-a", Algorithm.ES256, "pem", EPOCH), 10, created)
    before = item(dynamodb, "WS#ws-a", "COUNTER")
    # When a jti is revoked and the revocation deleted (its delete removes a cut-off the item does not have)
    entry = service.revoke(writer("ws-a"), JTI, "token-1").revocation
    service.delete(writer("ws-a"), entry.revocation_id)
    # Then the workspace item is unchanged: same key count, no attribute added
    assert item(dynamodb, "WS#ws-a", "COUNTER") == before


def test_a_page_is_newest_first_and_the_cursor_reaches_the_rest(service: RevocationService, wall: ManualClock) -> None:
    # Given five revocations made a second apart
    made = []
    for n in range(5):
        made.append(service.revoke(writer("ws-a"), JTI, f"token-{n}").revocation.revocation_id)
        wall.now += 1
    # When they are listed two at a time
    first = service.page("ws-a", limit=2, cursor=None)
    second = service.page("ws-a", limit=2, cursor=first.next_cursor)
    third = service.page("ws-a", limit=2, cursor=second.next_cursor)
    # Then the pages hold them newest first, and the last page has no cursor
    listed = [entry.revocation_id for page in (first, second, third) for entry in page.revocations]
    assert listed == made[::-1]
    assert third.next_cursor is None


def test_entries_however_old_are_listed(service: RevocationService, wall: ManualClock) -> None:
    old = service.revoke(writer("ws-a"), JTI, "old").revocation
    wall.now += A_YEAR
    fresh = service.revoke(writer("ws-a"), JTI, "fresh").revocation
    assert service.page("ws-a", limit=10, cursor=None).revocations == [fresh, old]


def test_a_cursor_never_reaches_another_workspaces_entries(service: RevocationService, wall: ManualClock) -> None:
    # Given an entry in ws-b, and a cursor pointing just past it
    theirs = service.revoke(writer("ws-b"), JTI, "theirs").revocation
    wall.now += 1
    ours = service.revoke(writer("ws-a"), JTI, "ours").revocation
    cursor = cursor_at(f"{theirs.created_at_ms + 1:013d}#{theirs.revocation_id}")
    # When ws-a lists from it, Then only ws-a's entries older than that point come back: none
    assert service.page("ws-a", limit=10, cursor=cursor).revocations == []
    assert service.page("ws-a", limit=10, cursor=None).revocations == [ours]


@pytest.mark.parametrize(
    "cursor",
    [
        "not base64 !",
        cursor_at("1800000000000#not-an-id"),
        cursor_at("REVS#ws-b"),
        "",
        "é",
    ],
)
def test_a_cursor_this_api_did_not_hand_out_is_invalid(service: RevocationService, cursor: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        service.page("ws-a", limit=10, cursor=cursor)
    assert [field.field for field in refused.value.fields] == ["cursor"]


def test_another_workspace_cannot_delete_a_revocation(service: RevocationService) -> None:
    entry = service.revoke(writer("ws-a"), JTI, "token-1").revocation
    with pytest.raises(RevocationNotFound):
        service.delete(writer("ws-b"), entry.revocation_id)
    assert service.page("ws-a", limit=10, cursor=None).revocations == [entry]


def test_deleting_twice_is_not_found_the_second_time(service: RevocationService) -> None:
    entry = service.revoke(writer("ws-a"), VIEWER, "viewer-7").revocation
    service.delete(writer("ws-a"), entry.revocation_id)
    with pytest.raises(RevocationNotFound):
        service.delete(writer("ws-a"), entry.revocation_id)


def test_an_entry_a_year_old_can_be_deleted(service: RevocationService, wall: ManualClock) -> None:
    entry = service.revoke(writer("ws-a"), JTI, "token-1").revocation
    wall.now += A_YEAR
    service.delete(writer("ws-a"), entry.revocation_id)
    assert service.page("ws-a", limit=10, cursor=None).revocations == []


@pytest.mark.parametrize("revocation_id", ["not-an-id", "00000000-0000-4000-8000-000000000000", "x" * 1000])
def test_an_id_of_another_shape_is_not_found_without_a_dynamodb_call(
    service: RevocationService, calls: Counter[str], revocation_id: str
) -> None:
    with pytest.raises(RevocationNotFound):
        service.delete(writer("ws-a"), revocation_id)
    assert calls == Counter()


def audit_entries(dynamodb: Any, workspace: str = "ws-a") -> list[dict[str, Any]]:
    return [item for item in dynamodb.scan(TableName=TABLE_NAME)["Items"] if item["PK"]["S"] == f"AUDIT#{workspace}"]


def test_creating_and_deleting_a_revocation_each_write_their_audit_entry(
    service: RevocationService, dynamodb: Any
) -> None:
    # Given a revocation made and deleted by a credential
    entry = service.revoke(writer("ws-a"), JTI, "token-1").revocation
    service.delete(writer("ws-a"), entry.revocation_id)
    # Then the audit trail holds both changes, naming the revocation and the credential, never the value
    recorded = sorted(
        (item["action"]["S"], item["revocationId"]["S"], item["tokenId"]["S"]) for item in audit_entries(dynamodb)
    )
    assert recorded == [
        ("revocation.create", entry.revocation_id, "tok-writer"),
        ("revocation.delete", entry.revocation_id, "tok-writer"),
    ]
    assert all("token-1" not in str(item) for item in audit_entries(dynamodb))


def test_a_repeated_revocation_or_a_missing_one_writes_no_audit_entry(
    service: RevocationService, dynamodb: Any
) -> None:
    service.revoke(writer("ws-a"), VIEWER, "viewer-7")
    service.revoke(writer("ws-a"), VIEWER, "viewer-7")
    with pytest.raises(RevocationNotFound):
        service.delete(writer("ws-a"), "00000000-0000-8000-8000-000000000000")
    assert [item["action"]["S"] for item in audit_entries(dynamodb)] == ["revocation.create"]


@pytest.mark.parametrize("change", ["revoke", "delete"])
def test_a_read_only_caller_changes_nothing(service: RevocationService, calls: Counter[str], change: str) -> None:
    # Given a read-scoped caller reaching the service directly (past the route's own guard)
    operations = {
        "revoke": lambda: service.revoke(READER, JTI, "token-1"),
        "delete": lambda: service.delete(READER, "00000000-0000-8000-8000-000000000000"),
    }
    # When it asks for a change / Then it is refused before any DynamoDB call
    with pytest.raises(ReadOnlyCredential):
        operations[change]()
    assert calls == Counter()
