"""The in-process tiers keep the handler modules warm between tests (`tests.support.WarmFunctions`): nothing one
test leaves in them reaches the next, and hooks still reach their DynamoDB calls. A test here that plays two tests
in a row gives each its own `mock_aws` and API, as the `api` fixture does."""

from __future__ import annotations

from typing import Any

import boto3
from moto import mock_aws

from signing_keys_tools.tokens import sign
from tests.support import ClientHooks, LocalApi, bearer, build_local_api

KEYS = "/access-control/signing-key"
PLAYBACK = "/workspaces/ws-a/playback/m"
# A minute: the key stays cached for as long as the second test could possibly take to start.
LONG_KEY_CACHE = {"KeyCacheMillis": "60000"}
ONE_CREATE = {"CreateKeyThrottleRateLimit": "0", "CreateKeyThrottleBurstLimit": "1"}


def test_a_key_the_verifier_cached_in_one_test_is_unknown_in_the_next() -> None:
    # Given a test whose viewer was verified with a key, which the playback authorizer now caches
    with mock_aws():
        first = build_local_api(**LONG_KEY_CACHE)
        key = first.request("POST", KEYS, authorization=bearer(first.credential("ws-a"))).json()
        token = sign(key["privateKey"], key["id"], "m", 600)
        assert first.request("GET", PLAYBACK, query={"token": token}).status == 200
    # When the next test, whose table holds no such key, presents the same token
    with mock_aws():
        second = build_local_api(**LONG_KEY_CACHE)
        reply = second.request("GET", PLAYBACK, query={"token": token})
    # Then the key is unknown (401), not served from the first test's cache
    assert reply.status == 401


def test_a_throttle_bucket_one_test_emptied_is_full_in_the_next() -> None:
    # Given a test that spent the create route's only token
    with mock_aws():
        first = build_local_api(**ONE_CREATE)
        auth = bearer(first.credential("ws-a"))
        assert first.request("POST", KEYS, authorization=auth).status == 200
        assert first.request("POST", KEYS, authorization=auth).status == 429
    # When the next test creates a key
    with mock_aws():
        second = build_local_api(**ONE_CREATE)
        reply = second.request("POST", KEYS, authorization=bearer(second.credential("ws-a")))
    # Then its gateway's bucket is full again
    assert reply.status == 200


def test_a_hook_registered_after_the_handlers_were_loaded_reaches_their_calls(
    api: LocalApi, client_hooks: ClientHooks
) -> None:
    # Given handlers that have served a request, so their clients exist
    auth = bearer(api.credential("ws-a"))
    assert api.request("GET", KEYS, authorization=auth).status == 200
    # When the test registers a hook on the clients
    operations: list[str] = []
    client_hooks.register("before-call.dynamodb", lambda model, **_: operations.append(model.name))
    api.request("GET", KEYS, authorization=auth)
    # Then the list's read went through it
    assert "Query" in operations


def test_a_default_session_the_test_installs_hooks_the_functions_it_invokes_from_then_on(api: LocalApi) -> None:
    # Given a credential, issued before the test installs anything
    auth = bearer(api.credential("ws-a"))
    # When the test installs a default session of its own with a hook (the way tests hooked a fresh import)
    operations: list[str] = []

    def record(model: Any, **_: Any) -> None:
        operations.append(model.name)

    boto3.setup_default_session()
    assert boto3.DEFAULT_SESSION is not None
    boto3.DEFAULT_SESSION.events.register("before-call.dynamodb", record)
    try:
        reply = api.request("GET", KEYS, authorization=auth)
    finally:
        boto3.DEFAULT_SESSION = None
    # Then the functions it invoked made their calls through that session's clients
    assert reply.status == 200
    assert "Query" in operations
