"""Each function's `lambda_handler(event, context)` in-process over moto, with the events of the event factory
(`signing_keys_local.examples`, the same the runner builds and `events/` holds). No gateway: what reaches a
handler here is exactly the event API Gateway would send."""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest
from moto import mock_aws

from signing_keys_local.cli import seed_examples
from tests.support import CLIENT_HOOKS, LocalFunctions, load_functions


@pytest.fixture
def functions() -> Iterator[LocalFunctions]:
    """The handler modules, warm and reset (`tests.support.WarmFunctions`), and a new table holding what the
    example events refer to: the example credential and the example key."""
    with mock_aws():
        loaded = load_functions()
        # Seeding's clients come from the default session; leaving none keeps the test on the warm modules.
        boto3.DEFAULT_SESSION = CLIENT_HOOKS.session
        try:
            seed_examples(loaded.template)
        finally:
            boto3.DEFAULT_SESSION = None
        yield loaded
