"""The API in-process over moto, built from template.yaml with optional parameter overrides.

Each test gets fresh handler modules, created inside `mock_aws` so their module-level clients are mocked.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import boto3
import pytest
from moto import mock_aws

from signing_keys_local.functions import FunctionHost
from signing_keys_local.gateway import Gateway
from signing_keys_local.template import Template
from tests.conftest import TEMPLATE
from tests.support import LocalApi

ApiFactory = Callable[..., LocalApi]


@pytest.fixture
def make_api() -> Iterator[ApiFactory]:
    """Builds the API with template parameter overrides, e.g. make_api(KeyLimit="3")."""
    with mock_aws():

        def build(**overrides: str) -> LocalApi:
            template = Template(TEMPLATE, {"LogLevel": "DEBUG", **overrides})
            definition = template.table_definition()
            boto3.client("dynamodb").create_table(**definition)
            host = FunctionHost(template)
            return LocalApi(template, host, Gateway(template, host), definition["TableName"])

        yield build


@pytest.fixture
def api(make_api: ApiFactory) -> LocalApi:
    return make_api()
