"""The key item (`KEY#<keyId>`/`KEY`) ↔ SigningKey, and a KeyUpdate as the attributes it writes."""

from __future__ import annotations

from datetime import datetime

from signing_keys.models import (
    KEEP,
    Algorithm,
    KeyPolicy,
    KeyUpdate,
    SigningKey,
    from_iso8601,
    from_millis,
    iso8601,
    to_millis,
)
from signing_keys.store.transaction import Item


def key_pk(key_id: str) -> Item:
    return {"PK": {"S": f"KEY#{key_id}"}, "SK": {"S": "KEY"}}


def keys_partition(workspace_id: str) -> str:
    """GSI1PK of a workspace's keys."""
    return f"WS#{workspace_id}"


def expires_at_value(moment: datetime | None) -> Item | None:
    return None if moment is None else {"N": str(to_millis(moment))}


def _allowed_media_value(patterns: tuple[str, ...] | None) -> Item | None:
    return None if patterns is None else {"L": [{"S": pattern} for pattern in patterns]}


def _number_value(value: int | None) -> Item | None:
    return None if value is None else {"N": str(value)}


def _policy_values(policy: KeyPolicy) -> dict[str, Item | None]:
    """The policy as key item attributes; None for a field that is unset (absent from the item)."""
    return {
        "expiresAt": expires_at_value(policy.expires_at),
        "allowedMedia": _allowed_media_value(policy.allowed_media),
        "maxTokenLifetimeSeconds": _number_value(policy.max_token_lifetime_seconds),
    }


def key_item(key: SigningKey) -> Item:
    created = iso8601(key.created_at)
    item: Item = {
        **key_pk(key.key_id),
        "workspaceId": {"S": key.workspace_id},
        "algorithm": {"S": key.algorithm.value},
        "publicKey": {"S": key.public_key_pem},
        "createdAt": {"S": created},
        "disabled": {"BOOL": key.disabled},
        "GSI1PK": {"S": keys_partition(key.workspace_id)},
        "GSI1SK": {"S": f"{created}#{key.key_id}"},
    }
    if key.name is not None:
        item["name"] = {"S": key.name}
    if key.project_id is not None:
        item["projectId"] = {"S": key.project_id}
    item.update({name: value for name, value in _policy_values(key.policy).items() if value is not None})
    return item


def _policy_from_item(item: Item) -> KeyPolicy:
    expires_at = item.get("expiresAt")
    allowed_media = item.get("allowedMedia")
    max_lifetime = item.get("maxTokenLifetimeSeconds")
    return KeyPolicy(
        expires_at=None if expires_at is None else from_millis(int(expires_at["N"])),
        allowed_media=None if allowed_media is None else tuple(entry["S"] for entry in allowed_media["L"]),
        max_token_lifetime_seconds=None if max_lifetime is None else int(max_lifetime["N"]),
    )


def key_from_item(item: Item) -> SigningKey:
    last_seen = item.get("lastSeen")
    return SigningKey(
        key_id=item["PK"]["S"].removeprefix("KEY#"),
        workspace_id=item["workspaceId"]["S"],
        algorithm=Algorithm(item["algorithm"]["S"]),
        public_key_pem=item["publicKey"]["S"],
        created_at=from_iso8601(item["createdAt"]["S"]),
        name=item["name"]["S"] if "name" in item else None,
        project_id=item["projectId"]["S"] if "projectId" in item else None,
        last_seen=from_millis(int(last_seen["N"])) if last_seen else None,
        disabled=item.get("disabled", {}).get("BOOL", False),
        policy=_policy_from_item(item),
        revision=int(item["revision"]["N"]) if "revision" in item else 0,
    )


def updated_values(update: KeyUpdate) -> dict[str, Item | None]:
    """Key item attributes an update writes: a value to set, or None to remove; untouched ones are left out."""
    values: dict[str, Item | None] = {}
    if update.name is not KEEP:
        values["name"] = {"S": update.name}
    if update.disabled is not KEEP:
        values["disabled"] = {"BOOL": update.disabled}
    if update.expires_at is not KEEP:
        values["expiresAt"] = expires_at_value(update.expires_at)
    if update.allowed_media is not KEEP:
        values["allowedMedia"] = _allowed_media_value(update.allowed_media)
    if update.max_token_lifetime_seconds is not KEEP:
        values["maxTokenLifetimeSeconds"] = _number_value(update.max_token_lifetime_seconds)
    return values
