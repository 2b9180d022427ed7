"""Each function's `lambda_handler(event, context)` in-process over moto, with the events of the event factory
(`signing_keys_local.examples`, the same the runner builds and `events/` holds). No gateway: what reaches a
handler here is exactly the event API Gateway would send."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from moto import mock_aws

from signing_keys_local.cli import seed_examples
from tests.support import LocalFunctions, load_functions


@pytest.fixture
def functions() -> Iterator[LocalFunctions]:
    """Fresh handler modules (their clients are built inside the mock) and a table holding what the example
    events refer to: the example credential and the example key."""
    with mock_aws():
        loaded = load_functions()
        seed_examples(loaded.template)
        yield loaded
