"""DynamoDB access: the only module that talks to the table (items and access patterns: docs/architecture.md)."""

from __future__ import annotations

import hashlib
import random
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from signing_keys.budget import InvocationBudget, invocation_budget
from signing_keys.errors import FieldError, InvalidInput, KeyLimitReached, KeyNotFound, ServiceUnavailable
from signing_keys.models import (
    KEEP,
    Algorithm,
    KeyPolicy,
    KeyUpdate,
    Rotation,
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


@dataclass(frozen=True, slots=True)
class Credential:
    token_id: str
    workspace_id: str
    disabled: bool


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _key_pk(key_id: str) -> Item:
    return {"PK": {"S": f"KEY#{key_id}"}, "SK": {"S": "KEY"}}


def _counter_pk(workspace_id: str) -> Item:
    return {"PK": {"S": f"WS#{workspace_id}"}, "SK": {"S": "COUNTER"}}


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


def _key_item(key: SigningKey) -> Item:
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


def _policy_from_item(item: Item) -> KeyPolicy:
    expires_at = item.get("expiresAt")
    allowed_media = item.get("allowedMedia")
    max_lifetime = item.get("maxTokenLifetimeSeconds")
    return KeyPolicy(
        expires_at=None if expires_at is None else from_millis(int(expires_at["N"])),
        allowed_media=None if allowed_media is None else tuple(entry["S"] for entry in allowed_media["L"]),
        max_token_lifetime_seconds=None if max_lifetime is None else int(max_lifetime["N"]),
    )


def _key_from_item(item: Item) -> SigningKey:
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
    return {"Put": {"TableName": table, "Item": _key_item(key), "ConditionExpression": "attribute_not_exists(PK)"}}


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

    def _transact(self, items: list[Item]) -> list[str] | None:
        """Run a transaction; None on success, else the cancellation codes of a condition failure.

        Conflicts with concurrent transactions are retried a bounded number of times with jitter.
        """
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

    def add_key(self, key: SigningKey, key_limit: int) -> None:
        codes = self._transact(
            [_count_one_more(self._table, key.workspace_id, key_limit), _put_new_key(self._table, key)]
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
        return _key_from_item(item) if item else None

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
            keys.extend(_key_from_item(item) for item in response.get("Items", []))
            if "LastEvaluatedKey" not in response:
                return keys
            request["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def update_key(self, workspace_id: str, key_id: str, update: KeyUpdate) -> None:
        """One transaction (so an audit entry can join it): the key's changed fields and its next revision."""
        codes = self._transact([_update_of_key(self._table, workspace_id, key_id, _updated_values(update))])
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
                ]
            )
            if codes is None:
                return rotation
            if codes[0] == "ConditionalCheckFailed":
                raise KeyLimitReached()
            if codes[1] == "ConditionalCheckFailed":
                raise _already_registered()
            _pause_before_retry(attempt)
        raise ServiceUnavailable()

    def delete_key(self, workspace_id: str, key_id: str) -> None:
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
            ]
        )
        if codes is not None:
            raise KeyNotFound()

    def record_last_seen(self, key_id: str, seen_at_ms: int, interval_seconds: int) -> None:
        """Best effort: never fails the verification it follows. The verifier decides when (once per interval per
        key and container); the condition settles containers writing at once, and a deleted key stays deleted."""
        with suppress(ClientError, BotoCoreError):
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

    def get_credential(self, secret_digest: str) -> Credential | None:
        with _unavailable_on_transient_errors():
            response = self._client.get_item(
                TableName=self._table,
                Key={"PK": {"S": f"CRED#{secret_digest}"}, "SK": {"S": "CRED"}},
            )
        item = response.get("Item")
        if not item:
            return None
        return Credential(
            token_id=item["tokenId"]["S"],
            workspace_id=item["workspaceId"]["S"],
            disabled=item.get("disabled", {}).get("BOOL", False),
        )

    def put_credential(self, secret_digest: str, credential: Credential, created_at: datetime) -> None:
        self._client.put_item(
            TableName=self._table,
            Item={
                "PK": {"S": f"CRED#{secret_digest}"},
                "SK": {"S": "CRED"},
                "tokenId": {"S": credential.token_id},
                "workspaceId": {"S": credential.workspace_id},
                "createdAt": {"S": iso8601(created_at)},
                "disabled": {"BOOL": credential.disabled},
            },
            ConditionExpression="attribute_not_exists(PK)",
        )
