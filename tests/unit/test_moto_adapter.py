"""The embedded DynamoDB's moto adapter: transactions restore exactly what they touched, nothing is retained."""

from __future__ import annotations

import contextlib
import gc
import hashlib
import inspect
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.core.common_models import BaseModel
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import Item
from moto.dynamodb.models.table import Table

from signing_keys_local import moto_adapter
from signing_keys_local.moto_adapter import flat_moto
from signing_keys_local.template import Template
from tests.conftest import TEMPLATE

TABLE = str(Template(TEMPLATE).table_definition()["TableName"])
SEED: list[dict[str, Any]] = [
    {"PK": {"S": "WS#a"}, "SK": {"S": "COUNTER"}, "keyCount": {"N": "5"}},
    {"PK": {"S": "KEY#1"}, "SK": {"S": "KEY"}, "name": {"S": "one"}, "GSI1PK": {"S": "WS#a"}, "GSI1SK": {"S": "1"}},
    {"PK": {"S": "KEY#2"}, "SK": {"S": "KEY"}, "name": {"S": "two"}, "GSI1PK": {"S": "WS#a"}, "GSI1SK": {"S": "2"}},
]
INCREMENT = {
    "Update": {
        "TableName": TABLE,
        "Key": {"PK": {"S": "WS#a"}, "SK": {"S": "COUNTER"}},
        "UpdateExpression": "SET keyCount = keyCount + :one",
        "ExpressionAttributeValues": {":one": {"N": "1"}},
    }
}
DELETE_ONE = {"Delete": {"TableName": TABLE, "Key": {"PK": {"S": "KEY#1"}, "SK": {"S": "KEY"}}}}
PUT_THREE = {"Put": {"TableName": TABLE, "Item": {"PK": {"S": "KEY#3"}, "SK": {"S": "KEY"}, "name": {"S": "three"}}}}
UPDATE_CREATES_FOUR = {
    "Update": {
        "TableName": TABLE,
        "Key": {"PK": {"S": "KEY#4"}, "SK": {"S": "KEY"}},
        "UpdateExpression": "SET #n = :n",
        "ExpressionAttributeNames": {"#n": "name"},
        "ExpressionAttributeValues": {":n": {"S": "four"}},
    }
}
CHECK_MISSING_FAILS = {
    "ConditionCheck": {
        "TableName": TABLE,
        "Key": {"PK": {"S": "KEY#9"}, "SK": {"S": "KEY"}},
        "ConditionExpression": "attribute_exists(PK)",
    }
}
INCREMENT_BELOW_FIVE_FAILS = {
    "Update": {
        **INCREMENT["Update"],
        "ConditionExpression": "keyCount < :five",
        "ExpressionAttributeValues": {":one": {"N": "1"}, ":five": {"N": "5"}},
        "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
    }
}
PUT_WRONG_KEY_TYPE = {"Put": {"TableName": TABLE, "Item": {"PK": {"N": "5"}, "SK": {"S": "KEY"}}}}
SCENARIOS = {
    "applied": [INCREMENT, DELETE_ONE, PUT_THREE, UPDATE_CREATES_FOUR],
    "condition fails last": [INCREMENT, DELETE_ONE, PUT_THREE, UPDATE_CREATES_FOUR, CHECK_MISSING_FAILS],
    "condition fails first, ALL_OLD": [INCREMENT_BELOW_FIVE_FAILS, PUT_THREE],
    "validation error midway": [INCREMENT, PUT_THREE, PUT_WRONG_KEY_TYPE],
    "two operations on one item": [
        PUT_THREE,
        {"Delete": {"TableName": TABLE, "Key": {"PK": {"S": "KEY#3"}, "SK": {"S": "KEY"}}}},
    ],
}


@contextlib.contextmanager
def seeded_table() -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        client.create_table(**Template(TEMPLATE).table_definition())
        for item in SEED:
            client.put_item(TableName=TABLE, Item=item)
        yield client


def items(client: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = client.scan(TableName=TABLE)["Items"]
    return sorted(found, key=lambda item: (item["PK"]["S"], item["SK"]["S"]))


def transact(client: Any, transaction: list[dict[str, Any]]) -> dict[str, Any]:
    """What the caller sees: success, or the error with its message and cancellation reasons in order."""
    try:
        client.transact_write_items(TransactItems=transaction)
    except ClientError as error:
        return {"error": error.response["Error"], "reasons": error.response.get("CancellationReasons")}
    return {"error": None}


def test_a_cancelled_transaction_leaves_every_touched_item_as_it_was() -> None:
    with seeded_table() as client, flat_moto():
        before = items(client)
        # When a transaction updates, deletes, puts and creates by update, then fails its last condition
        outcome = transact(client, SCENARIOS["condition fails last"])
        # Then it is cancelled with the reasons in order, and every item is exactly as before
        assert [reason["Code"] for reason in outcome["reasons"]] == ["None"] * 4 + ["ConditionalCheckFailed"]
        assert items(client) == before


def test_an_applied_transaction_changes_exactly_the_items_it_names() -> None:
    with seeded_table() as client, flat_moto():
        # When a transaction increments the counter, deletes key 1, puts key 3 and creates key 4 by update
        assert transact(client, SCENARIOS["applied"]) == {"error": None}
        # Then exactly those changed; key 2 is untouched
        assert items(client) == [
            SEED[2],
            {"PK": {"S": "KEY#3"}, "SK": {"S": "KEY"}, "name": {"S": "three"}},
            {"PK": {"S": "KEY#4"}, "SK": {"S": "KEY"}, "name": {"S": "four"}},
            {"PK": {"S": "WS#a"}, "SK": {"S": "COUNTER"}, "keyCount": {"N": "6"}},
        ]


def test_a_validation_error_midway_restores_the_items_written_before_it() -> None:
    with seeded_table() as client, flat_moto():
        before = items(client)
        # When the third operation of a transaction has a key of the wrong type
        outcome = transact(client, SCENARIOS["validation error midway"])
        # Then the request fails validation and the counter and key 3, already written, are as before
        assert outcome["error"]["Code"] == "ValidationException"
        assert items(client) == before


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_the_answer_and_the_table_are_motos_own(scenario: str) -> None:
    # Given the same table, once with moto's transaction and once with the adapter's
    observed = []
    for adapter in (contextlib.nullcontext(), flat_moto()):
        with seeded_table() as client, adapter:
            # When the same transaction runs
            observed.append((transact(client, SCENARIOS[scenario]), items(client)))
    # Then the caller sees the same answer (codes, messages, reasons, ALL_OLD items) and the same table
    assert observed[0] == observed[1]


def test_transactions_retain_no_table_copies_and_track_no_instances() -> None:
    with seeded_table() as client, flat_moto():
        gc.collect()
        tables_before = sum(isinstance(o, Table) for o in gc.get_objects())
        # When 50 transactions run, half of them cancelled
        for round_ in range(50):
            put = {"Put": {"TableName": TABLE, "Item": {"PK": {"S": f"KEY#r{round_}"}, "SK": {"S": "KEY"}}}}
            transact(client, [INCREMENT, put] + ([CHECK_MISSING_FAILS] if round_ % 2 else []))
        gc.collect()
        # Then no copy of the table is alive and moto's dashboard list holds nothing
        assert sum(isinstance(o, Table) for o in gc.get_objects()) == tables_before
        assert (Item.instances_tracked, Table.instances_tracked) == ([], [])


def test_leaving_flat_moto_puts_moto_back_as_it_was() -> None:
    motos_own = (DynamoDBBackend.__dict__["transact_write_items"], BaseModel.__dict__["__new__"])
    with flat_moto():
        assert DynamoDBBackend.transact_write_items is moto_adapter.transact_write_items
    assert (DynamoDBBackend.__dict__["transact_write_items"], BaseModel.__dict__["__new__"]) == motos_own


# What the adapter was checked against (moto 5.2.5). If one of these changed, re-read it against
# local/signing_keys_local/moto_adapter.py, then update the digest (and the moto pin in pyproject.toml).
CHECKED_SOURCES = {
    # runs against the adapter's view of the backend: it may use only tables, get_table, get_item and the writes
    "moto.dynamodb.models.DynamoDBBackend.transact_write_items": (
        DynamoDBBackend.transact_write_items,
        "81db2cb7d94e39c9",
    ),
    # define how table.items is laid out, which the adapter saves and restores directly
    "moto.dynamodb.models.table.Table.get_item": (Table.get_item, "b08e98fe37b7e583"),
    "moto.dynamodb.models.table.Table.put_item": (Table.put_item, "de23933013ef8426"),
    "moto.dynamodb.models.table.Table.delete_item": (Table.delete_item, "1594f7b07616c8cb"),
    # replaced while the adapter is active
    "moto.core.common_models.BaseModel.__new__": (BaseModel.__new__, "08cf0ef20e88029a"),
}
# The adapter wraps these writes, passing the table name and the item or key positionally.
CHECKED_SIGNATURES = {
    "put_item": ["self", "table_name", "item_attrs"],
    "update_item": ["self", "table_name", "key"],
    "delete_item": ["self", "table_name", "key"],
}


def test_the_moto_internals_the_adapter_relies_on_are_the_ones_it_was_checked_against() -> None:
    changed = [
        name
        for name, (function, digest) in CHECKED_SOURCES.items()
        if hashlib.sha256(inspect.getsource(function).encode()).hexdigest()[:16] != digest
    ]
    changed += [
        f"moto.dynamodb.models.DynamoDBBackend.{name} parameters"
        for name, parameters in CHECKED_SIGNATURES.items()
        if list(inspect.signature(getattr(DynamoDBBackend, name)).parameters)[:3] != parameters
    ]
    assert not changed, f"moto changed what local/signing_keys_local/moto_adapter.py relies on: {changed}"
