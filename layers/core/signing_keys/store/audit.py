"""The audit aggregate as read: a workspace's trail, newest first. Entries are written by `Table.transact`, in
each change's own transaction."""

from __future__ import annotations

from typing import Any

from signing_keys.models import AuditPage
from signing_keys.store.audit_items import AUDIT_SORT_KEY, audit_from_item, audit_partition
from signing_keys.store.pages import page_cursor, sort_key_of
from signing_keys.store.retry import unavailable_on_transient_errors
from signing_keys.store.table import Table


class AuditRepository:
    def __init__(self, table: Table) -> None:
        self._table = table

    @classmethod
    def connect(cls, table_name: str) -> AuditRepository:
        return cls(Table.connect(table_name))

    def list_audit(self, workspace_id: str, *, limit: int, cursor: str | None) -> AuditPage:
        """A page of the workspace's audit entries, newest first: one Query of its partition."""
        partition = audit_partition(workspace_id)
        request: dict[str, Any] = {
            "TableName": self._table.name,
            "KeyConditionExpression": "PK = :pk",
            "ExpressionAttributeValues": {":pk": {"S": partition}},
            "ScanIndexForward": False,
            "Limit": limit,
        }
        if cursor is not None:
            sort_key = sort_key_of(cursor, AUDIT_SORT_KEY)
            request["ExclusiveStartKey"] = {"PK": {"S": partition}, "SK": {"S": sort_key}}
        with unavailable_on_transient_errors():
            response = self._table.client.query(**request)
        last = response.get("LastEvaluatedKey")
        return AuditPage(
            entries=[audit_from_item(item) for item in response.get("Items", [])],
            next_cursor=page_cursor(last["SK"]["S"] if last else None),
        )
