"""A first `sam deploy` of template.yaml at its defaults succeeds in any account: a new one (concurrency quota 10)
and any partition. Sources: docs/deploy.md."""

from __future__ import annotations

from typing import Any

import pytest

from signing_keys_local.template import Template
from tests.conftest import TEMPLATE
from tests.unit.conditions import NO_VALUE, effective_value

# Lambda keeps this much of the account's concurrency quota unreserved (PutFunctionConcurrency).
UNRESERVED_MINIMUM = 100
# What new accounts are often given.
NEW_ACCOUNT_QUOTA = 10
FUNCTION_TYPES = {"AWS::Serverless::Function", "AWS::Lambda::Function"}
CONSOLE_HOSTS = {
    "aws": "console.aws.amazon.com",
    "aws-cn": "console.amazonaws.cn",
    "aws-us-gov": "console.amazonaws-us-gov.com",
}


def _reserved_concurrency(template: Template) -> dict[str, int]:
    reserved = {}
    for logical_id, resource in template.resources.items():
        if resource.get("Type") not in FUNCTION_TYPES:
            continue
        setting = (resource.get("Properties") or {}).get("ReservedConcurrentExecutions", {"Ref": "AWS::NoValue"})
        value = effective_value(template, setting)
        if value is not NO_VALUE:
            reserved[logical_id] = int(value)
    return reserved


def test_the_defaults_reserve_no_concurrency_so_a_new_account_can_deploy() -> None:
    # Given the template at its default parameters
    reserved = _reserved_concurrency(Template(TEMPLATE))
    # When Lambda checks the reservations against a new account's quota
    total = sum(reserved.values())
    # Then they fit: quota - 100 is negative there, so only no reservation at all does
    assert total <= max(0, NEW_ACCOUNT_QUOTA - UNRESERVED_MINIMUM), reserved
    assert reserved == {}


def test_a_reservation_is_opt_in_and_reaches_each_public_function() -> None:
    # Given an operator who opts in (an account whose quota allows it)
    template = Template(TEMPLATE, {"PlaybackReservedConcurrency": "50", "JwksReservedConcurrency": "10"})
    # Then the sum the quota must cover is what the parameter descriptions say: 2 x playback + JWKS
    assert sum(_reserved_concurrency(template).values()) == 2 * 50 + 10


def _console_host(expression: Any, partition: str) -> str:
    """Fn::If on the partition conditions, decided for `partition` (the runner resolves only "aws")."""
    if isinstance(expression, str):
        return expression
    condition, when_true, when_false = expression["Fn::If"]
    (left, right) = Template(TEMPLATE).document["Conditions"][condition]["Fn::Equals"]
    assert left == {"Ref": "AWS::Partition"}
    return _console_host(when_true if partition == right else when_false, partition)


@pytest.mark.parametrize(("partition", "host"), sorted(CONSOLE_HOSTS.items()))
def test_the_dashboard_url_uses_the_console_of_the_stacks_partition(partition: str, host: str) -> None:
    # Given the DashboardUrl output
    text, variables = Template(TEMPLATE).document["Outputs"]["DashboardUrl"]["Value"]["Fn::Sub"]
    # When CloudFormation substitutes the console host in that partition
    url = text.replace("${ConsoleHost}", _console_host(variables["ConsoleHost"], partition))
    # Then the link opens that partition's console
    assert url.startswith(f"https://{host}/cloudwatch/home?region=${{AWS::Region}}#dashboards:name=")


def test_any_other_partition_still_deploys_with_the_commercial_console_host() -> None:
    # A FindInMap without the partition would fail the deploy; the conditions fall back instead.
    variables = Template(TEMPLATE).document["Outputs"]["DashboardUrl"]["Value"]["Fn::Sub"][1]
    assert _console_host(variables["ConsoleHost"], "aws-iso") == CONSOLE_HOSTS["aws"]
