"""ManagementAuthorizer: Basic (token id + secret) or Bearer (secret) → workspace; anything else → 401."""

from __future__ import annotations

import base64
import fnmatch
import json
import re
from typing import Any

import pytest

from signing_keys import routes
from signing_keys.models import Scope
from signing_keys_local.events import authorizer_event
from signing_keys_local.examples import request
from tests.support import LocalApi, basic, bearer

AUTHORIZER = "ManagementAuthorizerFunction"
KEYS = "/iam/signing-keys"


def authorize(api: LocalApi, authorization: str | None, method: str = "GET", path: str = KEYS) -> dict[str, Any]:
    return api.invoke(AUTHORIZER, authorizer_event(request(method, path, path, authorization=authorization)))


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def test_basic_credential_resolves_the_workspace(api: LocalApi) -> None:
    credential = api.credential("ws-a")
    policy = authorize(api, basic(credential))
    assert policy["principalId"] == "ws-a"
    assert policy["context"] == {"workspaceId": "ws-a", "tokenId": credential.token_id, "scope": "write"}


def test_bearer_secret_resolves_the_workspace(api: LocalApi) -> None:
    credential = api.credential("ws-b")
    policy = authorize(api, bearer(credential))
    assert policy["context"] == {"workspaceId": "ws-b", "tokenId": credential.token_id, "scope": "write"}


def test_a_read_credential_is_resolved_with_its_scope(api: LocalApi) -> None:
    # Given a read-scoped credential
    credential = api.credential("ws-a", Scope.READ)
    # When the authorizer resolves it
    policy = authorize(api, basic(credential))
    # Then the handlers are told its token id and scope (the routes that write refuse it, in their dialect)
    assert policy["context"] == {"workspaceId": "ws-a", "tokenId": credential.token_id, "scope": "read"}


def test_policy_covers_every_management_route_and_nothing_else(api: LocalApi) -> None:
    # Given the policy for a request to one route (API Gateway caches it for the caller's next requests)
    policy = authorize(api, basic(api.credential()))
    statement = policy["policyDocument"]["Statement"][0]
    assert statement["Effect"] == "Allow"
    prefix = "arn:aws:execute-api:us-east-1:123456789012:localapi/v1/"

    def allowed(method: str, path: str) -> bool:
        return any(fnmatch.fnmatchcase(f"{prefix}{method}{path}", pattern) for pattern in statement["Resource"])

    # Then every management route is allowed, with any id and with or without a trailing slash (API Gateway
    # serves both), and no other route or method is
    for route in routes.ROUTES:
        concrete = re.sub(r"\{\w+\}", "some-id", route.path)
        assert allowed(route.method, concrete) == (route.auth is routes.Auth.MANAGEMENT), route
        assert allowed(route.method, concrete + "/") == (route.auth is routes.Auth.MANAGEMENT), route
    assert not allowed("PUT", KEYS)


def test_cached_policy_allows_the_next_different_route(api: LocalApi) -> None:
    auth = basic(api.credential())
    assert api.request("GET", KEYS, authorization=auth).status == 200
    created = api.request("POST", KEYS, authorization=auth)
    assert created.status == 201
    key_id = created.json()["data"]["id"]
    assert api.request("DELETE", f"/access-control/signing-key/{key_id}", authorization=auth).status == 204


@pytest.mark.parametrize(
    "authorization",
    [
        "Basic " + b64("no-colon-here"),
        "Basic ***not-base64***",
        "Basic ",
        "Basic " + b64(":secret-without-token-id"),
        "Basic " + b64("token-without-secret:"),
        "Bearer ",
        "Bearer wrong-secret",
        "Digest username=x",
        "",
        "x" * 5000,
    ],
)
def test_malformed_or_wrong_credentials_are_401(api: LocalApi, authorization: str) -> None:
    api.credential()
    with pytest.raises(Exception, match=r"^Unauthorized$"):
        authorize(api, authorization)


def test_right_secret_with_another_token_id_is_401(api: LocalApi) -> None:
    credential = api.credential()
    with pytest.raises(Exception, match=r"^Unauthorized$"):
        authorize(api, "Basic " + b64(f"someone-else:{credential.secret}"))


def test_disabled_credential_is_401(api: LocalApi) -> None:
    credential = api.credential()
    for item in api.table_items():
        if item["SK"]["S"] == "CRED":
            api.dynamodb.update_item(
                TableName=api.table_name,
                Key={"PK": item["PK"], "SK": item["SK"]},
                UpdateExpression="SET disabled = :t",
                ExpressionAttributeValues={":t": {"BOOL": True}},
            )
    with pytest.raises(Exception, match=r"^Unauthorized$"):
        authorize(api, basic(credential))


@pytest.mark.parametrize("authorization", [None, "Basic " + b64("nobody:nothing"), "Bearer nope"])
def test_gateway_answers_401_with_a_body_both_clients_parse(api: LocalApi, authorization: str | None) -> None:
    reply = api.request("GET", KEYS, authorization=authorization)
    assert reply.status == 401
    body = reply.json()
    assert body["success"] is False
    assert body["error"]["code"] == 401
    assert isinstance(body["error"]["message"], str)
    assert body["errors"] == [body["error"]["message"]]


def test_wrong_credential_never_reaches_a_handler(api: LocalApi) -> None:
    reply = api.request("POST", KEYS, authorization="Bearer secret")
    assert reply.status == 401
    assert api.key_items("ws-a") == []
    assert json.loads(reply.body)["error"]["code"] == 401
