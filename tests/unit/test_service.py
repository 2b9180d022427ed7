"""KeyService over a moto-backed store: the domain rules, without HTTP or dialects."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from signing_keys.config import Settings
from signing_keys.errors import InvalidInput, KeyLimitReached, KeyNotFound, ReadOnlyCredential
from signing_keys.models import Actor, Algorithm, KeyPolicy, KeyUpdate, Scope
from signing_keys.service import KeyService
from signing_keys.store.keys import KeyRepository

MISSING_OF_OUR_SHAPE = "00000000-0000-8000-8000-000000000000"


@pytest.fixture
def service(key_repository: KeyRepository) -> KeyService:
    return KeyService(key_repository, Settings(table_name="unused", key_limit=3))


def create(service: KeyService, workspace: str = "ws-a", name: str | None = None) -> str:
    return service.create_key(Actor.operator(workspace), default_algorithm=Algorithm.ES256, name=name).key.key_id


def test_a_created_key_is_listed_with_its_generated_pair(service: KeyService) -> None:
    created = service.create_key(Actor.operator("ws-a"), default_algorithm=Algorithm.ES256, name="studio")
    assert created.private_key_pem is not None and created.private_key_pem.startswith("-----BEGIN PRIVATE KEY-----")
    (listed,) = service.list_keys("ws-a")
    assert (listed.key_id, listed.name, listed.algorithm) == (created.key.key_id, "studio", Algorithm.ES256)


def test_the_key_limit_holds_and_a_delete_frees_a_slot(service: KeyService) -> None:
    ids = [create(service) for _ in range(3)]
    with pytest.raises(KeyLimitReached):
        create(service)
    service.delete_key(Actor.operator("ws-a"), ids[0])
    create(service)
    assert len(service.list_keys("ws-a")) == 3


def test_another_workspaces_key_is_not_found(service: KeyService) -> None:
    key_id = create(service, "ws-b")
    with pytest.raises(KeyNotFound):
        service.get_key("ws-a", key_id)
    with pytest.raises(KeyNotFound):
        service.update_key(Actor.operator("ws-a"), key_id, KeyUpdate(name="taken"))
    with pytest.raises(KeyNotFound):
        service.delete_key(Actor.operator("ws-a"), key_id)
    assert service.get_key("ws-b", key_id).name is None


@pytest.mark.parametrize("key_id", ["not-a-key", "", "k" * 1000, "a/b", "ABCDEF00-0000-8000-8000-000000000000"])
def test_an_id_that_cannot_be_a_key_is_not_found_without_a_read(
    service: KeyService, calls: Counter[str], key_id: str
) -> None:
    for operation in (
        lambda: service.get_key("ws-a", key_id),
        lambda: service.update_key(Actor.operator("ws-a"), key_id, KeyUpdate(name="x")),
        lambda: service.delete_key(Actor.operator("ws-a"), key_id),
    ):
        with pytest.raises(KeyNotFound):
            operation()
    assert calls == Counter()


def test_a_missing_id_of_our_shape_is_looked_up(service: KeyService, calls: Counter[str]) -> None:
    with pytest.raises(KeyNotFound):
        service.get_key("ws-a", MISSING_OF_OUR_SHAPE)
    assert calls == Counter({"GetItem": 1})


def test_a_second_delete_is_not_found_and_frees_nothing_more(service: KeyService) -> None:
    keep, gone = create(service), create(service)
    service.delete_key(Actor.operator("ws-a"), gone)
    with pytest.raises(KeyNotFound):
        service.delete_key(Actor.operator("ws-a"), gone)
    create(service)
    create(service)  # two free slots, not three
    with pytest.raises(KeyLimitReached):
        create(service)
    assert keep in {key.key_id for key in service.list_keys("ws-a")}


def test_update_changes_only_what_it_is_given(service: KeyService) -> None:
    key_id = create(service, name="before")
    service.update_key(Actor.operator("ws-a"), key_id, KeyUpdate(disabled=True))
    key = service.get_key("ws-a", key_id)
    assert (key.name, key.disabled) == ("before", True)


@pytest.mark.parametrize(
    ("total", "page", "expected"), [(5, 1, (2, 3)), (5, 3, (1, 3)), (5, 4, (0, 3)), (0, 1, (0, 0))]
)
def test_pages_count_from_one(key_repository: KeyRepository, total: int, page: int, expected: tuple[int, int]) -> None:
    # Given `total` keys, listed two per page
    roomy = KeyService(key_repository, Settings(table_name="unused", key_limit=10))
    for _ in range(total):
        create(roomy)
    # When one page is asked for, Then it holds what is left for it, and the count of pages is the ceiling
    result = roomy.page_of_keys("ws-a", page_size=2, page=page)
    assert (len(result.keys), result.page_count) == expected
    assert (result.total, result.page) == (total, page)


READER = Actor("ws-a", "tok-reader", Scope.READ, source_ip="203.0.113.9", request_id="req-1")


@pytest.mark.parametrize("change", ["create", "update", "delete"])
def test_a_read_only_caller_changes_nothing_even_past_the_routes_guard(
    service: KeyService, calls: Counter[str], change: str
) -> None:
    # Given a read-scoped caller reaching the service directly (as through a route the table marked as reading)
    operations = {
        "create": lambda: service.create_key(READER, default_algorithm=Algorithm.ES256),
        "update": lambda: service.update_key(READER, MISSING_OF_OUR_SHAPE, KeyUpdate(name="x")),
        "delete": lambda: service.delete_key(READER, MISSING_OF_OUR_SHAPE),
    }
    # When it asks for a change / Then it is refused before any DynamoDB call
    with pytest.raises(ReadOnlyCredential):
        operations[change]()
    assert calls == Counter()


# -- key policies: what only the service can check (the clock, the deployment's lifetime cap) ----------------
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


@pytest.fixture
def clocked(key_repository: KeyRepository) -> KeyService:
    return KeyService(key_repository, Settings(table_name="unused", max_token_lifetime_seconds=3600), now=lambda: NOW)


@pytest.mark.parametrize(
    ("policy", "field"),
    [
        (KeyPolicy(expires_at=NOW), "expiresAt"),
        (KeyPolicy(expires_at=NOW - timedelta(days=1)), "expiresAt"),
        (KeyPolicy(max_token_lifetime_seconds=3601), "maxTokenLifetimeSeconds"),
    ],
)
def test_a_policy_the_clock_or_the_cap_forbids_is_invalid_on_create_and_update(
    clocked: KeyService, key_repository: KeyRepository, policy: KeyPolicy, field: str
) -> None:
    # Given an expiry not in the future, or a lifetime over MaxTokenLifetimeSeconds
    # When a key is created with it, Then it is refused naming the field, and nothing is stored
    with pytest.raises(InvalidInput) as refused:
        clocked.create_key(Actor.operator("ws-a"), default_algorithm=Algorithm.ES256, policy=policy)
    assert [error.field for error in refused.value.fields] == [field]
    assert key_repository.list_keys("ws-a") == []
    # And an update to it is refused the same way, leaving the key as it was
    key = clocked.create_key(Actor.operator("ws-a"), default_algorithm=Algorithm.ES256).key
    update = KeyUpdate(expires_at=policy.expires_at, max_token_lifetime_seconds=policy.max_token_lifetime_seconds)
    with pytest.raises(InvalidInput) as refused:
        clocked.update_key(Actor.operator("ws-a"), key.key_id, update)
    assert [error.field for error in refused.value.fields] == [field]
    assert clocked.get_key("ws-a", key.key_id) == key


def test_a_policy_at_the_bounds_is_stored(clocked: KeyService) -> None:
    policy = KeyPolicy(expires_at=NOW + timedelta(milliseconds=1), max_token_lifetime_seconds=3600)
    key = clocked.create_key(Actor.operator("ws-a"), default_algorithm=Algorithm.ES256, policy=policy).key
    assert clocked.get_key("ws-a", key.key_id).policy == policy
