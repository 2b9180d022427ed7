"""Gateway responses: what API Gateway answers for its own conditions, under the template's customisations."""

from __future__ import annotations

import json
from typing import Any

import pytest

from signing_keys_local import gateway_responses
from signing_keys_local.gateway_responses import GatewayResponse, render
from signing_keys_local.template import Template
from tests.conftest import TEMPLATE

CUSTOMISED = Template(TEMPLATE).gateway_responses()
# Every type API Gateway can answer with for this API and the template names, and the status it gives it.
EXPECTED_STATUS = {
    "UNAUTHORIZED": 401,
    "ACCESS_DENIED": 403,
    "WAF_FILTERED": 403,
    "MISSING_AUTHENTICATION_TOKEN": 404,
    "RESOURCE_NOT_FOUND": 404,
    "REQUEST_TOO_LARGE": 413,
    "THROTTLED": 429,
    "QUOTA_EXCEEDED": 429,
    "AUTHORIZER_CONFIGURATION_ERROR": 500,
    "AUTHORIZER_FAILURE": 500,
    "API_CONFIGURATION_ERROR": 500,
    "INTEGRATION_FAILURE": 503,
    "INTEGRATION_TIMEOUT": 504,
}
# The fallbacks: the body of every type not named above, never its status.
FALLBACKS = ("DEFAULT_4XX", "DEFAULT_5XX")
# Where retrying helps: the request certainly did nothing, and the condition passes.
RETRY_AFTER = {"THROTTLED", "AUTHORIZER_CONFIGURATION_ERROR", "AUTHORIZER_FAILURE", "INTEGRATION_FAILURE"}


def is_union_error(body: Any, status: int) -> bool:
    """The shape both dialects' clients parse: FastPix's success/error and Livepeer's errors."""
    message = body["error"]["message"]
    return body == {"success": False, "error": {"code": status, "message": message}, "errors": [message]}


def test_the_template_customises_every_type_api_gateway_can_answer_with() -> None:
    assert {kind: response.status for kind, response in CUSTOMISED.items() if kind not in FALLBACKS} == EXPECTED_STATUS


@pytest.mark.parametrize("fallback", FALLBACKS)
def test_the_fallbacks_set_no_status_code(fallback: str) -> None:
    # Given the template's DEFAULT_4XX / DEFAULT_5XX
    # Then neither sets a status: one set there would replace the status of every type it covers
    assert CUSTOMISED[fallback].status is None
    assert CUSTOMISED[fallback].body is not None


@pytest.mark.parametrize("kind", sorted(EXPECTED_STATUS))
def test_each_gateway_response_renders_in_the_union_shape_with_its_status(kind: str) -> None:
    # Given any condition of this type
    condition = gateway_responses.GatewayError(kind, 599, "SomeException", "detail")
    # When API Gateway answers it with the template's customisation
    rendered = render(condition, CUSTOMISED)
    # Then the status is the template's and the body the union error shape with that code
    assert rendered.status == EXPECTED_STATUS[kind]
    assert is_union_error(json.loads(rendered.body), rendered.status)


def test_a_function_error_answers_502_in_the_union_shape() -> None:
    # Given a function that failed (no type of its own: it renders as DEFAULT_5XX)
    # When API Gateway answers it with the template's customisation
    rendered = render(gateway_responses.FUNCTION_ERROR, CUSTOMISED)
    # Then it keeps API Gateway's 502 and the body says so in the union shape
    assert rendered.status == 502
    assert is_union_error(json.loads(rendered.body), 502)


def test_a_type_the_template_leaves_out_keeps_its_own_status() -> None:
    # Given a 4xx type the template does not name (a request validator's, were one configured)
    condition = gateway_responses.GatewayError("BAD_REQUEST_BODY", 400, "BadRequestException", "Invalid request body")
    # When API Gateway answers it
    rendered = render(condition, CUSTOMISED)
    # Then it takes DEFAULT_4XX's union body and keeps its own status
    assert rendered.status == 400
    assert is_union_error(json.loads(rendered.body), 400)


def test_a_type_with_another_status_is_not_turned_into_default_4xx_s_400() -> None:
    # Given a 4xx type of another status the template does not name
    condition = gateway_responses.GatewayError("UNSUPPORTED_MEDIA_TYPE", 415, "UnsupportedMediaTypeException", "x")
    # When API Gateway answers it / Then it keeps 415 (with the old DEFAULT_4XX StatusCode 400 it was a 400)
    assert render(condition, CUSTOMISED).status == 415


@pytest.mark.parametrize("kind", sorted([*EXPECTED_STATUS, *FALLBACKS]))
def test_retry_after_is_sent_exactly_where_retrying_helps(kind: str) -> None:
    headers = dict(render(gateway_responses.GatewayError(kind, 500, "E", None), CUSTOMISED).headers)
    assert ("Retry-After" in headers) == (kind in RETRY_AFTER)


def test_a_401_names_both_authentication_schemes() -> None:
    headers = dict(render(gateway_responses.UNAUTHORIZED, CUSTOMISED).headers)
    assert headers["WWW-Authenticate"] == 'Basic realm="signing-keys", Bearer realm="signing-keys"'


def test_every_answer_names_its_error_type() -> None:
    headers = dict(render(gateway_responses.AUTHORIZER_CONFIGURATION_ERROR, CUSTOMISED).headers)
    assert headers["x-amzn-ErrorType"] == "AuthorizerConfigurationException"


# -- API Gateway's own fallbacks, for a template that customises less ------------------------------------
def test_without_customisation_the_answer_is_api_gateways_default() -> None:
    rendered = render(gateway_responses.FUNCTION_ERROR, {})
    assert (rendered.status, json.loads(rendered.body)) == (502, {"message": "Internal server error"})


def test_an_authorizer_configuration_error_defaults_to_a_null_message() -> None:
    rendered = render(gateway_responses.AUTHORIZER_CONFIGURATION_ERROR, {})
    assert (rendered.status, json.loads(rendered.body)) == (500, {"message": None})


def test_an_uncustomised_type_falls_back_to_default_4xx_keeping_its_status() -> None:
    # Given only DEFAULT_4XX customised, without a status code
    customised = {"DEFAULT_4XX": GatewayResponse(body='{"error":$context.error.messageString}')}
    # When a 401 arises
    rendered = render(gateway_responses.UNAUTHORIZED, customised)
    # Then it renders with DEFAULT_4XX's template and its own status
    assert (rendered.status, json.loads(rendered.body)) == (401, {"error": "Unauthorized"})


def test_a_status_on_default_5xx_applies_to_every_uncustomised_5xx() -> None:
    customised = {"DEFAULT_5XX": GatewayResponse(status=503, body='{"type":"$context.error.responseType"}')}
    rendered = render(gateway_responses.INTEGRATION_TIMEOUT, customised)
    assert (rendered.status, json.loads(rendered.body)) == (503, {"type": "INTEGRATION_TIMEOUT"})


def test_a_status_on_default_4xx_applies_to_a_customised_type_without_its_own() -> None:
    # AWS: a status set on DEFAULT_4XX "changes the status codes of all other 4XX responses".
    customised = {"DEFAULT_4XX": GatewayResponse(status=400), "UNAUTHORIZED": GatewayResponse(body="{}")}
    assert render(gateway_responses.UNAUTHORIZED, customised).status == 400


def test_a_type_with_its_own_status_keeps_it_whatever_default_4xx_sets() -> None:
    customised = {"DEFAULT_4XX": GatewayResponse(status=400), "THROTTLED": GatewayResponse(status=429, body="{}")}
    assert render(gateway_responses.THROTTLED, customised).status == 429


def test_a_customised_type_without_a_status_answers_with_the_types_default_status() -> None:
    # API Gateway: a customised INTEGRATION_FAILURE answers 504, its type's default, whatever the cause.
    failure = gateway_responses.GatewayError("INTEGRATION_FAILURE", 500, "InternalServerErrorException", "x")
    rendered = render(failure, {"INTEGRATION_FAILURE": GatewayResponse(body="{}")})
    assert rendered.status == 504
