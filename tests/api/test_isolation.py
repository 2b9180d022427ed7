"""Another workspace's keys do not exist for you: 404, byte-identical to a key that never existed."""

from __future__ import annotations

import pytest

from tests.support import LocalApi, basic

MISSING = "00000000-0000-8000-8000-000000000000"


@pytest.fixture
def foreign_key(api: LocalApi) -> str:
    owner = basic(api.credential("ws-owner"))
    key_id: str = api.request("POST", "/iam/signing-keys", authorization=owner).json()["data"]["id"]
    return key_id


@pytest.mark.parametrize(
    ("method", "prefix"),
    [
        ("GET", "/iam/signing-keys"),
        ("DELETE", "/iam/signing-keys"),
        ("GET", "/access-control/signing-key"),
        ("DELETE", "/access-control/signing-key"),
    ],
)
def test_another_workspaces_key_answers_exactly_like_a_missing_one(
    api: LocalApi, foreign_key: str, method: str, prefix: str
) -> None:
    intruder = basic(api.credential("ws-intruder"))
    foreign = api.request(method, f"{prefix}/{foreign_key}", authorization=intruder)
    missing = api.request(method, f"{prefix}/{MISSING}", authorization=intruder)
    assert foreign.status == missing.status == 404
    assert foreign.body == missing.body


def test_another_workspace_cannot_update_your_key(api: LocalApi, foreign_key: str) -> None:
    intruder = api.credential("ws-intruder")
    path = f"/access-control/signing-key/{foreign_key}"
    reply = api.request("PATCH", path, authorization=f"Bearer {intruder.secret}", body={"disabled": True})
    assert reply.status == 404
    owner_view = api.request("GET", path, authorization=basic(api.credential("ws-owner")))
    assert owner_view.json()["disabled"] is False


def test_another_workspaces_keys_are_not_listed(api: LocalApi, foreign_key: str) -> None:
    intruder = basic(api.credential("ws-intruder"))
    assert api.request("GET", "/iam/signing-keys", authorization=intruder).json()["data"] == []
    assert api.request("GET", "/access-control/signing-key", authorization=intruder).json() == []


def test_a_failed_foreign_delete_leaves_the_key_and_both_counters(api: LocalApi, foreign_key: str) -> None:
    intruder = basic(api.credential("ws-intruder"))
    api.request("DELETE", f"/iam/signing-keys/{foreign_key}", authorization=intruder)
    owner = basic(api.credential("ws-owner"))
    assert api.request("GET", f"/iam/signing-keys/{foreign_key}", authorization=owner).status == 200
    assert api.key_count("ws-owner") == 1
    assert api.key_count("ws-intruder") == 0
