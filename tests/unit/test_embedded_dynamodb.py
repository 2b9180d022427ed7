"""The embedded DynamoDB honours ClientRequestToken as DynamoDB does: a retry within 10 minutes is not reapplied."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from signing_keys_local.dynamodb import IDEMPOTENCY_WINDOW_SECONDS, EmbeddedDynamoDB, ensure_table
from signing_keys_local.template import Template
from tests.conftest import TEMPLATE

DEFINITION = Template(TEMPLATE).table_definition()
TABLE = str(DEFINITION["TableName"])
COUNTER_KEY = {"PK": {"S": "WS#a"}, "SK": {"S": "COUNTER"}}


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def client(clock: Clock) -> Iterator[Any]:
    embedded = EmbeddedDynamoDB(clock=clock).start()
    client = boto3.client("dynamodb", endpoint_url=embedded.endpoint_url, region_name="us-east-1")
    try:
        ensure_table(embedded.endpoint_url, DEFINITION)
        yield client
    finally:
        client.delete_table(TableName=TABLE)  # moto's backend is per process: the next test starts empty
        embedded.stop()


def increment(by: int = 1) -> list[dict[str, Any]]:
    return [
        {
            "Update": {
                "TableName": TABLE,
                "Key": COUNTER_KEY,
                "UpdateExpression": "ADD keyCount :by",
                "ExpressionAttributeValues": {":by": {"N": str(by)}},
            }
        }
    ]


def count(client: Any) -> int:
    return int(client.get_item(TableName=TABLE, Key=COUNTER_KEY, ConsistentRead=True)["Item"]["keyCount"]["N"])


def test_a_retried_transaction_with_the_same_token_succeeds_without_being_applied_again(client: Any) -> None:
    # Given a transaction that committed with token T
    client.transact_write_items(TransactItems=increment(), ClientRequestToken="token-t")
    # When it is sent again with T (a retry after a lost answer)
    client.transact_write_items(TransactItems=increment(), ClientRequestToken="token-t")
    # Then it succeeds and the counter moved once
    assert count(client) == 1


def test_the_same_token_with_other_items_is_an_idempotent_parameter_mismatch(client: Any) -> None:
    client.transact_write_items(TransactItems=increment(), ClientRequestToken="token-t")
    # When T comes back with different items
    with pytest.raises(ClientError) as raised:
        client.transact_write_items(TransactItems=increment(by=2), ClientRequestToken="token-t")
    # Then DynamoDB's error, and nothing applied
    assert raised.value.response["Error"]["Code"] == "IdempotentParameterMismatchException"
    assert count(client) == 1


def test_a_token_is_a_new_request_once_its_ten_minutes_are_over(client: Any, clock: Clock) -> None:
    client.transact_write_items(TransactItems=increment(), ClientRequestToken="token-t")
    # When T is sent again after the idempotency window
    clock.now += IDEMPOTENCY_WINDOW_SECONDS
    client.transact_write_items(TransactItems=increment(), ClientRequestToken="token-t")
    # Then it is applied as a new transaction
    assert count(client) == 2


def test_transactions_with_different_tokens_are_each_applied(client: Any) -> None:
    client.transact_write_items(TransactItems=increment(), ClientRequestToken="token-a")
    client.transact_write_items(TransactItems=increment(), ClientRequestToken="token-b")
    assert count(client) == 2
