"""The API in-process over moto, built from template.yaml with optional parameter overrides.

The handler modules are imported once per set of overrides and reset for each test (`tests.support.WarmFunctions`);
each test gets its own `mock_aws`, so a new table, and a new gateway.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from moto import mock_aws

from tests.support import LocalApi, build_local_api

ApiFactory = Callable[..., LocalApi]


@pytest.fixture
def make_api() -> Iterator[ApiFactory]:
    """Builds the API with template parameter overrides, e.g. make_api(KeyLimit="3")."""
    with mock_aws():
        yield build_local_api


@pytest.fixture
def api(make_api: ApiFactory) -> LocalApi:
    return make_api()
