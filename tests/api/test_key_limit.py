"""The per-workspace key limit: exact, transactional, and the counter always equals the keys."""

from __future__ import annotations

import random
from types import SimpleNamespace
from typing import Any

import pytest

from tests.api.conftest import ApiFactory
from tests.support import ClientHooks, LocalApi, basic

KEYS = "/iam/signing-keys"
LIVEPEER_KEYS = "/access-control/signing-key"


def test_creating_past_the_limit_is_403_and_stores_nothing(make_api: ApiFactory) -> None:
    # Given a workspace at its limit of 3
    api = make_api(KeyLimit="3")
    auth = basic(api.credential("ws-a"))
    for _ in range(3):
        assert api.request("POST", KEYS, authorization=auth).status == 201
    # When one more is created
    reply = api.request("POST", KEYS, authorization=auth)
    # Then it is refused with 403 in the FastPix shape and nothing changed
    assert reply.status == 403
    assert reply.json()["success"] is False
    assert reply.json()["error"]["code"] == 403
    assert api.key_count("ws-a") == 3
    assert len(api.key_items("ws-a")) == 3


def test_limit_is_per_workspace(make_api: ApiFactory) -> None:
    api = make_api(KeyLimit="1")
    first, second = basic(api.credential("ws-a")), basic(api.credential("ws-b"))
    assert api.request("POST", KEYS, authorization=first).status == 201
    assert api.request("POST", KEYS, authorization=second).status == 201


def test_deleting_a_key_frees_a_slot(make_api: ApiFactory) -> None:
    api = make_api(KeyLimit="2")
    auth = basic(api.credential())
    ids = [api.request("POST", KEYS, authorization=auth).json()["data"]["id"] for _ in range(2)]
    assert api.request("POST", KEYS, authorization=auth).status == 403
    assert api.request("DELETE", f"{KEYS}/{ids[0]}", authorization=auth).status == 200
    assert api.request("POST", KEYS, authorization=auth).status == 201


def test_double_delete_is_404_and_leaves_the_counter_alone(api: LocalApi) -> None:
    auth = basic(api.credential("ws-a"))
    keep = api.request("POST", KEYS, authorization=auth).json()["data"]["id"]
    gone = api.request("POST", KEYS, authorization=auth).json()["data"]["id"]
    assert api.request("DELETE", f"{KEYS}/{gone}", authorization=auth).status == 200
    second = api.request("DELETE", f"{KEYS}/{gone}", authorization=auth)
    assert second.status == 404
    assert api.key_count("ws-a") == 1
    assert api.request("GET", f"{KEYS}/{keep}", authorization=auth).status == 200


def test_limit_counts_keys_of_both_dialects(make_api: ApiFactory) -> None:
    api = make_api(KeyLimit="2")
    credential = api.credential()
    assert api.request("POST", KEYS, authorization=basic(credential)).status == 201
    assert api.request("POST", LIVEPEER_KEYS, authorization=f"Bearer {credential.secret}").status == 200
    assert api.request("POST", LIVEPEER_KEYS, authorization=f"Bearer {credential.secret}").status == 403
    assert api.request("POST", KEYS, authorization=basic(credential)).status == 403


@pytest.mark.slow  # a random sequence of 40 creates and deletes
def test_counter_equals_keys_after_any_sequence(make_api: ApiFactory) -> None:
    # Given a random mix of creates, deletes, double deletes and over-limit creates
    api = make_api(KeyLimit="4")
    auth = basic(api.credential("ws-a"))
    rng = random.Random(20261125)
    live: list[str] = []
    deleted: list[str] = []
    for _ in range(40):
        action = rng.choice(["create", "create", "delete", "delete-again"])
        if action == "create":
            reply = api.request("POST", KEYS, authorization=auth)
            assert reply.status == (201 if len(live) < 4 else 403)
            if reply.status == 201:
                live.append(reply.json()["data"]["id"])
        elif action == "delete" and live:
            key_id = live.pop(rng.randrange(len(live)))
            assert api.request("DELETE", f"{KEYS}/{key_id}", authorization=auth).status == 200
            deleted.append(key_id)
        elif action == "delete-again" and deleted:
            assert api.request("DELETE", f"{KEYS}/{rng.choice(deleted)}", authorization=auth).status == 404
        # Then after every step the counter equals the number of key items
        assert api.key_count("ws-a") == len(api.key_items("ws-a")) == len(live)


# -- transaction conflicts: injected at the client, as DynamoDB would answer them ---------------------
@pytest.fixture
def conflicts(client_hooks: ClientHooks) -> dict[str, int]:
    """Makes the next N TransactWriteItems calls fail with TransactionConflict (set state['remaining'])."""
    state = {"remaining": 0, "calls": 0}

    def answer_conflict(**_: Any) -> tuple[Any, dict[str, Any]] | None:
        state["calls"] += 1
        if state["remaining"] == 0:
            return None
        state["remaining"] -= 1
        parsed = {
            "Error": {"Code": "TransactionCanceledException", "Message": "Transaction cancelled"},
            "CancellationReasons": [{"Code": "TransactionConflict"}, {"Code": "None"}],
            "ResponseMetadata": {"HTTPStatusCode": 400},
        }
        return SimpleNamespace(status_code=400, headers={}), parsed

    client_hooks.register("before-call.dynamodb.TransactWriteItems", answer_conflict)
    return state


def test_a_transient_conflict_is_retried_and_succeeds(api: LocalApi, conflicts: dict[str, int]) -> None:
    auth = basic(api.credential("ws-a"))
    conflicts.update(remaining=2, calls=0)  # issuing the credential was a transaction too
    reply = api.request("POST", KEYS, authorization=auth)
    assert reply.status == 201
    assert conflicts["calls"] == 3
    assert api.key_count("ws-a") == 1


def test_persistent_conflicts_answer_503_with_retry_after(api: LocalApi, conflicts: dict[str, int]) -> None:
    auth = basic(api.credential("ws-a"))
    conflicts.update(remaining=1000, calls=0)
    reply = api.request("POST", KEYS, authorization=auth)
    assert reply.status == 503
    assert reply.headers["retry-after"] == "1"
    assert reply.json()["error"]["code"] == 503
    assert 1 < conflicts["calls"] <= 5
    assert api.key_count("ws-a") == 0
