"""The gateway's pure parts: route matching, a Lambda authorizer's policy, a proxy integration's result."""

from __future__ import annotations

from typing import Any

import pytest

from signing_keys_local import gateway_responses
from signing_keys_local.functions import FunctionHost
from signing_keys_local.gateway import Gateway, Rejected, authorizer_policy, proxy_result
from signing_keys_local.template import Template
from tests.conftest import TEMPLATE

ARN = "arn:aws:execute-api:us-east-1:123456789012:localapi/v1/GET/iam/signing-keys"


@pytest.fixture
def gateway() -> Gateway:
    template = Template(TEMPLATE)
    return Gateway(template, FunctionHost(template))


# -- routing ------------------------------------------------------------------------------------------
def test_a_path_matches_its_resource_with_its_parameters(gateway: Gateway) -> None:
    matched = gateway.match("GET", "/iam/signing-keys/abc%2Fdef")
    assert matched is not None
    route, parameters = matched
    assert (route.path, route.function_id, parameters) == (
        "/iam/signing-keys/{signingKeyId}",
        "GetKeyFunction",
        {"signingKeyId": "abc/def"},
    )


def test_a_method_the_resource_does_not_serve_goes_to_its_any_route(gateway: Gateway) -> None:
    matched = gateway.match("PUT", "/iam/signing-keys")
    assert matched is not None
    assert (matched[0].method, matched[0].function_id) == ("ANY", "MethodNotAllowedFunction")


def test_a_path_of_no_other_resource_goes_to_the_root_catch_all(gateway: Gateway) -> None:
    matched = gateway.match("GET", "/iam/signing-keys/a/b")
    assert matched is not None
    assert (matched[0].path, matched[0].function_id, matched[1]) == (
        "/{proxy+}",
        "MethodNotAllowedFunction",
        {"proxy": "iam/signing-keys/a/b"},
    )


# -- a Lambda authorizer's output ---------------------------------------------------------------------
def policy(effect: str, resource: Any = ARN, **extra: Any) -> dict[str, Any]:
    statement = {"Action": "execute-api:Invoke", "Effect": effect, "Resource": resource}
    return {"principalId": "ws-a", "policyDocument": {"Version": "2012-10-17", "Statement": [statement]}, **extra}


def test_an_allow_for_the_method_arn_permits_it() -> None:
    assert authorizer_policy(policy("Allow")).verdict(ARN) is None


def test_a_wildcard_resource_permits_the_routes_under_it() -> None:
    wildcard = "arn:aws:execute-api:us-east-1:123456789012:localapi/v1/*/iam/signing-keys"
    assert authorizer_policy(policy("Allow", [wildcard])).verdict(ARN) is None


def test_an_explicit_deny_wins_over_an_allow() -> None:
    output = policy("Allow")
    output["policyDocument"]["Statement"].append({"Effect": "Deny", "Resource": ARN})
    assert authorizer_policy(output).verdict(ARN) == gateway_responses.EXPLICIT_DENY


def test_a_policy_that_does_not_name_the_route_denies_it() -> None:
    assert authorizer_policy(policy("Allow", ARN + "/other")).verdict(ARN) == gateway_responses.IMPLICIT_DENY


def test_the_context_reaches_the_integration_with_the_principal() -> None:
    assert authorizer_policy(policy("Allow", context={"workspaceId": "ws-a"})).context == {
        "principalId": "ws-a",
        "workspaceId": "ws-a",
    }


@pytest.mark.parametrize(
    "output",
    [
        None,
        {"policyDocument": policy("Allow")["policyDocument"]},
        {"principalId": "ws-a"},
        {"principalId": "ws-a", "policyDocument": {"Statement": "Allow"}},
        policy("Maybe"),
        policy("Allow", resource=None),
        policy("Allow", context={"claims": {"sub": "x"}}),
    ],
    ids=[
        "nothing",
        "no principal",
        "no policy",
        "statements not a list",
        "unknown effect",
        "no resource",
        "structured context value",
    ],
)
def test_an_invalid_authorizer_output_is_an_authorizer_configuration_error(output: Any) -> None:
    with pytest.raises(Rejected) as rejected:
        authorizer_policy(output)
    assert rejected.value.error == gateway_responses.AUTHORIZER_CONFIGURATION_ERROR


# -- a Lambda proxy integration's result --------------------------------------------------------------
def test_a_proxy_result_gives_status_headers_and_body() -> None:
    result = {
        "statusCode": 201,
        "headers": {"Content-Type": "application/json"},
        "multiValueHeaders": {"Set-Cookie": ["a=1", "b=2"]},
        "body": '{"ok":true}',
        "isBase64Encoded": False,
    }
    assert proxy_result(result) == (
        201,
        [("Content-Type", "application/json"), ("Set-Cookie", "a=1"), ("Set-Cookie", "b=2")],
        b'{"ok":true}',
    )


def test_a_base64_body_is_decoded() -> None:
    assert proxy_result({"statusCode": 200, "body": "AAE=", "isBase64Encoded": True})[2] == b"\x00\x01"


@pytest.mark.parametrize(
    "result",
    [
        "not a dict",
        {"status": 200},
        {"statusCode": "abc"},
        {"statusCode": 99},
        {"statusCode": 200, "body": {"not": "text"}},
        {"statusCode": 200, "body": "@@", "isBase64Encoded": True},
    ],
    ids=["not an object", "unknown field", "status not a number", "status out of range", "body not text", "bad base64"],
)
def test_a_malformed_proxy_result_is_the_function_error_502(result: Any) -> None:
    with pytest.raises(Rejected) as rejected:
        proxy_result(result)
    assert rejected.value.error == gateway_responses.FUNCTION_ERROR
