"""Unit tier: pure code, or one collaborator at most (the store's repositories on moto's in-process DynamoDB)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from signing_keys.budget import InvocationBudget
from signing_keys.store.credentials import CredentialRepository
from signing_keys.store.keys import KeyRepository
from signing_keys.store.revocations import RevocationRepository
from signing_keys.store.table import Table
from signing_keys_local.template import Template
from tests.conftest import TEMPLATE

TABLE_DEFINITION = Template(TEMPLATE).table_definition()
TABLE_NAME = TABLE_DEFINITION["TableName"]


class ManualClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def dynamodb() -> Iterator[Any]:
    """A client of moto's DynamoDB holding the template's table (same keys and index as deployed)."""
    with mock_aws():
        client = boto3.client("dynamodb")
        client.create_table(**TABLE_DEFINITION)
        yield client


@pytest.fixture
def calls(dynamodb: Any) -> Counter[str]:
    """DynamoDB operations sent through the client from now on."""
    counted: Counter[str] = Counter()

    def record(model: Any, **_: Any) -> None:
        counted[model.name] += 1

    dynamodb.meta.events.register("before-call.dynamodb", record)
    return counted


@pytest.fixture
def budget(clock: ManualClock) -> InvocationBudget:
    return InvocationBudget(clock)


@pytest.fixture
def table(dynamodb: Any, budget: InvocationBudget) -> Table:
    return Table(dynamodb, TABLE_NAME, budget)


@pytest.fixture
def key_repository(table: Table) -> KeyRepository:
    return KeyRepository(table)


@pytest.fixture
def revocation_repository(table: Table) -> RevocationRepository:
    return RevocationRepository(table)


@pytest.fixture
def credential_repository(table: Table) -> CredentialRepository:
    return CredentialRepository(table)
