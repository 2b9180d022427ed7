"""The invocation's time budget, on an injected clock: DynamoDB work may start only if it can end a margin
before Lambda's Timeout."""

from __future__ import annotations

from dataclasses import dataclass

from signing_keys.budget import RESPONSE_MARGIN_SECONDS, InvocationBudget, budgeted, invocation_budget


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Context:
    remaining_millis: int

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_millis


def test_work_that_ends_a_margin_before_the_timeout_is_allowed() -> None:
    clock = Clock()
    budget = InvocationBudget(clock)
    budget.start(Context(remaining_millis=10_000))
    assert budget.allows(10 - RESPONSE_MARGIN_SECONDS)
    assert not budget.allows(10 - RESPONSE_MARGIN_SECONDS + 0.001)


def test_the_budget_shrinks_as_the_invocation_runs() -> None:
    clock = Clock()
    budget = InvocationBudget(clock)
    budget.start(Context(remaining_millis=10_000))
    clock.now += 6.5
    assert budget.allows(2.5)
    assert not budget.allows(3)


def test_each_invocation_starts_its_own_budget() -> None:
    clock = Clock()
    budget = InvocationBudget(clock)
    budget.start(Context(remaining_millis=2_000))
    assert not budget.allows(3)
    clock.now += 60
    budget.start(Context(remaining_millis=10_000))
    assert budget.allows(3)


def test_without_a_lambda_context_there_is_no_deadline() -> None:
    budget = InvocationBudget(Clock())
    budget.start(object())
    assert budget.allows(3600)


def test_after_an_invocation_there_is_no_deadline() -> None:
    clock = Clock()
    budget = InvocationBudget(clock)
    budget.start(Context(remaining_millis=1_000))
    budget.stop()
    assert budget.allows(3600)


def test_a_budgeted_handler_leaves_no_deadline_behind() -> None:
    # Given a handler run inside the container's budget
    seen: list[bool] = []
    handler = budgeted(lambda event, context: seen.append(invocation_budget.allows(3600)))
    # When it runs with 10 s left
    handler({}, Context(remaining_millis=10_000))
    # Then an hour of work did not fit inside the invocation, and fits after it (no stale deadline)
    assert seen == [False]
    assert invocation_budget.allows(3600)
