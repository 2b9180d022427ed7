"""CredentialService over a moto-backed store, on an injected clock: scopes, disable/enable, rotation with a grace
period, the audit entry of every lifecycle change, and credentials stored before scopes existed."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from signing_keys.credentials import MAX_AUTHORIZATION_CHARS, CredentialService, IssuedCredential
from signing_keys.errors import CredentialNotFound, Unauthenticated
from signing_keys.models import Scope, to_millis
from signing_keys.store.credential_items import secret_hash
from signing_keys.store.credentials import CredentialRepository
from tests.unit.conftest import TABLE_NAME

START = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


class WallClock:
    """The credential service's clock, moved by the test."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def wall_clock() -> WallClock:
    return WallClock()


@pytest.fixture
def credentials(credential_repository: CredentialRepository, wall_clock: WallClock) -> CredentialService:
    return CredentialService(credential_repository, audit_retention_days=90, clock=wall_clock)


def basic(issued: IssuedCredential, secret: str | None = None) -> str:
    return "Basic " + base64.b64encode(f"{issued.token_id}:{secret or issued.secret}".encode()).decode()


def issue(credentials: CredentialService, scope: Scope = Scope.WRITE) -> IssuedCredential:
    issued = credentials.issue("ws-a", scope=scope)
    assert issued is not None
    return issued


def audit_items(dynamodb: Any) -> list[dict[str, Any]]:
    items = dynamodb.scan(TableName=TABLE_NAME)["Items"]
    return sorted((item for item in items if item["PK"]["S"].startswith("AUDIT#")), key=lambda item: item["SK"]["S"])


@pytest.mark.parametrize("scope", list(Scope))
def test_a_credential_authenticates_with_its_scope(credentials: CredentialService, scope: Scope) -> None:
    # Given a credential issued with a scope
    issued = issue(credentials, scope)
    # When it is presented, Basic or Bearer
    resolved = [credentials.authenticate(basic(issued)), credentials.authenticate(f"Bearer {issued.secret}")]
    # Then it resolves to its workspace, token id and scope
    assert {(c.workspace_id, c.token_id, c.scope) for c in resolved} == {("ws-a", issued.token_id, scope)}


def test_a_credential_is_write_scoped_unless_asked(credentials: CredentialService) -> None:
    assert issue(credentials).scope is Scope.WRITE


def test_a_credential_stored_before_scopes_existed_is_write_scoped(
    credentials: CredentialService, dynamodb: Any
) -> None:
    # Given a credential item as the previous version wrote it: no scope, no listing attributes
    dynamodb.put_item(
        TableName=TABLE_NAME,
        Item={
            "PK": {"S": f"CRED#{secret_hash('legacy-secret')}"},
            "SK": {"S": "CRED"},
            "tokenId": {"S": "tok-legacy"},
            "workspaceId": {"S": "ws-a"},
            "createdAt": {"S": "2026-01-01T00:00:00.000Z"},
            "disabled": {"BOOL": False},
        },
    )
    # When it is presented / Then it may still write, as it always could
    assert credentials.authenticate("Bearer legacy-secret").scope is Scope.WRITE


def test_a_secret_no_credential_has_is_refused(credentials: CredentialService) -> None:
    # Given a workspace with a credential
    issue(credentials)
    # When a secret none of its credentials has is presented / Then it is refused
    with pytest.raises(Unauthenticated):
        credentials.authenticate("Bearer a-secret-nobody-was-issued")


@pytest.mark.parametrize(
    ("length", "accepted"), [(MAX_AUTHORIZATION_CHARS, True), (MAX_AUTHORIZATION_CHARS + 1, False)]
)
def test_an_authorization_header_past_its_cap_is_refused_even_around_a_valid_secret(
    credentials: CredentialService, length: int, accepted: bool
) -> None:
    # Given a valid Bearer secret padded with trailing spaces (which the parser strips) to a length
    issued = issue(credentials)
    header = f"Bearer {issued.secret}".ljust(length)
    # When it is presented, Then it is read only up to the cap
    if accepted:
        assert credentials.authenticate(header).token_id == issued.token_id
    else:
        with pytest.raises(Unauthenticated):
            credentials.authenticate(header)


def test_a_basic_value_with_characters_outside_base64_is_refused(credentials: CredentialService) -> None:
    # Given a valid Basic value with a character no base64 alphabet has inserted (lenient decoders drop it)
    issued = issue(credentials)
    encoded = basic(issued).removeprefix("Basic ")
    # When it is presented / Then it is refused, not decoded leniently
    with pytest.raises(Unauthenticated):
        credentials.authenticate(f"Basic {encoded[:4]}!{encoded[4:]}")


def test_basic_with_the_right_secret_under_another_token_id_is_refused(credentials: CredentialService) -> None:
    # Given a credential, and a Basic value pairing its secret with another token id
    issued = issue(credentials)
    forged = base64.b64encode(f"someone-else:{issued.secret}".encode()).decode()
    # When it is presented / Then the token id must be the secret's own
    with pytest.raises(Unauthenticated):
        credentials.authenticate(f"Basic {forged}")


def test_a_secret_containing_colons_authenticates_under_basic(credentials: CredentialService) -> None:
    # Given a credential whose secret contains colons (RFC 7617: the user-id ends at the first one)
    issued = credentials.issue("ws-a", "tok-colons", "se:cr:et-of-an-import")
    assert issued is not None
    # When it is presented as Basic / Then it resolves to its token id
    assert credentials.authenticate(basic(issued)).token_id == "tok-colons"


def test_an_issued_credential_answers_its_workspace_and_scope(credentials: CredentialService) -> None:
    issued = issue(credentials, Scope.READ)
    assert (issued.workspace_id, issued.scope) == ("ws-a", Scope.READ)


def test_a_rotated_credential_answers_its_workspace(credentials: CredentialService) -> None:
    rotated = credentials.rotate("ws-a", issue(credentials).token_id)
    assert rotated.workspace_id == "ws-a"


def test_a_disabled_credential_is_refused_and_accepted_again_once_enabled(credentials: CredentialService) -> None:
    # Given a credential
    issued = issue(credentials)
    # When it is disabled, Then it is refused
    credentials.set_disabled("ws-a", issued.token_id, disabled=True)
    with pytest.raises(Unauthenticated):
        credentials.authenticate(basic(issued))
    # When it is enabled again, Then it is accepted
    credentials.set_disabled("ws-a", issued.token_id, disabled=False)
    assert credentials.authenticate(basic(issued)).token_id == issued.token_id


def test_disabling_a_token_id_leaves_the_workspaces_other_credentials_working(credentials: CredentialService) -> None:
    # Given two credentials of ws-a
    disabled, other = issue(credentials), issue(credentials)
    # When one is disabled
    credentials.set_disabled("ws-a", disabled.token_id, disabled=True)
    # Then the other still authenticates
    assert credentials.authenticate(basic(other)).token_id == other.token_id


def test_the_old_secret_works_until_the_grace_period_ends_and_the_new_one_from_the_start(
    credentials: CredentialService, wall_clock: WallClock
) -> None:
    # Given a credential rotated with a grace period of 300 s
    issued = issue(credentials)
    rotated = credentials.rotate("ws-a", issued.token_id, grace_seconds=300)
    # Then both secrets work during the grace period, for the same token id
    wall_clock.advance(299.999)
    assert credentials.authenticate(basic(issued)).token_id == issued.token_id
    assert credentials.authenticate(basic(rotated)).token_id == issued.token_id
    # And once it has passed, only the new one does
    wall_clock.advance(0.001)
    with pytest.raises(Unauthenticated):
        credentials.authenticate(basic(issued))
    assert credentials.authenticate(basic(rotated)).token_id == issued.token_id


def test_without_a_grace_period_the_old_secret_is_refused_at_once(credentials: CredentialService) -> None:
    # Given a credential / When it is rotated without grace
    issued = issue(credentials)
    rotated = credentials.rotate("ws-a", issued.token_id)
    # Then the old secret is refused and the new one accepted
    with pytest.raises(Unauthenticated):
        credentials.authenticate(f"Bearer {issued.secret}")
    assert credentials.authenticate(f"Bearer {rotated.secret}").token_id == issued.token_id
    assert rotated.secret != issued.secret


def test_a_rotation_keeps_the_scope(credentials: CredentialService) -> None:
    issued = issue(credentials, Scope.READ)
    rotated = credentials.rotate("ws-a", issued.token_id)
    assert rotated.scope is Scope.READ
    assert credentials.authenticate(basic(rotated)).scope is Scope.READ


def test_enabling_a_credential_never_revives_a_secret_its_rotation_retired(credentials: CredentialService) -> None:
    # Given a credential rotated (old secret retired at once), then disabled
    issued = issue(credentials)
    rotated = credentials.rotate("ws-a", issued.token_id)
    credentials.set_disabled("ws-a", issued.token_id, disabled=True)
    # When it is enabled again
    credentials.set_disabled("ws-a", issued.token_id, disabled=False)
    # Then the new secret works and the retired one stays refused
    assert credentials.authenticate(basic(rotated)).token_id == issued.token_id
    with pytest.raises(Unauthenticated):
        credentials.authenticate(basic(issued))


def test_a_disabled_credential_stays_disabled_through_a_rotation(credentials: CredentialService) -> None:
    issued = issue(credentials)
    credentials.set_disabled("ws-a", issued.token_id, disabled=True)
    rotated = credentials.rotate("ws-a", issued.token_id)
    with pytest.raises(Unauthenticated):
        credentials.authenticate(basic(rotated))


def test_a_second_rotation_within_the_grace_never_extends_an_earlier_retirement(
    credentials: CredentialService, wall_clock: WallClock
) -> None:
    # Given a credential rotated with 60 s of grace, then again with 600 s
    first = issue(credentials)
    second = credentials.rotate("ws-a", first.token_id, grace_seconds=60)
    third = credentials.rotate("ws-a", first.token_id, grace_seconds=600)
    # When 60 s have passed
    wall_clock.advance(60)
    # Then the first secret has ended as first promised, the second still works, the third too
    with pytest.raises(Unauthenticated):
        credentials.authenticate(basic(first))
    assert credentials.authenticate(basic(second)).token_id == first.token_id
    assert credentials.authenticate(basic(third)).token_id == first.token_id


def test_a_second_rotation_within_the_grace_retires_the_secret_the_first_one_issued(
    credentials: CredentialService, wall_clock: WallClock
) -> None:
    # Given a credential rotated with 60 s of grace a second after it was issued, then again with 600 s
    first = issue(credentials)
    wall_clock.advance(1)
    second = credentials.rotate("ws-a", first.token_id, grace_seconds=60)
    wall_clock.advance(1)
    third = credentials.rotate("ws-a", first.token_id, grace_seconds=600)
    # When 600 s have passed
    wall_clock.advance(600)
    # Then the second secret has ended too, and only the third works
    with pytest.raises(Unauthenticated):
        credentials.authenticate(basic(second))
    assert credentials.authenticate(basic(third)).token_id == first.token_id


def test_a_retired_secrets_item_leaves_the_table_a_day_after_it_stopped_working(
    credentials: CredentialService, dynamodb: Any
) -> None:
    # Given a credential rotated with 60 s of grace
    issued = issue(credentials)
    credentials.rotate("ws-a", issued.token_id, grace_seconds=60)
    # When the retired secret's item is read
    (retired,) = [
        item
        for item in dynamodb.scan(TableName=TABLE_NAME)["Items"]
        if item["PK"]["S"] == f"CRED#{secret_hash(issued.secret)}"
    ]
    # Then the table's TTL removes it a day after its end
    assert int(retired["ttl"]["N"]) == int(START.timestamp()) + 60 + 86_400


def test_listing_shows_every_secret_of_every_token_id_and_no_other_workspace(credentials: CredentialService) -> None:
    # Given two credentials of ws-a, one of them rotated with grace, and one of ws-b
    reader, writer = issue(credentials, Scope.READ), issue(credentials)
    credentials.rotate("ws-a", writer.token_id, grace_seconds=60)
    credentials.issue("ws-b")
    # When ws-a's credentials are listed
    listed = credentials.list("ws-a")
    # Then each secret is a row, by token id: the reader's, and the writer's retiring and current ones
    rows = sorted((c.token_id, c.scope, c.disable_at is not None) for c in listed)
    assert rows == sorted(
        [
            (reader.token_id, Scope.READ, False),
            (writer.token_id, Scope.WRITE, True),
            (writer.token_id, Scope.WRITE, False),
        ]
    )


@pytest.mark.parametrize("change", ["disable", "enable", "rotate"])
def test_an_unknown_token_id_is_not_found_and_changes_nothing(
    credentials: CredentialService, dynamodb: Any, change: str
) -> None:
    # Given a credential of ws-b, and the token id of none in ws-a
    other = credentials.issue("ws-b")
    assert other is not None
    before = dynamodb.scan(TableName=TABLE_NAME)["Items"]
    # When a change names ws-b's token id in ws-a
    with pytest.raises(CredentialNotFound):
        if change == "rotate":
            credentials.rotate("ws-a", other.token_id)
        else:
            credentials.set_disabled("ws-a", other.token_id, disabled=change == "disable")
    # Then nothing was written, audit entry included
    assert dynamodb.scan(TableName=TABLE_NAME)["Items"] == before


def test_every_lifecycle_change_writes_one_audit_entry_without_the_secret(
    credentials: CredentialService, dynamodb: Any, wall_clock: WallClock
) -> None:
    # Given a credential issued, rotated, disabled and enabled, a second apart
    issued = issue(credentials, Scope.READ)
    wall_clock.advance(1)
    rotated = credentials.rotate("ws-a", issued.token_id, grace_seconds=5)
    wall_clock.advance(1)
    credentials.set_disabled("ws-a", issued.token_id, disabled=True)
    wall_clock.advance(1)
    credentials.set_disabled("ws-a", issued.token_id, disabled=False)
    # When the workspace's audit entries are read
    entries = audit_items(dynamodb)
    # Then there is one per change, naming the credential and the operator tooling, and neither secret nor hash
    assert [(e["action"]["S"], e["credentialTokenId"]["S"], e["tokenId"]["S"]) for e in entries] == [
        ("credential.create", issued.token_id, "operator"),
        ("credential.rotate", issued.token_id, "operator"),
        ("credential.disable", issued.token_id, "operator"),
        ("credential.enable", issued.token_id, "operator"),
    ]
    text = json.dumps(entries)
    for secret in (issued.secret, rotated.secret):
        assert secret not in text
        assert secret_hash(secret) not in text


def test_every_lifecycle_change_is_audited_at_the_services_time(
    credentials: CredentialService, dynamodb: Any, wall_clock: WallClock
) -> None:
    # Given a credential issued, rotated, disabled and enabled, a second apart on the service's clock
    issued = issue(credentials)
    wall_clock.advance(1)
    credentials.rotate("ws-a", issued.token_id)
    wall_clock.advance(1)
    credentials.set_disabled("ws-a", issued.token_id, disabled=True)
    wall_clock.advance(1)
    credentials.set_disabled("ws-a", issued.token_id, disabled=False)
    # When the audit entries are read / Then each is dated by that clock, not by the machine's
    started = to_millis(START)
    assert [int(entry["createdAt"]["N"]) for entry in audit_items(dynamodb)] == [
        started + 1000 * second for second in range(4)
    ]


def test_issuing_a_secret_that_exists_writes_nothing(credentials: CredentialService, dynamodb: Any) -> None:
    # Given a credential with a known secret
    assert credentials.issue("ws-a", "tok-1", "a-known-secret") is not None
    before = dynamodb.scan(TableName=TABLE_NAME)["Items"]
    # When the same secret is issued again / Then nothing is issued or written
    assert credentials.issue("ws-a", "tok-2", "a-known-secret") is None
    assert dynamodb.scan(TableName=TABLE_NAME)["Items"] == before
