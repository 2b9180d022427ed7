"""The table as every repository reaches it: one DynamoDB client per container, held to the invocation's time
budget, and the one way a change is written — a transaction with its audit entry."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

import boto3
from botocore.exceptions import ClientError

from signing_keys.budget import InvocationBudget, invocation_budget
from signing_keys.errors import ServiceUnavailable
from signing_keys.models import AuditEntry
from signing_keys.store.audit_items import audit_item
from signing_keys.store.retry import CLIENT_CONFIG, AttemptsWithinBudget, attempts, unavailable_on_transient_errors
from signing_keys.store.transaction import Put, Transaction

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient
else:
    DynamoDBClient = Any

# The write `transact` adds to every transaction; no write of a repository may take its name.
AUDIT_ENTRY = "audit entry"


class Table:
    def __init__(self, client: DynamoDBClient, name: str, budget: InvocationBudget = invocation_budget) -> None:
        self.client = client
        self.name = name
        # before-send fires for every attempt, botocore's retries included.
        client.meta.events.register(
            "before-send.dynamodb", AttemptsWithinBudget(budget), unique_id="signing-keys-invocation-budget"
        )

    @classmethod
    def connect(cls, table_name: str) -> Table:
        """One client per container; endpoint overrides come from AWS_ENDPOINT_URL(_DYNAMODB)."""
        return cls(boto3.client("dynamodb", config=CLIENT_CONFIG), table_name)

    def transact(self, transaction: Transaction, audit: AuditEntry) -> frozenset[str]:
        """Write a change and its audit entry as one transaction, so that neither exists without the other: the
        names of the writes whose condition failed (nothing written), or none when it committed.

        Conflicts with concurrent transactions are retried a bounded number of times with jitter, then 503.
        """
        transaction = transaction.add(AUDIT_ENTRY, Put(audit_item(audit)))
        request = transaction.request(self.name)
        for _ in attempts():
            try:
                with unavailable_on_transient_errors():
                    # botocore retries a timed-out call with this same token, so a transaction that did commit
                    # is not applied twice (and not misread as a failed condition).
                    self.client.transact_write_items(
                        TransactItems=request,  # type: ignore[arg-type]
                        ClientRequestToken=str(uuid.uuid4()),
                    )
            except ClientError as error:
                if error.response.get("Error", {}).get("Code") != "TransactionCanceledException":
                    raise
                failed = transaction.failed_conditions(error.response.get("CancellationReasons", []))
                if failed:
                    return failed
            else:
                return frozenset()
        raise ServiceUnavailable()
