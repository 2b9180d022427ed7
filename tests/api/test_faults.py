"""Faults injected at every DynamoDB call site: a 503 with Retry-After in the dialect's shape, never a 500,
and the key counter still equals the key items afterwards."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import jwt
import pytest
from botocore.exceptions import ReadTimeoutError

from tests.api.conftest import ApiFactory
from tests.support import ClientHooks, LocalApi, Reply, basic, bearer

FAULTS = {
    "throttled": ("ThrottlingException", 400),
    "throughput exceeded": ("ProvisionedThroughputExceededException", 400),
    "internal server error": ("InternalServerError", 500),
    "service unavailable": ("ServiceUnavailable", 503),
}


class Injector:
    """Answers chosen DynamoDB operations with a fault, through botocore's own event hooks."""

    def __init__(self) -> None:
        self.operation: str | None = None
        self.fault: str = ""
        self.injected = 0

    def __call__(self, model: Any, **_: Any) -> tuple[Any, dict[str, Any]] | None:
        if model.name != self.operation:
            return None
        self.injected += 1
        if self.fault == "timeout":
            raise ReadTimeoutError(endpoint_url="http://dynamodb")
        code, status = FAULTS[self.fault]
        parsed = {"Error": {"Code": code, "Message": "injected"}, "ResponseMetadata": {"HTTPStatusCode": status}}
        return SimpleNamespace(status_code=status, headers={}), parsed


@pytest.fixture
def injector(client_hooks: ClientHooks) -> Injector:
    hook = Injector()
    client_hooks.register("before-call.dynamodb", hook)
    return hook


def seed(api: LocalApi) -> dict[str, Any]:
    credential = api.credential("ws-a")
    key = api.request("POST", "/access-control/signing-key", authorization=bearer(credential)).json()
    return {"credential": credential, "key": key}


@pytest.fixture
def seeded(api: LocalApi, injector: Injector) -> dict[str, Any]:
    return seed(api)


def token(key: dict[str, Any], **extra_claims: Any) -> str:
    now = int(time.time())
    claims = {"sub": "m", "iat": now, "exp": now + 60, **extra_claims}
    return jwt.encode(claims, base64.b64decode(key["privateKey"]), "ES256", headers={"kid": key["id"]})


Call = Callable[[LocalApi, dict[str, Any]], Reply]
CALL_SITES: dict[str, tuple[str, Call]] = {
    "create (FastPix)": (
        "TransactWriteItems",
        lambda api, s: api.request("POST", "/iam/signing-keys", authorization=basic(s["credential"])),
    ),
    "create (Livepeer)": (
        "TransactWriteItems",
        lambda api, s: api.request("POST", "/access-control/signing-key", authorization=bearer(s["credential"])),
    ),
    "delete": (
        "TransactWriteItems",
        lambda api, s: api.request(
            "DELETE", f"/iam/signing-keys/{s['key']['id']}", authorization=basic(s["credential"])
        ),
    ),
    "get": (
        "GetItem",
        lambda api, s: api.request(
            "GET", f"/access-control/signing-key/{s['key']['id']}", authorization=bearer(s["credential"])
        ),
    ),
    "list": ("Query", lambda api, s: api.request("GET", "/iam/signing-keys", authorization=basic(s["credential"]))),
    "update": (
        "TransactWriteItems",
        lambda api, s: api.request(
            "PATCH",
            f"/access-control/signing-key/{s['key']['id']}",
            authorization=bearer(s["credential"]),
            body={"name": "x"},
        ),
    ),
    "update (FastPix)": (
        "TransactWriteItems",
        lambda api, s: api.request(
            "PATCH",
            f"/iam/signing-keys/{s['key']['id']}",
            authorization=basic(s["credential"]),
            body={"maxTokenLifetimeSeconds": 600},
        ),
    ),
    "update (FastPix), reading the key it answers": (
        "GetItem",
        # Bearer, as seeded: the authorizer's policy for it is cached, so only the handler's GetItem fails.
        lambda api, s: api.request(
            "PATCH",
            f"/iam/signing-keys/{s['key']['id']}",
            authorization=bearer(s["credential"]),
            body={"maxTokenLifetimeSeconds": 600},
        ),
    ),
    "rotate, reading the old key": (
        "GetItem",
        lambda api, s: api.request(
            "POST", f"/access-control/signing-key/{s['key']['id']}/rotate", authorization=bearer(s["credential"])
        ),
    ),
    "rotate": (
        "TransactWriteItems",
        lambda api, s: api.request(
            "POST", f"/iam/signing-keys/{s['key']['id']}/rotate", authorization=basic(s["credential"])
        ),
    ),
    "jwks": ("Query", lambda api, s: api.request("GET", "/workspaces/ws-a/jwks.json")),
    "audit events": (
        "Query",
        lambda api, s: api.request("GET", "/audit-events", authorization=bearer(s["credential"])),
    ),
    "create revocation": (
        "TransactWriteItems",
        lambda api, s: api.request(
            "POST", "/revocations", authorization=basic(s["credential"]), body={"viewer": "viewer-7"}
        ),
    ),
    # Bearer, as the seeding did: the management authorizer's policy is cached, so its own GetItem does not run.
    "create issuedBefore revocation (reads the cut-offs)": (
        "GetItem",
        lambda api, s: api.request(
            "POST", "/revocations", authorization=bearer(s["credential"]), body={"issuedBefore": int(time.time())}
        ),
    ),
    "list revocations": (
        "Query",
        lambda api, s: api.request("GET", "/revocations", authorization=basic(s["credential"])),
    ),
    # The playback function verifies tokens itself: its faults are 503s too, never an allow.
    "playback (the verification read)": (
        "BatchGetItem",
        lambda api, s: api.request("GET", "/workspaces/ws-a/playback/m", query={"token": token(s["key"])}),
    ),
    "playback (spending a single-use token)": (
        "PutItem",
        lambda api, s: api.request(
            "GET", "/workspaces/ws-a/playback/m", query={"token": token(s["key"], jti="once", single_use=True)}
        ),
    ),
    "delete revocation": (
        "TransactWriteItems",
        lambda api, s: api.request(
            "DELETE", "/revocations/00000000-0000-8000-8000-000000000000", authorization=basic(s["credential"])
        ),
    ),
}
# An authorizer cannot choose its status: a fault in one is API Gateway's AUTHORIZER_CONFIGURATION_ERROR.
AUTHORIZER_CALL_SITES: dict[str, tuple[str, Call]] = {
    "management": (
        "GetItem",
        lambda api, s: api.request("GET", "/iam/signing-keys", authorization=basic(s["credential"])),
    ),
}


@pytest.mark.parametrize("fault", [*FAULTS, "timeout"])
@pytest.mark.parametrize("site", sorted(CALL_SITES))
def test_fault_is_a_503_with_retry_after(
    api: LocalApi, injector: Injector, seeded: dict[str, Any], site: str, fault: str
) -> None:
    # Given DynamoDB failing at this call site
    operation, call = CALL_SITES[site]
    audit_entries = api.audit_items("ws-a")
    injector.operation, injector.fault = operation, fault
    # When the route runs (the management authorizer's own read is left alone: it is cached or separate)
    reply = call(api, seeded)
    # Then the caller is told to retry, in the dialect's shape, and nothing was half-written: no change, and so
    # no audit entry either
    injector.operation = None
    assert injector.injected >= 1
    assert reply.status == 503, reply.body
    assert reply.headers["retry-after"] == "1"
    body = reply.json()
    if site in {"create (Livepeer)", "get", "update", "rotate, reading the old key"}:  # the Livepeer routes
        assert set(body) == {"errors"}
    else:
        assert (body["success"], body["error"]["code"]) == (False, 503)
    assert api.key_count("ws-a") == len(api.key_items("ws-a")) == 1
    assert api.revocation_items() == []
    added = [item["action"]["S"] for item in api.audit_items("ws-a") if item not in audit_entries]
    # FastPix's PATCH fails after its transaction committed (reading back the key it answers): the change and its
    # entry exist together, and retrying the PATCH is harmless. Everywhere else: no change, so no entry.
    assert added == (["key.update"] if site == "update (FastPix), reading the key it answers" else [])


@pytest.mark.parametrize("fault", [*FAULTS, "timeout"])
@pytest.mark.parametrize("site", sorted(AUTHORIZER_CALL_SITES))
def test_authorizer_fault_is_the_gateways_500_with_retry_after(
    make_api: ApiFactory, injector: Injector, site: str, fault: str
) -> None:
    # Given an API whose authorizers read on every request, and DynamoDB failing at the authorizer's call
    api = make_api(AuthorizerCacheTtlSeconds="0")
    seeded = seed(api)
    operation, call = AUTHORIZER_CALL_SITES[site]
    injector.operation, injector.fault = operation, fault
    # When the authorizer runs
    reply = call(api, seeded)
    # Then API Gateway answers for it (the authorizer raised): 500, told to retry, in the union error shape
    assert injector.injected >= 1
    assert reply.status == 500
    assert reply.headers["x-amzn-errortype"] == "AuthorizerConfigurationException"
    assert reply.headers["retry-after"] == "1"
    assert (reply.json()["error"]["code"], reply.json()["errors"]) == (500, ["Internal server error"])


@pytest.mark.parametrize("fault", [*FAULTS, "timeout"])
def test_a_failing_last_seen_write_never_fails_verification(
    api: LocalApi, injector: Injector, seeded: dict[str, Any], fault: str
) -> None:
    injector.operation, injector.fault = "UpdateItem", fault
    reply = api.request("GET", "/workspaces/ws-a/playback/m", query={"token": token(seeded["key"])})
    assert reply.status == 200
    assert injector.injected == 1


def test_a_verification_read_left_unprocessed_is_a_503_with_retry_after(
    api: LocalApi, injector: Injector, seeded: dict[str, Any], client_hooks: ClientHooks
) -> None:
    # Given DynamoDB that keeps every key of the verifier's batch read unprocessed (as under throttling)
    def unprocessed(model: Any, params: dict[str, Any], **_: Any) -> tuple[Any, dict[str, Any]] | None:
        if model.name != "BatchGetItem":
            return None
        asked = json.loads(params["body"])["RequestItems"]
        return SimpleNamespace(status_code=200, headers={}), {"Responses": {}, "UnprocessedKeys": asked}

    client_hooks.register("before-call.dynamodb", unprocessed)
    # When a viewer presents a valid token
    reply = api.request("GET", "/workspaces/ws-a/playback/m", query={"token": token(seeded["key"])})
    # Then the viewer is told to retry, never allowed on a read that did not complete
    assert reply.status == 503
    assert reply.headers["retry-after"] == "1"
