"""The audit entry item (`AUDIT#<ws>`/`<createdAt ms>#<eventId>`) ↔ AuditEntry."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from signing_keys.models import AuditAction, AuditEntry, from_millis, to_millis
from signing_keys.store.transaction import Item

# An audit entry's sort key: creation time in epoch ms, zero-padded so that text order is time order, then its id.
AUDIT_SORT_KEY = re.compile(r"[0-9]{15}#[0-9a-f]{32}")


def audit_partition(workspace_id: str) -> str:
    return f"AUDIT#{workspace_id}"


def audit_item(entry: AuditEntry) -> Item:
    created_ms = to_millis(entry.created_at)
    item: Item = {
        "PK": {"S": audit_partition(entry.workspace_id)},
        "SK": {"S": f"{created_ms:015d}#{entry.event_id}"},
        "workspaceId": {"S": entry.workspace_id},
        "action": {"S": entry.action.value},
        "createdAt": {"N": str(created_ms)},
        "tokenId": {"S": entry.token_id},
        "requestId": {"S": entry.request_id},
        "ttl": {"N": str(int(entry.expires_at.timestamp()))},
    }
    optional = {
        "sourceIp": entry.source_ip,
        "keyId": entry.key_id,
        "revocationId": entry.revocation_id,
        "credentialTokenId": entry.credential_token_id,
        "successorKeyId": entry.successor_key_id,
    }
    item.update({name: {"S": value} for name, value in optional.items() if value is not None})
    return item


def audit_from_item(item: Item) -> AuditEntry:
    def text(name: str) -> str | None:
        return item[name]["S"] if name in item else None

    return AuditEntry(
        event_id=item["SK"]["S"].partition("#")[2],
        workspace_id=item["workspaceId"]["S"],
        action=AuditAction(item["action"]["S"]),
        created_at=from_millis(int(item["createdAt"]["N"])),
        expires_at=datetime.fromtimestamp(int(item["ttl"]["N"]), UTC),
        token_id=item["tokenId"]["S"],
        source_ip=text("sourceIp"),
        request_id=item["requestId"]["S"],
        key_id=text("keyId"),
        revocation_id=text("revocationId"),
        credential_token_id=text("credentialTokenId"),
        successor_key_id=text("successorKeyId"),
    )
