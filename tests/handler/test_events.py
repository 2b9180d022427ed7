"""What the handlers make of events API Gateway can send but a client cannot easily provoke: binary bodies,
a missing authorizer context, ids the resolver cannot match; and that an impossible key id costs no
DynamoDB call."""

from __future__ import annotations

import base64
import json
from collections import Counter
from typing import Any

import pytest

from signing_keys.errors import Unauthenticated
from signing_keys_local.examples import EXAMPLE_WORKSPACE, authorized, request
from tests.support import ClientHooks, LocalFunctions

FASTPIX = "/iam/signing-keys"
LIVEPEER = "/access-control/signing-key"


def create_event(path: str) -> dict[str, Any]:
    return authorized(request("POST", path, path, body=b"{}"), workspace=EXAMPLE_WORKSPACE)


@pytest.mark.parametrize("path", [FASTPIX, LIVEPEER])
def test_a_binary_body_that_is_not_utf8_is_422_not_a_crash(functions: LocalFunctions, path: str) -> None:
    # Given the event API Gateway sends for a binary body
    event = create_event(path)
    event["body"] = base64.b64encode(b'{"name": "\xff\xfe"}').decode()
    event["isBase64Encoded"] = True
    # When the handler runs
    response = functions.invoke("CreateKeyFunction", event)
    # Then it is a 422, not an unhandled UnicodeDecodeError, and nothing was created
    assert response["statusCode"] == 422
    assert functions.key_count(EXAMPLE_WORKSPACE) == 1  # the seeded example key only


def test_a_body_flagged_base64_that_is_not_base64_is_422(functions: LocalFunctions) -> None:
    event = create_event(FASTPIX)
    event["body"], event["isBase64Encoded"] = "***not base64***", True
    response = functions.invoke("CreateKeyFunction", event)
    assert response["statusCode"] == 422
    assert json.loads(response["body"])["error"]["fields"] == [{"field": "body", "message": "is not valid base64"}]


def test_an_event_without_authorizer_context_is_401_with_a_challenge(functions: LocalFunctions) -> None:
    # Given an event that reached the function without the management authorizer (a misconfigured route)
    event = authorized(request("GET", FASTPIX, FASTPIX))
    del event["requestContext"]["authorizer"]
    # When the handler runs
    response = functions.invoke("ListKeysFunction", event)
    # Then it is a 401 naming the schemes the route takes, never a 500
    assert response["statusCode"] == 401
    assert response["multiValueHeaders"]["WWW-Authenticate"] == [Unauthenticated.challenge]


def test_a_key_id_the_resolver_cannot_match_is_the_missing_key_404(functions: LocalFunctions) -> None:
    # Given an event whose path holds a decoded slash inside the key id (API Gateway matched the resource)
    resource = f"{LIVEPEER}/{{keyId}}"
    event = authorized(request("GET", f"{LIVEPEER}/a/b", resource, path_parameters={"keyId": "a/b"}))
    # When the handler runs
    response = functions.invoke("GetKeyFunction", event)
    # Then it answers like any missing key, in the route's dialect
    assert response["statusCode"] == 404
    assert json.loads(response["body"]) == {"errors": ["signing key not found"]}


def test_a_revocation_id_the_resolver_cannot_match_is_the_missing_revocation_404(functions: LocalFunctions) -> None:
    # Given an event whose path holds a decoded slash inside the revocation id
    resource = "/revocations/{revocationId}"
    event = authorized(request("DELETE", "/revocations/a/b", resource, path_parameters={"revocationId": "a/b"}))
    # When the handler runs
    response = functions.invoke("DeleteRevocationFunction", event)
    # Then it answers like any unknown revocation, with both dialects' fields
    assert response["statusCode"] == 404
    assert json.loads(response["body"])["errors"] == ["revocation not found"]


@pytest.fixture
def dynamodb_calls(functions: LocalFunctions, client_hooks: ClientHooks) -> Counter[str]:
    """DynamoDB operations made from now on (after `functions` has seeded the table)."""
    calls: Counter[str] = Counter()

    def record(model: Any, **_: Any) -> None:
        calls[model.name] += 1

    client_hooks.register("before-call.dynamodb", record)
    return calls


@pytest.mark.parametrize(
    ("function", "method", "body"),
    [
        ("GetKeyFunction", "GET", None),
        ("UpdateKeyFunction", "PATCH", b'{"name": "x"}'),
        ("DeleteKeyFunction", "DELETE", None),
    ],
)
def test_an_id_that_cannot_be_a_key_costs_no_dynamodb_call(
    dynamodb_calls: Counter[str], functions: LocalFunctions, function: str, method: str, body: bytes | None
) -> None:
    # Given an id of another shape
    resource = f"{LIVEPEER}/{{keyId}}"
    event = authorized(
        request(method, f"{LIVEPEER}/not-a-key", resource, path_parameters={"keyId": "not-a-key"}, body=body),
        workspace=EXAMPLE_WORKSPACE,
    )
    # When the handler runs
    response = functions.invoke(function, event)
    # Then it is the missing-key 404, answered without asking DynamoDB
    assert response["statusCode"] == 404
    assert dynamodb_calls == Counter()


def test_an_id_of_our_shape_is_looked_up_with_one_read(dynamodb_calls: Counter[str], functions: LocalFunctions) -> None:
    # Given a well-formed id that names no key (the contrast to the test above: the counter does count)
    key_id = "00000000-0000-8000-8000-000000000000"
    resource = f"{LIVEPEER}/{{keyId}}"
    event = authorized(request("GET", f"{LIVEPEER}/{key_id}", resource, path_parameters={"keyId": key_id}))
    # When the handler runs, Then it reads DynamoDB once before answering 404
    assert functions.invoke("GetKeyFunction", event)["statusCode"] == 404
    assert dynamodb_calls == Counter({"GetItem": 1})


def test_an_id_that_cannot_be_a_revocation_costs_no_dynamodb_call(
    dynamodb_calls: Counter[str], functions: LocalFunctions
) -> None:
    resource = "/revocations/{revocationId}"
    event = authorized(
        request("DELETE", "/revocations/not-an-id", resource, path_parameters={"revocationId": "not-an-id"}),
        workspace=EXAMPLE_WORKSPACE,
    )
    assert functions.invoke("DeleteRevocationFunction", event)["statusCode"] == 404
    assert dynamodb_calls == Counter()
