"""The key aggregate: keys and their workspace counter (create, read, list, update, rotate, delete), and what
verifying a token reads and writes (one batch read of the key, the cut-offs and the revocations asked for;
lastSeen; single-use marks)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from signing_keys.errors import FieldError, InvalidInput, KeyLimitReached, KeyNotFound, ServiceUnavailable
from signing_keys.models import AuditEntry, Cutoff, KeyUpdate, Revocation, Rotation, SigningKey
from signing_keys.store.key_items import (
    expires_at_value,
    key_from_item,
    key_item,
    key_pk,
    keys_partition,
    updated_values,
)
from signing_keys.store.retry import attempts, unavailable_on_transient_errors
from signing_keys.store.revocation_items import revocation_from_item, revocation_pk
from signing_keys.store.single_use_items import single_use_item, single_use_pk
from signing_keys.store.table import Table
from signing_keys.store.transaction import Delete, Item, Put, Transaction, Update
from signing_keys.store.workspace_items import cutoffs_from_item, workspace_pk

# Names of the writes in this aggregate's transactions.
_COUNTER = "counter"
_NEW_KEY = "new key"
_OLD_KEY = "old key"
_KEY = "key"

# Every management write to a key bumps its revision; rotation's condition compares it with what it read.
_NEXT_REVISION = "#revision = if_not_exists(#revision, :zero) + :one"
_REVISION_VALUES: Item = {":zero": {"N": "0"}, ":one": {"N": "1"}}


@dataclass(frozen=True, slots=True)
class VerificationItems:
    """What one read for a verification brought back: only what was asked for, and only what exists."""

    key: SigningKey | None = None
    cutoffs: tuple[Cutoff, ...] = ()
    revocations: Mapping[str, Revocation] = field(default_factory=dict)  # by revocation id


def _verification_items(items: list[Item]) -> VerificationItems:
    key: SigningKey | None = None
    cutoffs: tuple[Cutoff, ...] = ()
    revocations: dict[str, Revocation] = {}
    for item in items:
        kind = item["PK"]["S"].partition("#")[0]
        if kind == "KEY":
            key = key_from_item(item)
        elif kind == "WS":
            cutoffs = cutoffs_from_item(item)
        else:
            revocation = revocation_from_item(item)
            revocations[revocation.revocation_id] = revocation
    return VerificationItems(key, cutoffs, revocations)


def _update_of_key(
    workspace_id: str, key_id: str, values: dict[str, Item | None], *, read_revision: int | None = None
) -> Update:
    """An Update of a key of `workspace_id` (else the condition fails): set or remove `values`, and, given the
    revision a read saw, only if no write came since."""
    names = {"#revision": "revision"}
    expression_values: Item = {":ws": {"S": workspace_id}, **_REVISION_VALUES}
    condition = "workspaceId = :ws"
    if read_revision == 0:  # never written since it was created: the attribute is still absent
        condition += " AND attribute_not_exists(#revision)"
    elif read_revision is not None:
        condition += " AND #revision = :read"
        expression_values[":read"] = {"N": str(read_revision)}
    assignments, removals = [_NEXT_REVISION], []
    for index, (attribute, value) in enumerate(values.items()):
        names[f"#a{index}"] = attribute
        if value is None:
            removals.append(f"#a{index}")
        else:
            assignments.append(f"#a{index} = :v{index}")
            expression_values[f":v{index}"] = value
    expression = "SET " + ", ".join(assignments) + (" REMOVE " + ", ".join(removals) if removals else "")
    return Update(key_pk(key_id), expression, condition, names, expression_values)


def _count_one_more(workspace_id: str, key_limit: int) -> Update:
    """An Update of the workspace counter that fails at the key limit."""
    return Update(
        workspace_pk(workspace_id),
        "SET keyCount = if_not_exists(keyCount, :zero) + :one",
        "attribute_not_exists(keyCount) OR keyCount < :limit",
        values={":zero": {"N": "0"}, ":one": {"N": "1"}, ":limit": {"N": str(key_limit)}},
    )


def _put_new_key(key: SigningKey) -> Put:
    """A Put of a key that fails if the id is taken (the same public key in this workspace)."""
    return Put(key_item(key), "attribute_not_exists(PK)")


def _already_registered() -> InvalidInput:
    return InvalidInput([FieldError("publicKey", "this public key is already registered")])


class KeyRepository:
    def __init__(self, table: Table) -> None:
        self._table = table

    @classmethod
    def connect(cls, table_name: str) -> KeyRepository:
        return cls(Table.connect(table_name))

    def add_key(self, key: SigningKey, key_limit: int, audit: AuditEntry) -> None:
        """One transaction: the counter within the limit (else KeyLimitReached), the key (its id taken →
        InvalidInput), the audit entry."""
        failed = self._table.transact(
            Transaction().add(_COUNTER, _count_one_more(key.workspace_id, key_limit)).add(_NEW_KEY, _put_new_key(key)),
            audit,
        )
        if _COUNTER in failed:
            raise KeyLimitReached()
        if _NEW_KEY in failed:
            raise _already_registered()

    def get_key(self, key_id: str, *, consistent: bool = True) -> SigningKey | None:
        with unavailable_on_transient_errors():
            response = self._table.client.get_item(
                TableName=self._table.name, Key=key_pk(key_id), ConsistentRead=consistent
            )
        item = response.get("Item")
        return key_from_item(item) if item else None

    def list_keys(self, workspace_id: str) -> list[SigningKey]:
        """All keys of a workspace, oldest first: one GSI query (more pages only past 1 MB)."""
        request: dict[str, Any] = {
            "TableName": self._table.name,
            "IndexName": "GSI1",
            "KeyConditionExpression": "GSI1PK = :pk",
            "ExpressionAttributeValues": {":pk": {"S": keys_partition(workspace_id)}},
        }
        keys: list[SigningKey] = []
        while True:
            with unavailable_on_transient_errors():
                response = self._table.client.query(**request)
            keys.extend(key_from_item(item) for item in response.get("Items", []))
            if "LastEvaluatedKey" not in response:
                return keys
            request["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def update_key(self, workspace_id: str, key_id: str, update: KeyUpdate, audit: AuditEntry) -> None:
        """One transaction with its audit entry: the key's changed fields and its next revision."""
        change = _update_of_key(workspace_id, key_id, updated_values(update))
        if self._table.transact(Transaction().add(_KEY, change), audit):
            raise KeyNotFound()

    def write_rotation(self, rotation: Rotation, key_limit: int) -> bool:
        """One transaction: the counter within the limit, the successor, and the old key's new expiry, only if
        the old key is still at the revision `rotation.replaces` was read at. False when it is not (written to
        since, or deleted): nothing is written, and deciding again is the caller's. At the limit →
        KeyLimitReached; the successor's id taken → InvalidInput; nothing written either way."""
        old = rotation.replaces
        expire_old_key = _update_of_key(
            old.workspace_id,
            old.key_id,
            {"expiresAt": expires_at_value(rotation.old_key_expires_at)},
            read_revision=old.revision,
        )
        failed = self._table.transact(
            Transaction()
            .add(_COUNTER, _count_one_more(old.workspace_id, key_limit))
            .add(_NEW_KEY, _put_new_key(rotation.successor))
            .add(_OLD_KEY, expire_old_key),
            rotation.audit,
        )
        if _COUNTER in failed:
            raise KeyLimitReached()
        if _NEW_KEY in failed:
            raise _already_registered()
        return not failed

    def delete_key(self, workspace_id: str, key_id: str, audit: AuditEntry) -> None:
        """One transaction: the key (this workspace's, else KeyNotFound), the counter's decrement, the audit
        entry."""
        transaction = (
            Transaction()
            .add(_KEY, Delete(key_pk(key_id), "workspaceId = :ws", values={":ws": {"S": workspace_id}}))
            .add(
                _COUNTER,
                Update(
                    workspace_pk(workspace_id),
                    "SET keyCount = keyCount - :one",
                    "keyCount >= :one",
                    values={":one": {"N": "1"}},
                ),
            )
        )
        if self._table.transact(transaction, audit):
            raise KeyNotFound()

    def record_last_seen(self, key_id: str, seen_at_ms: int, interval_seconds: int) -> None:
        """Set the key's lastSeen unless another container did within the interval (the condition settles
        containers writing at once) or the key is gone (a deleted key stays deleted). Any other failure is
        raised: the verifier reports it without failing the verification it follows."""
        try:
            self._table.client.update_item(
                TableName=self._table.name,
                Key=key_pk(key_id),
                UpdateExpression="SET lastSeen = :now",
                ConditionExpression="attribute_exists(PK) AND (attribute_not_exists(lastSeen) OR lastSeen <= :stale)",
                ExpressionAttributeValues={
                    ":now": {"N": str(seen_at_ms)},
                    ":stale": {"N": str(seen_at_ms - interval_seconds * 1000)},
                },
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise

    def read_for_verification(
        self, workspace_id: str, *, key_id: str | None, revocation_ids: Sequence[str]
    ) -> VerificationItems:
        """One strongly consistent BatchGetItem: the key and the workspace item (its cut-offs) when `key_id` is
        given, and the revocation entries named. Keys DynamoDB leaves unprocessed (throttling) are asked for
        again, a bounded number of times within the invocation's budget; then 503."""
        keys = [key_pk(key_id), workspace_pk(workspace_id)] if key_id is not None else []
        keys += [revocation_pk(revocation_id) for revocation_id in revocation_ids]
        found: list[Item] = []
        for _ in attempts():
            with unavailable_on_transient_errors():
                response: Any = self._table.client.batch_get_item(
                    RequestItems={self._table.name: {"Keys": keys, "ConsistentRead": True}}
                )
            found += response.get("Responses", {}).get(self._table.name, [])
            keys = response.get("UnprocessedKeys", {}).get(self._table.name, {}).get("Keys", [])
            if not keys:
                return _verification_items(found)
        raise ServiceUnavailable()

    def consume_single_use(self, workspace_id: str, jti: str, *, keep_until: int) -> bool:
        """Mark a single-use token used: True for the first caller, False for every later one (one conditional
        put; the item stays until `keep_until`, epoch seconds, when no copy of the token can verify any more)."""
        try:
            with unavailable_on_transient_errors():
                self._table.client.put_item(
                    TableName=self._table.name,
                    Item=single_use_item(workspace_id, jti, keep_until=keep_until),
                    ConditionExpression="attribute_not_exists(PK)",
                )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def single_use_spent(self, workspace_id: str, jti: str) -> bool:
        """Whether a single-use token was spent (a strongly consistent read; nothing is written)."""
        with unavailable_on_transient_errors():
            response = self._table.client.get_item(
                TableName=self._table.name, Key=single_use_pk(workspace_id, jti), ConsistentRead=True
            )
        return "Item" in response
