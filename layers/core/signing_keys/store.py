"""DynamoDB access: the only module that talks to the table (items and access patterns: docs/architecture.md)."""

from __future__ import annotations

import hashlib
import random
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from signing_keys.budget import InvocationBudget, invocation_budget
from signing_keys.errors import FieldError, InvalidInput, KeyLimitReached, KeyNotFound, ServiceUnavailable
from signing_keys.models import Algorithm, SigningKey, from_iso8601, iso8601

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
    return item


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
        last_seen=datetime.fromtimestamp(int(last_seen["N"]) / 1000, UTC) if last_seen else None,
        disabled=item.get("disabled", {}).get("BOOL", False),
    )


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
            [
                {
                    "Update": {
                        "TableName": self._table,
                        "Key": _counter_pk(key.workspace_id),
                        "UpdateExpression": "SET keyCount = if_not_exists(keyCount, :zero) + :one",
                        "ConditionExpression": "attribute_not_exists(keyCount) OR keyCount < :limit",
                        "ExpressionAttributeValues": {
                            ":zero": {"N": "0"},
                            ":one": {"N": "1"},
                            ":limit": {"N": str(key_limit)},
                        },
                    }
                },
                {
                    "Put": {
                        "TableName": self._table,
                        "Item": _key_item(key),
                        "ConditionExpression": "attribute_not_exists(PK)",
                    }
                },
            ]
        )
        if codes is None:
            return
        if codes[0] == "ConditionalCheckFailed":
            raise KeyLimitReached()
        raise InvalidInput([FieldError("publicKey", "this public key is already registered")])

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

    def update_key(self, workspace_id: str, key_id: str, *, name: str | None, disabled: bool | None) -> None:
        assignments: list[str] = []
        values: Item = {":ws": {"S": workspace_id}}
        names: dict[str, str] = {}
        if name is not None:
            assignments.append("#name = :name")
            names["#name"] = "name"
            values[":name"] = {"S": name}
        if disabled is not None:
            assignments.append("disabled = :disabled")
            values[":disabled"] = {"BOOL": disabled}
        request: dict[str, Any] = {
            "TableName": self._table,
            "Key": _key_pk(key_id),
            "UpdateExpression": "SET " + ", ".join(assignments),
            "ConditionExpression": "workspaceId = :ws",
            "ExpressionAttributeValues": values,
        }
        if names:
            request["ExpressionAttributeNames"] = names
        try:
            with _unavailable_on_transient_errors():
                self._client.update_item(**request)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                raise KeyNotFound() from None
            raise

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
