"""The credential aggregate: every secret of a workspace's token ids (one item per secret, by its digest)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from signing_keys.errors import CredentialNotFound
from signing_keys.models import AuditEntry, Credential, to_millis
from signing_keys.store.credential_items import (
    credential_from_item,
    credential_item,
    credential_pk,
    credentials_partition,
)
from signing_keys.store.retry import unavailable_on_transient_errors
from signing_keys.store.table import Table
from signing_keys.store.transaction import Item, Put, Transaction, Update

# A rotated-out secret's item stays listed this long after it stopped working, then the table's TTL removes it.
_RETIRED_SECRET_LISTED_SECONDS = 86_400
# The name of the new secret's write; each current secret's write is named by its item (`_current_name`).
_NEW_CREDENTIAL = "new credential"


def _put_new_secret(secret_digest: str, credential: Credential) -> Put:
    return Put(credential_item(secret_digest, credential), "attribute_not_exists(PK)")


def _current_name(item: Item) -> str:
    return f"current {item['PK']['S']}"


def _existing(item: Item) -> Item:
    return {"PK": item["PK"], "SK": item["SK"]}


class CredentialRepository:
    def __init__(self, table: Table) -> None:
        self._table = table

    @classmethod
    def connect(cls, table_name: str) -> CredentialRepository:
        return cls(Table.connect(table_name))

    def get_credential(self, secret_digest: str) -> Credential | None:
        with unavailable_on_transient_errors():
            response = self._table.client.get_item(TableName=self._table.name, Key=credential_pk(secret_digest))
        item = response.get("Item")
        return credential_from_item(item) if item else None

    def add_credential(self, secret_digest: str, credential: Credential, audit: AuditEntry) -> bool:
        """Store a new secret; False (and nothing written) when a credential with that secret exists."""
        transaction = Transaction().add(_NEW_CREDENTIAL, _put_new_secret(secret_digest, credential))
        return not self._table.transact(transaction, audit)

    def _credential_items(self, workspace_id: str, token_id: str | None = None) -> list[Item]:
        """A workspace's credential items (every secret of every token id, or of one), by token id then age."""
        request: dict[str, Any] = {
            "TableName": self._table.name,
            "IndexName": "GSI1",
            "KeyConditionExpression": "GSI1PK = :pk",
            "ExpressionAttributeValues": {":pk": {"S": credentials_partition(workspace_id)}},
        }
        if token_id is not None:
            request["KeyConditionExpression"] += " AND begins_with(GSI1SK, :token)"
            request["ExpressionAttributeValues"][":token"] = {"S": f"{token_id}#"}
        items: list[Item] = []
        while True:
            with unavailable_on_transient_errors():
                response = self._table.client.query(**request)
            items.extend(response.get("Items", []))
            if "LastEvaluatedKey" not in response:
                break
            request["ExclusiveStartKey"] = response["LastEvaluatedKey"]
        # begins_with("a#") also matches token id "a#b": keep exact matches only.
        return [item for item in items if token_id is None or item["tokenId"]["S"] == token_id]

    def list_credentials(self, workspace_id: str) -> list[Credential]:
        return [credential_from_item(item) for item in self._credential_items(workspace_id)]

    def _existing_credential_items(self, workspace_id: str, token_id: str) -> list[Item]:
        items = self._credential_items(workspace_id, token_id)
        if not items:
            raise CredentialNotFound()
        return items

    def set_credential_disabled(self, workspace_id: str, token_id: str, disabled: bool, audit: AuditEntry) -> None:
        """The operator's switch, on every secret of the token id at once (a secret retired by rotation stays so)."""
        transaction = Transaction()
        for item in self._existing_credential_items(workspace_id, token_id):
            switch = Update(
                _existing(item),
                "SET disabled = :disabled",
                "attribute_exists(PK)",
                values={":disabled": {"BOOL": disabled}},
            )
            transaction = transaction.add(_current_name(item), switch)
        if self._table.transact(transaction, audit):
            raise CredentialNotFound()

    def rotate_credential(
        self, workspace_id: str, token_id: str, secret_digest: str, retire_at: datetime, audit: AuditEntry
    ) -> Credential:
        """A new secret for the token id (same scope and switch, created at the audit entry's time), and every
        current secret retired at `retire_at`, in one transaction. A retired secret's item is removed by the
        table's TTL a day later."""
        items = self._existing_credential_items(workspace_id, token_id)
        current = [credential_from_item(item) for item in items]
        newest = max(current, key=lambda credential: credential.created_at)
        replacement = Credential(
            token_id=token_id,
            workspace_id=workspace_id,
            scope=newest.scope,
            created_at=audit.created_at,
            disabled=newest.disabled,
        )
        retire_ms = to_millis(retire_at)
        transaction = Transaction().add(_NEW_CREDENTIAL, _put_new_secret(secret_digest, replacement))
        for item, credential in zip(items, current, strict=True):
            # A secret already retiring sooner keeps its earlier end.
            if credential.disable_at is not None and credential.disable_at <= retire_at:
                continue
            retirement = Update(
                _existing(item),
                "SET disableAt = :at, #ttl = :ttl",
                "attribute_exists(PK)",
                names={"#ttl": "ttl"},
                values={
                    ":at": {"N": str(retire_ms)},
                    ":ttl": {"N": str(retire_ms // 1000 + _RETIRED_SECRET_LISTED_SECONDS)},
                },
            )
            transaction = transaction.add(_current_name(item), retirement)
        if self._table.transact(transaction, audit):
            raise CredentialNotFound()
        return replacement
