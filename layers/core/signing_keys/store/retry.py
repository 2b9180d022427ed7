"""The one retry policy of every DynamoDB call: botocore's own retries and timeouts inside the invocation's time
budget, conflicts retried a bounded number of times with jitter, and what still fails transiently a 503."""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from signing_keys.budget import InvocationBudget
from signing_keys.errors import ServiceUnavailable

TRANSIENT_CODES = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
        "InternalServerError",
        "ServiceUnavailable",
        "TransactionInProgressException",
    }
)
CONFLICT_ATTEMPTS = 4
# DynamoDB answers in milliseconds; a call that has not answered in 2 s is better retried than awaited.
_CONNECT_TIMEOUT_SECONDS = 1
_READ_TIMEOUT_SECONDS = 2
# botocore's standard mode retries throttling, 5xx and timeouts with jittered backoff (≤ 1 s, then ≤ 2 s).
CLIENT_CONFIG = Config(
    retries={"mode": "standard", "max_attempts": 3},
    connect_timeout=_CONNECT_TIMEOUT_SECONDS,
    read_timeout=_READ_TIMEOUT_SECONDS,
)
# No attempt starts unless it ends inside the invocation's budget even if it runs to both timeouts. With
# the template's Timeout of 10 s, a DynamoDB that never answers gets the 503 out by about 7 s (two attempts
# and their backoff; the third could not finish 1 s before the end), never at Lambda's kill.
_ATTEMPT_WORST_CASE_SECONDS = _CONNECT_TIMEOUT_SECONDS + _READ_TIMEOUT_SECONDS


class OutOfTime(BotoCoreError):
    """Raised in place of a DynamoDB attempt that could outlast the invocation; botocore does not retry it."""

    fmt = "no time left in this invocation for another DynamoDB attempt"


class AttemptsWithinBudget:
    """botocore's `before-send` hook (it fires for every attempt, botocore's retries included): refuses an attempt
    that could end past the invocation's budget."""

    def __init__(self, budget: InvocationBudget) -> None:
        self._budget = budget

    def __call__(self, **_: Any) -> None:
        if not self._budget.allows(_ATTEMPT_WORST_CASE_SECONDS):
            raise OutOfTime()


@contextmanager
def unavailable_on_transient_errors() -> Iterator[None]:
    """botocore already retried with backoff; what still fails transiently becomes a 503."""
    try:
        yield
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in TRANSIENT_CODES:
            raise ServiceUnavailable() from None
        raise
    except BotoCoreError:
        raise ServiceUnavailable() from None


def attempts(count: int = CONFLICT_ATTEMPTS) -> Iterator[int]:
    """Attempt numbers 0 … count - 1, with a jittered pause before each retry. The caller stops at the first
    attempt that settles the matter, and raises ServiceUnavailable when they run out."""
    for attempt in range(count):
        if attempt:
            time.sleep(random.uniform(0, 0.02 * 2 ** (attempt - 1)))  # noqa: S311 - jitter, not a secret
        yield attempt
