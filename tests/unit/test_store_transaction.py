"""The store's transactions on moto: every write has a name, a refusal reports the names whose condition failed
(whatever the order the writes were added in), and the store appends the audit entry to every one."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from signing_keys import audit
from signing_keys.models import Actor, AuditAction, AuditEntry
from signing_keys.store.table import AUDIT_ENTRY, Table
from signing_keys.store.transaction import Put, Transaction, Update, Write
from tests.unit.conftest import TABLE_NAME

LIMIT = 2
COUNTER_KEY = {"PK": {"S": "WS#ws-a"}, "SK": {"S": "COUNTER"}}
KEY_ITEM = {"PK": {"S": "KEY#k-1"}, "SK": {"S": "KEY"}, "workspaceId": {"S": "ws-a"}}


def change() -> AuditEntry:
    return audit.permitted_change(Actor.operator("ws-a"), AuditAction.KEY_CREATE, retention_days=90, key_id="k-1")


def count_within_limit() -> Update:
    return Update(
        COUNTER_KEY,
        "SET keyCount = if_not_exists(keyCount, :zero) + :one",
        "attribute_not_exists(keyCount) OR keyCount < :limit",
        values={":zero": {"N": "0"}, ":one": {"N": "1"}, ":limit": {"N": str(LIMIT)}},
    )


def new_key() -> Put:
    return Put(KEY_ITEM, "attribute_not_exists(PK)")


WRITES: dict[str, Write] = {"counter": count_within_limit(), "key": new_key()}
ORDERS = pytest.mark.parametrize("order", [("counter", "key"), ("key", "counter")], ids=["counter first", "key first"])


def transaction_of(order: tuple[str, ...]) -> Transaction:
    transaction = Transaction()
    for name in order:
        transaction = transaction.add(name, WRITES[name])
    return transaction


def items(dynamodb: Any) -> list[dict[str, Any]]:
    return sorted(dynamodb.scan(TableName=TABLE_NAME)["Items"], key=lambda item: (item["PK"]["S"], item["SK"]["S"]))


def at_the_limit(dynamodb: Any) -> None:
    dynamodb.put_item(TableName=TABLE_NAME, Item={**COUNTER_KEY, "keyCount": {"N": str(LIMIT)}})


def key_taken(dynamodb: Any) -> None:
    dynamodb.put_item(TableName=TABLE_NAME, Item=KEY_ITEM)


@ORDERS
def test_a_counter_at_its_limit_is_reported_by_its_name_in_either_order(
    table: Table, dynamodb: Any, order: tuple[str, ...]
) -> None:
    # Given a workspace counter at the limit and a free key id
    at_the_limit(dynamodb)
    # When the counter's increment and the key's put are written together, in either order
    failed = table.transact(transaction_of(order), change())
    # Then the failure names the counter, and only it
    assert failed == {"counter"}


@ORDERS
def test_a_taken_key_id_is_reported_by_its_name_in_either_order(
    table: Table, dynamodb: Any, order: tuple[str, ...]
) -> None:
    # Given room under the limit and a key id already taken
    key_taken(dynamodb)
    # When the same two writes run, in either order, Then the failure names the key
    assert table.transact(transaction_of(order), change()) == {"key"}


def test_every_write_whose_condition_failed_is_named(table: Table, dynamodb: Any) -> None:
    # Given both conditions false at once
    at_the_limit(dynamodb)
    key_taken(dynamodb)
    # When the writes run, Then both are named
    assert table.transact(transaction_of(("counter", "key")), change()) == {"counter", "key"}


def test_a_refused_transaction_writes_neither_its_change_nor_its_audit_entry(table: Table, dynamodb: Any) -> None:
    at_the_limit(dynamodb)
    before = items(dynamodb)
    table.transact(transaction_of(("counter", "key")), change())
    assert items(dynamodb) == before


def test_a_committed_transaction_reports_no_failure_and_carries_its_audit_entry(table: Table, dynamodb: Any) -> None:
    # Given an empty table
    entry = change()
    # When the writes run
    failed = table.transact(transaction_of(("counter", "key")), entry)
    # Then nothing failed, and the change and its audit entry were written together
    assert failed == frozenset()
    written = {item["PK"]["S"]: item for item in items(dynamodb)}
    assert set(written) == {"WS#ws-a", "KEY#k-1", "AUDIT#ws-a"}
    assert written["AUDIT#ws-a"]["SK"]["S"].endswith(f"#{entry.event_id}")


def test_two_writes_of_one_name_are_refused_while_building(calls: Counter[str]) -> None:
    with pytest.raises(ValueError, match="'counter'"):
        Transaction().add("counter", count_within_limit()).add("counter", new_key())
    assert calls == Counter()


def test_no_write_may_take_the_name_of_the_audit_entry_the_store_appends(table: Table, calls: Counter[str]) -> None:
    # Given a transaction with a write named as the store names the audit entry
    transaction = Transaction().add(AUDIT_ENTRY, new_key())
    # When it is run, Then it is refused before any call
    with pytest.raises(ValueError, match=AUDIT_ENTRY):
        table.transact(transaction, change())
    assert calls == Counter()


def test_appending_to_a_transaction_leaves_the_one_it_was_built_from_as_it_was() -> None:
    built = Transaction().add("counter", count_within_limit())
    built.add("key", new_key())
    assert built.names == ("counter",)
