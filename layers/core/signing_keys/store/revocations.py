"""The revocation aggregate: entries, and the issuedBefore cut-offs they keep on the workspace item."""

from __future__ import annotations

from typing import Any

from signing_keys.errors import RevocationNotFound, ServiceUnavailable
from signing_keys.models import AuditEntry, Cutoff, Revocation, RevocationPage, RevocationType
from signing_keys.store.pages import page_cursor, sort_key_of
from signing_keys.store.retry import CONFLICT_ATTEMPTS, unavailable_on_transient_errors
from signing_keys.store.revocation_items import (
    REVOCATION_SORT_KEY,
    revocation_from_item,
    revocation_item,
    revocation_pk,
    revocations_partition,
)
from signing_keys.store.table import Table
from signing_keys.store.transaction import Delete, Put, Transaction, Update
from signing_keys.store.workspace_items import cutoff_attribute, cutoff_value, cutoffs_from_item, workspace_pk

# Names of the writes in this aggregate's transactions.
_ENTRY = "revocation"
_CUTOFF = "cut-off"


def _revocation_write(revocation: Revocation) -> Transaction:
    """The one transaction that records a revocation (`Table.transact` adds its audit entry): the entry, unless
    one with the same id stands, and for an issuedBefore its cut-off on the workspace item, which verification
    reads with the key."""
    transaction = Transaction().add(_ENTRY, Put(revocation_item(revocation), "attribute_not_exists(PK)"))
    if revocation.type is not RevocationType.ISSUED_BEFORE:
        return transaction
    return transaction.add(
        _CUTOFF,
        Update(
            workspace_pk(revocation.workspace_id),
            "SET #cutoff = :cutoff",
            names={"#cutoff": cutoff_attribute(revocation.revocation_id)},
            values={":cutoff": cutoff_value(revocation)},
        ),
    )


class RevocationRepository:
    def __init__(self, table: Table) -> None:
        self._table = table

    @classmethod
    def connect(cls, table_name: str) -> RevocationRepository:
        return cls(Table.connect(table_name))

    def add_revocation(self, revocation: Revocation, audit: AuditEntry) -> Revocation | None:
        """Record `revocation` with its audit entry; None when written, else the entry with the same id, which
        stands unchanged (nothing is written, no audit entry either). An entry deleted between the refused write
        and the read is written after all."""
        for _ in range(CONFLICT_ATTEMPTS):
            if not self._table.transact(_revocation_write(revocation), audit):
                return None
            existing = self.get_revocation(revocation.revocation_id)
            if existing is not None:
                return existing
        raise ServiceUnavailable()

    def get_revocation(self, revocation_id: str) -> Revocation | None:
        with unavailable_on_transient_errors():
            response = self._table.client.get_item(
                TableName=self._table.name, Key=revocation_pk(revocation_id), ConsistentRead=True
            )
        item = response.get("Item")
        return revocation_from_item(item) if item else None

    def workspace_cutoffs(self, workspace_id: str) -> tuple[Cutoff, ...]:
        with unavailable_on_transient_errors():
            response = self._table.client.get_item(
                TableName=self._table.name, Key=workspace_pk(workspace_id), ConsistentRead=True
            )
        return cutoffs_from_item(response.get("Item", {}))

    def list_revocations(self, workspace_id: str, *, limit: int, cursor: str | None) -> RevocationPage:
        """A page of the workspace's revocations, newest first: one index query; the cursor is None only on the
        last page."""
        partition = revocations_partition(workspace_id)
        request: dict[str, Any] = {
            "TableName": self._table.name,
            "IndexName": "GSI1",
            "KeyConditionExpression": "GSI1PK = :pk",
            "ExpressionAttributeValues": {":pk": {"S": partition}},
            "ScanIndexForward": False,
            "Limit": limit,
        }
        if cursor is not None:
            sort_key = sort_key_of(cursor, REVOCATION_SORT_KEY)
            revocation_id = sort_key.partition("#")[2]
            request["ExclusiveStartKey"] = {
                **revocation_pk(revocation_id),
                "GSI1PK": {"S": partition},
                "GSI1SK": {"S": sort_key},
            }
        with unavailable_on_transient_errors():
            response = self._table.client.query(**request)
        last = response.get("LastEvaluatedKey")
        return RevocationPage(
            revocations=[revocation_from_item(item) for item in response.get("Items", [])],
            next_cursor=page_cursor(last["GSI1SK"]["S"] if last else None),
        )

    def delete_revocation(self, workspace_id: str, revocation_id: str, audit: AuditEntry) -> None:
        """One transaction: the entry (this workspace's), its cut-off if it is an issuedBefore one
        (removing an attribute the workspace item lacks changes nothing), and the audit entry.
        RevocationNotFound otherwise."""
        transaction = (
            Transaction()
            .add(_ENTRY, Delete(revocation_pk(revocation_id), "workspaceId = :ws", values={":ws": {"S": workspace_id}}))
            .add(
                _CUTOFF,
                Update(
                    workspace_pk(workspace_id), "REMOVE #cutoff", names={"#cutoff": cutoff_attribute(revocation_id)}
                ),
            )
        )
        if self._table.transact(transaction, audit):
            raise RevocationNotFound()
