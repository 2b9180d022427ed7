"""Edge protection in template.yaml (issue 18): reserved concurrency, access logs, optional WAF."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from signing_keys_local.template import Template
from tests.conftest import TEMPLATE
from tests.unit.conditions import NO_VALUE, condition_holds, effective_value

PUBLIC_FUNCTIONS = {
    "PlaybackFunction": "PlaybackReservedConcurrency",
    "ExchangeFunction": "PlaybackReservedConcurrency",
    "JwksFunction": "JwksReservedConcurrency",
}
REGIONAL_WEB_ACL = "arn:aws:wafv2:eu-west-1:123456789012:regional/webacl/edge/0f6e3c1a-5d3e-4c55-9b7a-0a8b3b8f6d11"
# What an access log line must never hold: query strings (playback tokens travel in ?token=), headers
# (Authorization), request/response overrides and bodies, and messages that can echo what the caller sent.
FORBIDDEN_IN_ACCESS_LOG = (
    "$input",
    "$method.request",
    "querystring",
    "header",
    "authorization",
    "$context.requestoverride",
    "$context.responseoverride",
    "$context.error.message",
    "$context.authorizer.error",
)


def _api(template: Template) -> dict[str, Any]:
    return template.resources["SigningKeysApi"]["Properties"]


def _access_log_fields(template: Template) -> dict[str, str]:
    fields: dict[str, str] = json.loads(_api(template)["AccessLogSetting"]["Format"])
    return fields


@pytest.mark.parametrize("function_id", sorted(PUBLIC_FUNCTIONS))
def test_public_function_reserves_the_configured_concurrency(function_id: str) -> None:
    # Given a stack deployed with a reservation for the public functions
    template = Template(TEMPLATE, {"PlaybackReservedConcurrency": "150", "JwksReservedConcurrency": "30"})
    # When CloudFormation decides the function's ReservedConcurrentExecutions
    value = effective_value(template, template.resources[function_id]["Properties"]["ReservedConcurrentExecutions"])
    # Then it is the parameter's value: the function can neither exceed it nor be starved below it
    assert value == template.parameters[PUBLIC_FUNCTIONS[function_id]]


@pytest.mark.parametrize("function_id", sorted(PUBLIC_FUNCTIONS))
def test_zero_leaves_the_public_function_without_a_reservation(function_id: str) -> None:
    # Given a stack deployed with 0 (an account whose concurrency quota cannot spare a reservation)
    template = Template(TEMPLATE, {"PlaybackReservedConcurrency": "0", "JwksReservedConcurrency": "0"})
    # When CloudFormation decides the function's ReservedConcurrentExecutions
    value = effective_value(template, template.resources[function_id]["Properties"]["ReservedConcurrentExecutions"])
    # Then the property is left out (a reservation of 0 would stop the function instead)
    assert value is NO_VALUE


def test_access_log_is_one_json_object_per_request_with_its_request_ids() -> None:
    # Given the stage's access log settings
    template = Template(TEMPLATE)
    settings = _api(template)["AccessLogSetting"]
    # When the format is read as JSON
    fields = _access_log_fields(template)
    # Then it identifies the request both ways API Gateway offers, and goes to the stack's own log group
    assert fields["requestId"] == "$context.requestId"
    assert fields["extendedRequestId"] == "$context.extendedRequestId"
    assert settings["DestinationArn"] == {"Fn::GetAtt": ["ApiAccessLogGroup", "Arn"]}
    log_group = template.resources["ApiAccessLogGroup"]["Properties"]
    assert log_group["RetentionInDays"] == {"Ref": "LogRetentionDays"}


def test_access_log_never_records_query_strings_headers_or_echoed_input() -> None:
    # Given the variables the access log writes
    variables = [value.lower() for value in _access_log_fields(Template(TEMPLATE)).values()]
    # Then none can carry a token, a credential or anything the caller sent
    leaks = [value for value in variables for forbidden in FORBIDDEN_IN_ACCESS_LOG if forbidden in value]
    assert leaks == []
    # And the path is written without its query string ($context.path is the path alone)
    assert {"$context.path", "$context.resourcepath"} <= set(variables)


@pytest.mark.parametrize(("web_acl", "associated"), [("", False), (REGIONAL_WEB_ACL, True)])
def test_web_acl_is_associated_with_the_stage_only_when_given(web_acl: str, associated: bool) -> None:
    # Given a stack deployed with or without WebAclArn
    template = Template(TEMPLATE, {"WebAclArn": web_acl})
    association = template.resources["WebAclAssociation"]
    # When CloudFormation decides whether the association exists
    exists = condition_holds(template, association["Condition"])
    # Then it exists exactly when an ACL was given, and then names that ACL and this API's stage
    assert exists is associated
    assert association["Properties"]["WebACLArn"] == {"Ref": "WebAclArn"}
    stage_arn = association["Properties"]["ResourceArn"]["Fn::Sub"]
    assert stage_arn.endswith("/restapis/${SigningKeysApi}/stages/${SigningKeysApi.Stage}")


@pytest.mark.parametrize(
    ("value", "accepted"),
    [
        ("", True),
        (REGIONAL_WEB_ACL, True),
        # A CloudFront-scope ACL cannot be associated with a regional API stage.
        ("arn:aws:wafv2:us-east-1:123456789012:global/webacl/edge/0f6e3c1a", False),
        ("arn:aws:sns:eu-west-1:123456789012:alarms", False),
    ],
)
def test_web_acl_parameter_accepts_only_regional_web_acls(value: str, accepted: bool) -> None:
    # Given the parameter's pattern
    pattern = Template(TEMPLATE).document["Parameters"]["WebAclArn"]["AllowedPattern"]
    # When CloudFormation checks a value against it / Then only empty or a regional web ACL passes
    assert (re.fullmatch(pattern, value) is not None) is accepted
