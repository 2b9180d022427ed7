"""The one mapping from domain errors to HTTP: status, headers, and each dialect's body."""

from __future__ import annotations

import json

import pytest

from signing_keys import http_errors
from signing_keys.errors import (
    FieldError,
    InvalidInput,
    KeyLimitReached,
    KeyNotFound,
    MethodNotAllowed,
    ServiceUnavailable,
    SigningKeyError,
    Unauthenticated,
)

FASTPIX_KEY = "/iam/signing-keys/{signingKeyId}"
LIVEPEER_KEY = "/access-control/signing-key/{keyId}"
JWKS = "/workspaces/{workspaceId}/jwks.json"


def test_fastpix_errors_carry_success_false_and_the_status() -> None:
    assert http_errors.error_body(FASTPIX_KEY, 404, "signing key not found") == {
        "success": False,
        "error": {"code": 404, "message": "signing key not found"},
    }


def test_livepeer_errors_are_a_list_of_messages() -> None:
    assert http_errors.error_body(LIVEPEER_KEY, 404, "signing key not found") == {"errors": ["signing key not found"]}


def test_neutral_routes_answer_both_shapes_at_once() -> None:
    assert http_errors.error_body(JWKS, 503, "retry later") == {
        "success": False,
        "error": {"code": 503, "message": "retry later"},
        "errors": ["retry later"],
    }


def test_invalid_input_names_each_field_in_both_dialects() -> None:
    fields = [FieldError("name", "too long"), FieldError("disabled", "must be a boolean")]
    fastpix = http_errors.error_body(FASTPIX_KEY, 422, "invalid", fields)
    livepeer = http_errors.error_body(LIVEPEER_KEY, 422, "invalid", fields)
    assert fastpix["error"]["fields"] == [
        {"field": "name", "message": "too long"},
        {"field": "disabled", "message": "must be a boolean"},
    ]
    assert livepeer == {"errors": ["name: too long", "disabled: must be a boolean"]}


@pytest.mark.parametrize(
    ("error", "status", "headers"),
    [
        (Unauthenticated(), 401, {"WWW-Authenticate": 'Basic realm="signing-keys", Bearer realm="signing-keys"'}),
        (KeyLimitReached(), 403, {}),
        (KeyNotFound(), 404, {}),
        (MethodNotAllowed(("GET", "POST")), 405, {"Allow": "GET, POST"}),
        (InvalidInput([FieldError("body", "is not valid JSON")]), 422, {}),
        (ServiceUnavailable(), 503, {"Retry-After": "1"}),
        (SigningKeyError(), 500, {}),
    ],
)
def test_each_error_has_its_status_and_headers(error: SigningKeyError, status: int, headers: dict[str, str]) -> None:
    # Given a domain error raised on a Livepeer route
    # When it is answered outside the resolver (the proxy response format)
    response = http_errors.proxy_error({"resource": LIVEPEER_KEY}, error)
    # Then status and headers are the error's, and the body is Livepeer's
    assert response["statusCode"] == status
    assert response["headers"] == {"Content-Type": "application/json", **headers}
    assert json.loads(response["body"]) == {"errors": [error.detail]}


def test_an_internal_error_says_nothing_of_its_cause() -> None:
    assert http_errors.error_body(FASTPIX_KEY, 500, SigningKeyError().detail) == {
        "success": False,
        "error": {"code": 500, "message": "internal error"},
    }
