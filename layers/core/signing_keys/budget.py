"""The time an invocation may still spend waiting on DynamoDB, so retries end before Lambda's `Timeout` does.

Lambda kills a function at its `Timeout`: a request answered 503 + Retry-After a second before that is
better than a killed one (502/500 at the gateway, and a create that committed would lose its private key).
Each handler starts the budget from `context.get_remaining_time_in_millis()`; the store consults it before
every DynamoDB attempt, botocore's own retries included, and refuses an attempt that could end past it.
Free of botocore, so functions that never call DynamoDB (playback) do not load it.

A Lambda container serves one request at a time, so one budget per container is one per invocation.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from typing import Any

Handler = Callable[[dict[str, Any], Any], Any]

# Kept free at the end of the invocation: rendering the 503 and returning it take milliseconds, and a
# second absorbs a slow flush of logs and metrics.
RESPONSE_MARGIN_SECONDS = 1.0


class InvocationBudget:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._deadline: float | None = None

    def start(self, context: Any) -> None:
        """Measure from now to the invocation's end less the margin; no deadline where Lambda gives none."""
        remaining_millis = getattr(context, "get_remaining_time_in_millis", None)
        if remaining_millis is None:
            self._deadline = None
            return
        self._deadline = self._clock() + remaining_millis() / 1000 - RESPONSE_MARGIN_SECONDS

    def stop(self) -> None:
        """The invocation is over: work outside one (tooling, tests, the runner's seeding) has no deadline."""
        self._deadline = None

    def allows(self, seconds: float) -> bool:
        """Whether work taking up to `seconds` from now ends before the deadline."""
        return self._deadline is None or self._clock() + seconds <= self._deadline


invocation_budget = InvocationBudget()


def budgeted(handler: Handler) -> Handler:
    """Run the handler inside the container's budget, started from this invocation's context."""

    @functools.wraps(handler)
    def run(event: dict[str, Any], context: Any) -> Any:
        invocation_budget.start(context)
        try:
            return handler(event, context)
        finally:
            invocation_budget.stop()

    return run
