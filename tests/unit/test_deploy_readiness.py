"""A first `sam deploy` of template.yaml at its defaults succeeds in any account: a new one (concurrency quota 10)
and any partition. Sources: docs/deploy.md."""

from __future__ import annotations

import re
from typing import Any

import pytest

from signing_keys_local.template import Template
from tests.conftest import TEMPLATE
from tests.unit.conditions import NO_VALUE, condition_holds, effective_value

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


# -- API Gateway's account-wide CloudWatch Logs role ---------------------------------------------------------------
def _referenced_resources(value: Any) -> set[str]:
    """Logical ids a property refers to: Ref, Fn::GetAtt and ${...} in Fn::Sub."""
    if isinstance(value, list):
        return set().union(*(_referenced_resources(item) for item in value)) if value else set()
    if not isinstance(value, dict):
        return set()
    found: set[str] = set()
    for key, argument in value.items():
        if key == "Ref" and isinstance(argument, str):
            found.add(argument)
        elif key == "Fn::GetAtt":
            found.add(argument[0] if isinstance(argument, list) else str(argument).split(".")[0])
        elif key == "Fn::Sub":
            text = argument if isinstance(argument, str) else argument[0]
            found |= {name.split(".")[0] for name in re.findall(r"\$\{([^}!]+)\}", text)}
            found |= _referenced_resources(argument[1] if isinstance(argument, list) else None)
        else:
            found |= _referenced_resources(argument)
    return found


def _stack_roles(template: Template) -> set[str]:
    return {rid for rid, resource in template.resources.items() if resource.get("Type") == "AWS::IAM::Role"}


def test_no_account_setting_points_at_a_role_created_in_the_same_stack() -> None:
    # Given the template's resources
    template = Template(TEMPLATE)
    accounts = {rid: r for rid, r in template.resources.items() if r.get("Type") == "AWS::ApiGateway::Account"}
    # Then no AWS::ApiGateway::Account refers to a role of this stack (IAM may not have propagated it yet: the
    # first deploy rolls back now and then; it also replaces any role the account has)
    assert {rid: _referenced_resources(r) & _stack_roles(template) for rid, r in accounts.items()} == {
        rid: set() for rid in accounts
    }


def test_the_stage_waits_for_the_custom_resource_that_sets_the_account_role() -> None:
    # Given the template
    template = Template(TEMPLATE)
    depends_on = template.resources["SigningKeysApi"]["DependsOn"]
    setting = template.resources[depends_on]
    # Then the API (and so its stage, whose access log needs the role) is created after the custom resource, which
    # this stack's own function answers
    assert setting["Type"].startswith("Custom::")
    service_token = setting["Properties"]["ServiceToken"]
    assert service_token == {"Fn::GetAtt": ["ApiGatewayAccountFunction", "Arn"]}
    assert template.resources["ApiGatewayAccountFunction"]["Type"] == "AWS::Lambda::Function"
    # And the stack's logging role reaches API Gateway only through it
    referring = {rid for rid, r in template.resources.items() if "ApiGatewayLoggingRole" in _referenced_resources(r)}
    assert referring == {depends_on, "ApiGatewayAccountFunctionRole"}


def test_the_account_role_mode_defaults_to_keeping_a_role_already_set() -> None:
    parameter = Template(TEMPLATE).document["Parameters"]["ApiGatewayAccountRole"]
    assert parameter["Default"] == "if-missing"
    assert parameter["AllowedValues"] == ["if-missing", "replace", "never"]
    # The description says what each value does.
    assert all(
        f"{value} (default) =" in parameter["Description"] or f"{value} =" in parameter["Description"]
        for value in parameter["AllowedValues"]
    )


@pytest.mark.parametrize(("mode", "offers_role"), [("if-missing", True), ("replace", True), ("never", False)])
def test_the_custom_resource_is_given_the_stacks_role_unless_never(mode: str, offers_role: bool) -> None:
    # Given a deploy with that mode
    template = Template(TEMPLATE, {"ApiGatewayAccountRole": mode})
    role = template.resources["ApiGatewayLoggingRole"]
    setting = template.resources["ApiGatewayAccountSetting"]["Properties"]
    # Then the logging role exists (and goes to the custom resource) exactly when the stack may set it
    assert condition_holds(template, role["Condition"]) is offers_role
    assert effective_value(template, setting["Mode"]) == mode
    role_arn = effective_value(template, setting["RoleArn"])
    assert (role_arn != "") is offers_role
    # And the function may change the setting, passing only that role to API Gateway, only then
    statements = template.resources["ApiGatewayAccountFunctionRole"]["Properties"]["Policies"][0]["PolicyDocument"]
    granted = set()
    for statement in (effective_value(template, s) for s in statements["Statement"]):
        if statement is not NO_VALUE:
            granted |= set(statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]])
    assert ("apigateway:PATCH" in granted) is offers_role
    assert ("iam:PassRole" in granted) is offers_role
    assert "apigateway:GET" in granted
