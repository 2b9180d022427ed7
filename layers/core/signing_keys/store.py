"""DynamoDB access: the only module that talks to the table (items and access patterns: docs/architecture.md)."""

from __future__ import annotations

import base64
import binascii
import hashlib
import random
import re
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from signing_keys.budget import InvocationBudget, invocation_budget
from signing_keys.errors import (
    CredentialNotFound,
    FieldError,
    InvalidInput,
    KeyLimitReached,
    KeyNotFound,
    RevocationNotFound,
    ServiceUnavailable,
)
from signing_keys.key_ids import REVOCATION_ID_PATTERN
from signing_keys.models import (
    KEEP,
    Algorithm,
    AuditAction,
    AuditEntry,
    AuditPage,
    Credential,
    Cutoff,
    KeyPolicy,
    KeyUpdate,
    Revocation,
    RevocationPage,
    RevocationType,
    Rotation,
    Scope,
    SigningKey,
    from_iso8601,
    from_millis,
    iso8601,
    to_millis,
)

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient
else:
    DynamoDBClient = Any

Item = dict[str, Any]

_TRANSIENT_CODES = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
        "InternalServerError",
        "ServiceUnavailable",
        "TransactionInProgressException",
    }
)
_CONFLICT_ATTEMPTS = 4
# DynamoDB answers in milliseconds; a call that has not answered in 2 s is better retried than awaited.
_CONNECT_TIMEOUT_SECONDS = 1
_READ_TIMEOUT_SECONDS = 2
# botocore's standard mode retries throttling, 5xx and timeouts with jittered backoff (≤ 1 s, then ≤ 2 s).
_CLIENT_CONFIG = Config(
    retries={"mode": "standard", "max_attempts": 3},
    connect_timeout=_CONNECT_TIMEOUT_SECONDS,
    read_timeout=_READ_TIMEOUT_SECONDS,
)
# No attempt starts unless it ends inside the invocation's budget even if it runs to both timeouts. With
# the template's Timeout of 10 s, a DynamoDB that never answers gets the 503 out by about 7 s (two attempts
# and their backoff; the third could not finish 1 s before the end), never at Lambda's kill.
_ATTEMPT_WORST_CASE_SECONDS = _CONNECT_TIMEOUT_SECONDS + _READ_TIMEOUT_SECONDS


# An audit entry's sort key: creation time in epoch ms, zero-padded so that text order is time order, then its id.
_AUDIT_SORT_KEY = re.compile(r"[0-9]{15}#[0-9a-f]{32}")
# A revocation's index sort key: creation time in epoch ms (13 digits), then its id.
_REVOCATION_SORT_KEY = re.compile(r"[0-9]{13}#" + REVOCATION_ID_PATTERN.strip("^$"))
# A rotated-out secret's item stays listed this long after it stopped working, then the table's TTL removes it.
_RETIRED_SECRET_LISTED_SECONDS = 86_400


@dataclass(frozen=True, slots=True)
class VerificationItems:
    """What one read for a verification brought back: only what was asked for, and only what exists."""

    key: SigningKey | None = None
    cutoffs: tuple[Cutoff, ...] = ()
    revocations: Mapping[str, Revocation] = field(default_factory=dict)  # by revocation id


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _key_pk(key_id: str) -> Item:
    return {"PK": {"S": f"KEY#{key_id}"}, "SK": {"S": "KEY"}}


def _counter_pk(workspace_id: str) -> Item:
    return {"PK": {"S": f"WS#{workspace_id}"}, "SK": {"S": "COUNTER"}}


def _revocation_pk(revocation_id: str) -> Item:
    return {"PK": {"S": f"REV#{revocation_id}"}, "SK": {"S": "REV"}}


def _revocations_partition(workspace_id: str) -> str:
    return f"REVS#{workspace_id}"


def revocation_sort_key(revocation: Revocation) -> str:
    """GSI1SK of a revocation: creation time (zero-padded ms, so text order is time order), then its id."""
    return f"{revocation.created_at_ms:013d}#{revocation.revocation_id}"


def _cutoff_attribute(revocation_id: str) -> str:
    return f"cutoff_{revocation_id}"


def _used_pk(workspace_id: str, jti: str) -> Item:
    # Hashed: a jti is the caller's text, of any length; the digest is a fixed-size key. surrogatepass: the
    # token's JSON may carry lone surrogates, which are still a distinct jti.
    material = workspace_id.encode("utf-8") + b"\0" + jti.encode("utf-8", "surrogatepass")
    return {"PK": {"S": f"USED#{hashlib.sha256(material).hexdigest()}"}, "SK": {"S": "USED"}}


def _revocation_item(revocation: Revocation) -> Item:
    value = revocation.value
    item: Item = {
        **_revocation_pk(revocation.revocation_id),
        "workspaceId": {"S": revocation.workspace_id},
        "type": {"S": revocation.type.value},
        "value": {"N": str(value)} if isinstance(value, int) else {"S": value},
        # No `ttl`: an entry stays until it is deleted (signing_keys.revocations says why).
        "createdAt": {"N": str(revocation.created_at_ms)},
        "GSI1PK": {"S": _revocations_partition(revocation.workspace_id)},
        "GSI1SK": {"S": revocation_sort_key(revocation)},
    }
    if revocation.reason is not None:
        item["reason"] = {"S": revocation.reason}
    return item


def revocation_from_item(item: Item) -> Revocation:
    value = item["value"]
    return Revocation(
        revocation_id=item["PK"]["S"].removeprefix("REV#"),
        workspace_id=item["workspaceId"]["S"],
        type=RevocationType(item["type"]["S"]),
        value=int(value["N"]) if "N" in value else value["S"],
        created_at_ms=int(item["createdAt"]["N"]),
        reason=item["reason"]["S"] if "reason" in item else None,
    )


def cutoffs_from_item(item: Item) -> tuple[Cutoff, ...]:
    prefix = _cutoff_attribute("")
    return tuple(
        Cutoff(
            revocation_id=name.removeprefix(prefix),
            issued_before=int(value["M"]["issuedBefore"]["N"]),
        )
        for name, value in item.items()
        if name.startswith(prefix)
    )


def _expires_at_value(moment: datetime | None) -> Item | None:
    return None if moment is None else {"N": str(to_millis(moment))}


def _allowed_media_value(patterns: tuple[str, ...] | None) -> Item | None:
    return None if patterns is None else {"L": [{"S": pattern} for pattern in patterns]}


def _number_value(value: int | None) -> Item | None:
    return None if value is None else {"N": str(value)}


def _policy_values(policy: KeyPolicy) -> dict[str, Item | None]:
    """The policy as key item attributes; None for a field that is unset (absent from the item)."""
    return {
        "expiresAt": _expires_at_value(policy.expires_at),
        "allowedMedia": _allowed_media_value(policy.allowed_media),
        "maxTokenLifetimeSeconds": _number_value(policy.max_token_lifetime_seconds),
    }


def key_item(key: SigningKey) -> Item:
    created = iso8601(key.created_at)
    item: Item = {
        **_key_pk(key.key_id),
        "workspaceId": {"S": key.workspace_id},
        "algorithm": {"S": key.algorithm.value},
        "publicKey": {"S": key.public_key_pem},
        "createdAt": {"S": created},
        "disabled": {"BOOL": key.disabled},
        "GSI1PK": {"S": f"WS#{key.workspace_id}"},
        "GSI1SK": {"S": f"{created}#{key.key_id}"},
    }
    if key.name is not None:
        item["name"] = {"S": key.name}
    if key.project_id is not None:
        item["projectId"] = {"S": key.project_id}
    item.update({name: value for name, value in _policy_values(key.policy).items() if value is not None})
    return item


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


def _credential_pk(secret_digest: str) -> Item:
    return {"PK": {"S": f"CRED#{secret_digest}"}, "SK": {"S": "CRED"}}


def _credential_item(secret_digest: str, credential: Credential) -> Item:
    created = iso8601(credential.created_at)
    return {
        **_credential_pk(secret_digest),
        "tokenId": {"S": credential.token_id},
        "workspaceId": {"S": credential.workspace_id},
        "scope": {"S": credential.scope.value},
        "createdAt": {"S": created},
        "disabled": {"BOOL": credential.disabled},
        "GSI1PK": {"S": f"CREDS#{credential.workspace_id}"},
        "GSI1SK": {"S": f"{credential.token_id}#{created}"},
    }


def _credential_from_item(item: Item) -> Credential:
    disable_at = item.get("disableAt")
    return Credential(
        token_id=item["tokenId"]["S"],
        workspace_id=item["workspaceId"]["S"],
        # Items written before scopes existed have none: they could always write.
        scope=Scope(item.get("scope", {}).get("S", Scope.WRITE.value)),
        created_at=from_iso8601(item["createdAt"]["S"]),
        disabled=item.get("disabled", {}).get("BOOL", False),
        disable_at=from_millis(int(disable_at["N"])) if disable_at else None,
    )


def _audit_item(entry: AuditEntry) -> Item:
    created_ms = to_millis(entry.created_at)
    item: Item = {
        "PK": {"S": f"AUDIT#{entry.workspace_id}"},
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


def _audit_from_item(item: Item) -> AuditEntry:
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


def _cursor(sort_key: str | None) -> str | None:
    """A page's cursor, opaque to callers: the last sort key it read. Only the sort key travels: the partition
    is rebuilt from the caller's workspace, so a cursor can never reach another workspace's entries."""
    if sort_key is None:
        return None
    return base64.urlsafe_b64encode(sort_key.encode("ascii")).decode("ascii").rstrip("=")


def _sort_key_of(cursor: str, shape: re.Pattern[str]) -> str:
    """The sort key a cursor carries; InvalidInput (422) for anything that listing did not hand out."""
    try:
        sort_key = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("ascii")
    except (binascii.Error, ValueError):
        sort_key = ""
    if not shape.fullmatch(sort_key):
        raise InvalidInput([FieldError("cursor", "is not a cursor this listing returned")])
    return sort_key


def _updated_values(update: KeyUpdate) -> dict[str, Item | None]:
    """Key item attributes an update writes: a value to set, or None to remove; untouched ones are left out."""
    values: dict[str, Item | None] = {}
    if update.name is not KEEP:
        values["name"] = {"S": update.name}
    if update.disabled is not KEEP:
        values["disabled"] = {"BOOL": update.disabled}
    if update.expires_at is not KEEP:
        values["expiresAt"] = _expires_at_value(update.expires_at)
    if update.allowed_media is not KEEP:
        values["allowedMedia"] = _allowed_media_value(update.allowed_media)
    if update.max_token_lifetime_seconds is not KEEP:
        values["maxTokenLifetimeSeconds"] = _number_value(update.max_token_lifetime_seconds)
    return values


# Every management write to a key bumps its revision; rotation's condition compares it with what it read.
_NEXT_REVISION = "#revision = if_not_exists(#revision, :zero) + :one"
_REVISION_VALUES: Item = {":zero": {"N": "0"}, ":one": {"N": "1"}}


def _update_of_key(
    table: str, workspace_id: str, key_id: str, values: dict[str, Item | None], *, read_revision: int | None = None
) -> Item:
    """A transaction's Update of a key of `workspace_id` (else the condition fails): set or remove `values`, and,
    given the revision a read saw, only if no write came since."""
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
    return {
        "Update": {
            "TableName": table,
            "Key": _key_pk(key_id),
            "UpdateExpression": expression,
            "ConditionExpression": condition,
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": expression_values,
        }
    }


def _count_one_more(table: str, workspace_id: str, key_limit: int) -> Item:
    """A transaction's Update of the workspace counter that fails at the key limit."""
    return {
        "Update": {
            "TableName": table,
            "Key": _counter_pk(workspace_id),
            "UpdateExpression": "SET keyCount = if_not_exists(keyCount, :zero) + :one",
            "ConditionExpression": "attribute_not_exists(keyCount) OR keyCount < :limit",
            "ExpressionAttributeValues": {":zero": {"N": "0"}, ":one": {"N": "1"}, ":limit": {"N": str(key_limit)}},
        }
    }


def _put_new_key(table: str, key: SigningKey) -> Item:
    """A transaction's Put of a key that fails if the id is taken (the same public key in this workspace)."""
    return {"Put": {"TableName": table, "Item": key_item(key), "ConditionExpression": "attribute_not_exists(PK)"}}


def _already_registered() -> InvalidInput:
    return InvalidInput([FieldError("publicKey", "this public key is already registered")])


def _cancellation_codes(error: ClientError) -> list[str]:
    return [reason.get("Code", "None") for reason in error.response.get("CancellationReasons", [])]


@contextmanager
def _unavailable_on_transient_errors() -> Iterator[None]:
    """botocore already retried with backoff; what still fails transiently becomes a 503."""
    try:
        yield
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in _TRANSIENT_CODES:
            raise ServiceUnavailable() from None
        raise
    except BotoCoreError:
        raise ServiceUnavailable() from None


def _pause_before_retry(attempt: int) -> None:
    time.sleep(random.uniform(0, 0.02 * 2**attempt))  # noqa: S311 - jitter, not a secret


class OutOfTime(BotoCoreError):
    """Raised in place of a DynamoDB attempt that could outlast the invocation; botocore does not retry it."""

    fmt = "no time left in this invocation for another DynamoDB attempt"


class KeyStore:
    def __init__(self, client: DynamoDBClient, table_name: str, budget: InvocationBudget = invocation_budget) -> None:
        self._client = client
        self._table = table_name
        self._budget = budget
        # before-send fires for every attempt, botocore's retries included.
        client.meta.events.register(
            "before-send.dynamodb", self._refuse_attempt_past_budget, unique_id="signing-keys-invocation-budget"
        )

    def _refuse_attempt_past_budget(self, **_: Any) -> None:
        if not self._budget.allows(_ATTEMPT_WORST_CASE_SECONDS):
            raise OutOfTime()

    @classmethod
    def connect(cls, table_name: str) -> KeyStore:
        """One client per container; endpoint overrides come from AWS_ENDPOINT_URL(_DYNAMODB)."""
        return cls(boto3.client("dynamodb", config=_CLIENT_CONFIG), table_name)

    def _transact(self, items: list[Item], audit: AuditEntry) -> list[str] | None:
        """Run a change and its audit entry as one transaction, so that neither exists without the other; None on
        success, else the cancellation codes of a condition failure (the entry is last: it has no condition).

        Conflicts with concurrent transactions are retried a bounded number of times with jitter.
        """
        items = [*items, {"Put": {"TableName": self._table, "Item": _audit_item(audit)}}]
        for attempt in range(_CONFLICT_ATTEMPTS):
            try:
                with _unavailable_on_transient_errors():
                    # botocore retries a timed-out call with this same token, so a transaction that did commit
                    # is not applied twice (and not misread as a failed condition).
                    self._client.transact_write_items(
                        TransactItems=items,  # type: ignore[arg-type]
                        ClientRequestToken=str(uuid.uuid4()),
                    )
            except ClientError as error:
                if error.response.get("Error", {}).get("Code") != "TransactionCanceledException":
                    raise
                codes = _cancellation_codes(error)
                if "ConditionalCheckFailed" in codes:
                    return codes
                if attempt + 1 < _CONFLICT_ATTEMPTS:
                    _pause_before_retry(attempt)
            else:
                return None
        raise ServiceUnavailable()

    def add_key(self, key: SigningKey, key_limit: int, audit: AuditEntry) -> None:
        codes = self._transact(
            [_count_one_more(self._table, key.workspace_id, key_limit), _put_new_key(self._table, key)],
            audit,
        )
        if codes is None:
            return
        if codes[0] == "ConditionalCheckFailed":
            raise KeyLimitReached()
        raise _already_registered()

    def get_key(self, key_id: str, *, consistent: bool = True) -> SigningKey | None:
        with _unavailable_on_transient_errors():
            response = self._client.get_item(TableName=self._table, Key=_key_pk(key_id), ConsistentRead=consistent)
        item = response.get("Item")
        return key_from_item(item) if item else None

    def list_keys(self, workspace_id: str) -> list[SigningKey]:
        """All keys of a workspace, oldest first: one GSI query (more pages only past 1 MB)."""
        request: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": "GSI1",
            "KeyConditionExpression": "GSI1PK = :pk",
            "ExpressionAttributeValues": {":pk": {"S": f"WS#{workspace_id}"}},
        }
        keys: list[SigningKey] = []
        while True:
            with _unavailable_on_transient_errors():
                response = self._client.query(**request)
            keys.extend(key_from_item(item) for item in response.get("Items", []))
            if "LastEvaluatedKey" not in response:
                return keys
            request["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def update_key(self, workspace_id: str, key_id: str, update: KeyUpdate, audit: AuditEntry) -> None:
        """One transaction with its audit entry: the key's changed fields and its next revision."""
        codes = self._transact([_update_of_key(self._table, workspace_id, key_id, _updated_values(update))], audit)
        if codes is not None:
            raise KeyNotFound()

    def rotate_key(
        self, workspace_id: str, key_id: str, plan: Callable[[SigningKey], Rotation], key_limit: int
    ) -> Rotation:
        """Replace a key by a successor: one transaction adds the successor (counted against the limit) and sets
        the old key's expiry, only if the old key is still exactly as read.

        Two calls when nothing interferes: a strongly consistent read of the old key, whose fields `plan` copies
        into the successor (a transaction cannot copy one item into another), then the transaction. A write to
        the old key in between fails its condition: the read and the transaction are repeated a bounded number
        of times. At the limit → KeyLimitReached and nothing written; a key gone or of another workspace →
        KeyNotFound.
        """
        for attempt in range(_CONFLICT_ATTEMPTS):
            current = self.get_key(key_id)
            if current is None or current.workspace_id != workspace_id:
                raise KeyNotFound()
            rotation = plan(current)
            expire_old_key = _update_of_key(
                self._table,
                workspace_id,
                key_id,
                {"expiresAt": _expires_at_value(rotation.old_key_expires_at)},
                read_revision=current.revision,
            )
            codes = self._transact(
                [
                    _count_one_more(self._table, workspace_id, key_limit),
                    _put_new_key(self._table, rotation.successor),
                    expire_old_key,
                ],
                rotation.audit,
            )
            if codes is None:
                return rotation
            if codes[0] == "ConditionalCheckFailed":
                raise KeyLimitReached()
            if codes[1] == "ConditionalCheckFailed":
                raise _already_registered()
            _pause_before_retry(attempt)
        raise ServiceUnavailable()

    def delete_key(self, workspace_id: str, key_id: str, audit: AuditEntry) -> None:
        codes = self._transact(
            [
                {
                    "Delete": {
                        "TableName": self._table,
                        "Key": _key_pk(key_id),
                        "ConditionExpression": "workspaceId = :ws",
                        "ExpressionAttributeValues": {":ws": {"S": workspace_id}},
                    }
                },
                {
                    "Update": {
                        "TableName": self._table,
                        "Key": _counter_pk(workspace_id),
                        "UpdateExpression": "SET keyCount = keyCount - :one",
                        "ConditionExpression": "keyCount >= :one",
                        "ExpressionAttributeValues": {":one": {"N": "1"}},
                    }
                },
            ],
            audit,
        )
        if codes is not None:
            raise KeyNotFound()

    def record_last_seen(self, key_id: str, seen_at_ms: int, interval_seconds: int) -> None:
        """Set the key's lastSeen unless another container did within the interval (the condition settles
        containers writing at once) or the key is gone (a deleted key stays deleted). Any other failure is
        raised: the verifier reports it without failing the verification it follows."""
        try:
            self._client.update_item(
                TableName=self._table,
                Key=_key_pk(key_id),
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

    # -- revocations ---------------------------------------------------------------------------------------
    def _revocation_write(self, revocation: Revocation) -> list[Item]:
        """The items of the one transaction that records a revocation (`_transact` adds its audit entry): the
        entry, unless one with the same id stands, and for an issuedBefore its cut-off on the workspace item,
        which verification reads with the key."""
        items: list[Item] = [
            {
                "Put": {
                    "TableName": self._table,
                    "Item": _revocation_item(revocation),
                    "ConditionExpression": "attribute_not_exists(PK)",
                }
            }
        ]
        if revocation.type is RevocationType.ISSUED_BEFORE:
            items.append(
                {
                    "Update": {
                        "TableName": self._table,
                        "Key": _counter_pk(revocation.workspace_id),
                        "UpdateExpression": "SET #cutoff = :cutoff",
                        "ExpressionAttributeNames": {"#cutoff": _cutoff_attribute(revocation.revocation_id)},
                        "ExpressionAttributeValues": {":cutoff": {"M": {"issuedBefore": {"N": str(revocation.value)}}}},
                    }
                }
            )
        return items

    def add_revocation(self, revocation: Revocation, audit: AuditEntry) -> Revocation | None:
        """Record `revocation` with its audit entry; None when written, else the entry with the same id, which
        stands unchanged (nothing is written, no audit entry either). An entry deleted between the refused write
        and the read is written after all."""
        for _ in range(_CONFLICT_ATTEMPTS):
            if self._transact(self._revocation_write(revocation), audit) is None:
                return None
            existing = self.get_revocation(revocation.revocation_id)
            if existing is not None:
                return existing
        raise ServiceUnavailable()

    def get_revocation(self, revocation_id: str) -> Revocation | None:
        with _unavailable_on_transient_errors():
            response = self._client.get_item(
                TableName=self._table, Key=_revocation_pk(revocation_id), ConsistentRead=True
            )
        item = response.get("Item")
        return revocation_from_item(item) if item else None

    def workspace_cutoffs(self, workspace_id: str) -> tuple[Cutoff, ...]:
        with _unavailable_on_transient_errors():
            response = self._client.get_item(TableName=self._table, Key=_counter_pk(workspace_id), ConsistentRead=True)
        return cutoffs_from_item(response.get("Item", {}))

    def list_revocations(self, workspace_id: str, *, limit: int, cursor: str | None) -> RevocationPage:
        """A page of the workspace's revocations, newest first: one index query; the cursor is None only on the
        last page."""
        partition = _revocations_partition(workspace_id)
        request: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": "GSI1",
            "KeyConditionExpression": "GSI1PK = :pk",
            "ExpressionAttributeValues": {":pk": {"S": partition}},
            "ScanIndexForward": False,
            "Limit": limit,
        }
        if cursor is not None:
            sort_key = _sort_key_of(cursor, _REVOCATION_SORT_KEY)
            revocation_id = sort_key.partition("#")[2]
            request["ExclusiveStartKey"] = {
                **_revocation_pk(revocation_id),
                "GSI1PK": {"S": partition},
                "GSI1SK": {"S": sort_key},
            }
        with _unavailable_on_transient_errors():
            response = self._client.query(**request)
        last = response.get("LastEvaluatedKey")
        return RevocationPage(
            revocations=[revocation_from_item(item) for item in response.get("Items", [])],
            next_cursor=_cursor(last["GSI1SK"]["S"] if last else None),
        )

    def delete_revocation(self, workspace_id: str, revocation_id: str, audit: AuditEntry) -> None:
        """One transaction: the entry (this workspace's), its cut-off if it is an issuedBefore one
        (removing an attribute the workspace item lacks changes nothing), and the audit entry.
        RevocationNotFound otherwise."""
        codes = self._transact(
            [
                {
                    "Delete": {
                        "TableName": self._table,
                        "Key": _revocation_pk(revocation_id),
                        "ConditionExpression": "workspaceId = :ws",
                        "ExpressionAttributeValues": {":ws": {"S": workspace_id}},
                    }
                },
                {
                    "Update": {
                        "TableName": self._table,
                        "Key": _counter_pk(workspace_id),
                        "UpdateExpression": "REMOVE #cutoff",
                        "ExpressionAttributeNames": {"#cutoff": _cutoff_attribute(revocation_id)},
                    }
                },
            ],
            audit,
        )
        if codes is not None:
            raise RevocationNotFound()

    # -- verification ---------------------------------------------------------------------------------------
    def read_for_verification(
        self, workspace_id: str, *, key_id: str | None, revocation_ids: Sequence[str]
    ) -> VerificationItems:
        """One strongly consistent BatchGetItem: the key and the workspace item (its cut-offs) when `key_id` is
        given, and the revocation entries named. Keys DynamoDB leaves unprocessed (throttling) are asked for
        again, a bounded number of times within the invocation's budget; then 503."""
        keys = [_key_pk(key_id), _counter_pk(workspace_id)] if key_id is not None else []
        keys += [_revocation_pk(revocation_id) for revocation_id in revocation_ids]
        found: list[Item] = []
        for attempt in range(_CONFLICT_ATTEMPTS):
            with _unavailable_on_transient_errors():
                response: Any = self._client.batch_get_item(
                    RequestItems={self._table: {"Keys": keys, "ConsistentRead": True}}
                )
            found += response.get("Responses", {}).get(self._table, [])
            keys = response.get("UnprocessedKeys", {}).get(self._table, {}).get("Keys", [])
            if not keys:
                return _verification_items(found)
            if attempt + 1 < _CONFLICT_ATTEMPTS:
                _pause_before_retry(attempt)
        raise ServiceUnavailable()

    def consume_single_use(self, workspace_id: str, jti: str, *, keep_until: int) -> bool:
        """Mark a single-use token used: True for the first caller, False for every later one (one conditional
        put; the item stays until `keep_until`, epoch seconds, when no copy of the token can verify any more)."""
        try:
            with _unavailable_on_transient_errors():
                self._client.put_item(
                    TableName=self._table,
                    Item={**_used_pk(workspace_id, jti), "ttl": {"N": str(keep_until)}},
                    ConditionExpression="attribute_not_exists(PK)",
                )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def single_use_spent(self, workspace_id: str, jti: str) -> bool:
        """Whether a single-use token was spent (a strongly consistent read; nothing is written)."""
        with _unavailable_on_transient_errors():
            response = self._client.get_item(
                TableName=self._table, Key=_used_pk(workspace_id, jti), ConsistentRead=True
            )
        return "Item" in response

    # -- credentials ----------------------------------------------------------------------------------------
    def get_credential(self, secret_digest: str) -> Credential | None:
        with _unavailable_on_transient_errors():
            response = self._client.get_item(TableName=self._table, Key=_credential_pk(secret_digest))
        item = response.get("Item")
        return _credential_from_item(item) if item else None

    def add_credential(self, secret_digest: str, credential: Credential, audit: AuditEntry) -> bool:
        """Store a new secret; False (and nothing written) when a credential with that secret exists."""
        put = {
            "Put": {
                "TableName": self._table,
                "Item": _credential_item(secret_digest, credential),
                "ConditionExpression": "attribute_not_exists(PK)",
            }
        }
        return self._transact([put], audit) is None

    def _credential_items(self, workspace_id: str, token_id: str | None = None) -> list[Item]:
        """A workspace's credential items (every secret of every token id, or of one), by token id then age."""
        request: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": "GSI1",
            "KeyConditionExpression": "GSI1PK = :pk",
            "ExpressionAttributeValues": {":pk": {"S": f"CREDS#{workspace_id}"}},
        }
        if token_id is not None:
            request["KeyConditionExpression"] += " AND begins_with(GSI1SK, :token)"
            request["ExpressionAttributeValues"][":token"] = {"S": f"{token_id}#"}
        items: list[Item] = []
        while True:
            with _unavailable_on_transient_errors():
                response = self._client.query(**request)
            items.extend(response.get("Items", []))
            if "LastEvaluatedKey" not in response:
                break
            request["ExclusiveStartKey"] = response["LastEvaluatedKey"]
        # begins_with("a#") also matches token id "a#b": keep exact matches only.
        return [item for item in items if token_id is None or item["tokenId"]["S"] == token_id]

    def list_credentials(self, workspace_id: str) -> list[Credential]:
        return [_credential_from_item(item) for item in self._credential_items(workspace_id)]

    def _existing_credential_items(self, workspace_id: str, token_id: str) -> list[Item]:
        items = self._credential_items(workspace_id, token_id)
        if not items:
            raise CredentialNotFound()
        return items

    def set_credential_disabled(self, workspace_id: str, token_id: str, disabled: bool, audit: AuditEntry) -> None:
        """The operator's switch, on every secret of the token id at once (a secret retired by rotation stays so)."""
        updates = [
            {
                "Update": {
                    "TableName": self._table,
                    "Key": {"PK": item["PK"], "SK": item["SK"]},
                    "UpdateExpression": "SET disabled = :disabled",
                    "ConditionExpression": "attribute_exists(PK)",
                    "ExpressionAttributeValues": {":disabled": {"BOOL": disabled}},
                }
            }
            for item in self._existing_credential_items(workspace_id, token_id)
        ]
        if self._transact(updates, audit) is not None:
            raise CredentialNotFound()

    def rotate_credential(
        self, workspace_id: str, token_id: str, secret_digest: str, retire_at: datetime, audit: AuditEntry
    ) -> Credential:
        """A new secret for the token id (same scope and switch, created at the audit entry's time), and every
        current secret retired at `retire_at`, in one transaction. A retired secret's item is removed by the
        table's TTL a day later."""
        items = self._existing_credential_items(workspace_id, token_id)
        current = [_credential_from_item(item) for item in items]
        newest = max(current, key=lambda credential: credential.created_at)
        replacement = Credential(
            token_id=token_id,
            workspace_id=workspace_id,
            scope=newest.scope,
            created_at=audit.created_at,
            disabled=newest.disabled,
        )
        retire_ms = to_millis(retire_at)
        retirements = [
            {
                "Update": {
                    "TableName": self._table,
                    "Key": {"PK": item["PK"], "SK": item["SK"]},
                    "UpdateExpression": "SET disableAt = :at, #ttl = :ttl",
                    "ConditionExpression": "attribute_exists(PK)",
                    "ExpressionAttributeNames": {"#ttl": "ttl"},
                    "ExpressionAttributeValues": {
                        ":at": {"N": str(retire_ms)},
                        ":ttl": {"N": str(retire_ms // 1000 + _RETIRED_SECRET_LISTED_SECONDS)},
                    },
                }
            }
            for item, credential in zip(items, current, strict=True)
            # A secret already retiring sooner keeps its earlier end.
            if credential.disable_at is None or credential.disable_at > retire_at
        ]
        put = {
            "Put": {
                "TableName": self._table,
                "Item": _credential_item(secret_digest, replacement),
                "ConditionExpression": "attribute_not_exists(PK)",
            }
        }
        if self._transact([put, *retirements], audit) is not None:
            raise CredentialNotFound()
        return replacement

    # -- audit trail ----------------------------------------------------------------------------------------
    def list_audit(self, workspace_id: str, *, limit: int, cursor: str | None) -> AuditPage:
        """A page of the workspace's audit entries, newest first: one Query of its partition."""
        request: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "PK = :pk",
            "ExpressionAttributeValues": {":pk": {"S": f"AUDIT#{workspace_id}"}},
            "ScanIndexForward": False,
            "Limit": limit,
        }
        if cursor is not None:
            sort_key = _sort_key_of(cursor, _AUDIT_SORT_KEY)
            request["ExclusiveStartKey"] = {"PK": {"S": f"AUDIT#{workspace_id}"}, "SK": {"S": sort_key}}
        with _unavailable_on_transient_errors():
            response = self._client.query(**request)
        last = response.get("LastEvaluatedKey")
        return AuditPage(
            entries=[_audit_from_item(item) for item in response.get("Items", [])],
            next_cursor=_cursor(last["SK"]["S"] if last else None),
        )
