"""Randomized sequences of create/update/rotate/delete/list in two workspaces against a model of what must hold.

Invariants after every step: the counter equals the key items, never above the limit, each workspace's list
equals the model (names, disabled, policies), and no key is ever visible from the other workspace.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule
from moto import mock_aws

from tests.support import basic, bearer, build_local_api

pytestmark = pytest.mark.slow  # a state machine: 8 random sequences of 25 steps

LIMIT = 3
WORKSPACES = ("ws-a", "ws-b")
MISSING = "00000000-0000-8000-8000-000000000000"
POLICY_FIELDS = ("expiresAt", "allowedMedia", "maxTokenLifetimeSeconds")
UNSET_POLICY: dict[str, Any] = dict.fromkeys(POLICY_FIELDS)
media_patterns = st.lists(st.sampled_from(["intro", "intro2", "course-42-*", "c*", "m:1"]), min_size=1, max_size=4)


class KeyStoreMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.mock = mock_aws()
        self.mock.start()
        self.api = build_local_api(KeyLimit=str(LIMIT), LogLevel="WARNING")
        self.credentials = {ws: self.api.credential(ws) for ws in WORKSPACES}
        self.model: dict[str, dict[str, dict[str, Any]]] = {ws: {} for ws in WORKSPACES}
        self.deleted: list[tuple[str, str]] = []

    def teardown(self) -> None:
        self.mock.stop()

    @rule(workspace=st.sampled_from(WORKSPACES), dialect=st.sampled_from(["livepeer", "livepeer", "fastpix"]))
    def create(self, workspace: str, dialect: str) -> None:
        credential = self.credentials[workspace]
        full = len(self.model[workspace]) >= LIMIT
        if dialect == "fastpix":
            reply = self.api.request("POST", "/iam/signing-keys", authorization=basic(credential))
            assert reply.status == (403 if full else 201)
            key_id = None if full else reply.json()["data"]["id"]
        else:
            reply = self.api.request("POST", "/access-control/signing-key", authorization=bearer(credential))
            assert reply.status == (403 if full else 200)
            key_id = None if full else reply.json()["id"]
        if key_id is not None:
            self.model[workspace][key_id] = {"name": "", "disabled": False, **UNSET_POLICY}

    @precondition(lambda self: any(self.model.values()))
    @rule(data=st.data())
    def delete(self, data: st.DataObject) -> None:
        workspace = data.draw(st.sampled_from([ws for ws in WORKSPACES if self.model[ws]]))
        key_id = data.draw(st.sampled_from(sorted(self.model[workspace])))
        reply = self.api.request(
            "DELETE", f"/access-control/signing-key/{key_id}", authorization=bearer(self.credentials[workspace])
        )
        assert reply.status == 204
        del self.model[workspace][key_id]
        self.deleted.append((workspace, key_id))

    @precondition(lambda self: any(self.model.values()) or self.deleted)
    @rule(data=st.data(), target_kind=st.sampled_from(["foreign", "deleted", "missing"]))
    def delete_what_is_not_yours(self, data: st.DataObject, target_kind: str) -> None:
        workspace = data.draw(st.sampled_from(WORKSPACES))
        other = next(ws for ws in WORKSPACES if ws != workspace)
        candidates = {
            "foreign": sorted(self.model[other]),
            "deleted": [key for ws, key in self.deleted if ws == workspace],
            "missing": [MISSING],
        }[target_kind] or [MISSING]
        key_id = data.draw(st.sampled_from(candidates))
        reply = self.api.request(
            "DELETE", f"/iam/signing-keys/{key_id}", authorization=basic(self.credentials[workspace])
        )
        assert reply.status == 404

    @precondition(lambda self: any(self.model.values()))
    @rule(data=st.data(), name=st.text(min_size=0, max_size=20), disabled=st.booleans())
    def update(self, data: st.DataObject, name: str, disabled: bool) -> None:
        workspace = data.draw(st.sampled_from([ws for ws in WORKSPACES if self.model[ws]]))
        key_id = data.draw(st.sampled_from(sorted(self.model[workspace])))
        reply = self.api.request(
            "PATCH",
            f"/access-control/signing-key/{key_id}",
            authorization=bearer(self.credentials[workspace]),
            body={"name": name, "disabled": disabled},
        )
        assert reply.status == 204, reply.body
        self.model[workspace][key_id].update(name=name, disabled=disabled)

    @precondition(lambda self: any(self.model.values()))
    @rule(
        data=st.data(),
        dialect=st.sampled_from(["livepeer", "fastpix"]),
        allowed_media=st.none() | media_patterns,
        lifetime=st.none() | st.integers(60, 86_400),
        expires_in_days=st.none() | st.integers(1, 3_650),
    )
    def update_policies(
        self,
        data: st.DataObject,
        dialect: str,
        allowed_media: list[str] | None,
        lifetime: int | None,
        expires_in_days: int | None,
    ) -> None:
        workspace = data.draw(st.sampled_from([ws for ws in WORKSPACES if self.model[ws]]))
        key_id = data.draw(st.sampled_from(sorted(self.model[workspace])))
        expires_at = None if expires_in_days is None else (int(time.time()) + expires_in_days * 86_400) * 1000
        policy = {"expiresAt": expires_at, "allowedMedia": allowed_media, "maxTokenLifetimeSeconds": lifetime}
        credential = self.credentials[workspace]
        if dialect == "livepeer":
            path, authorization, body = f"/access-control/signing-key/{key_id}", bearer(credential), policy
        else:
            iso = None if expires_at is None else datetime.fromtimestamp(expires_at / 1000, UTC).isoformat()
            path, authorization, body = f"/iam/signing-keys/{key_id}", basic(credential), {**policy, "expiresAt": iso}
        reply = self.api.request("PATCH", path, authorization=authorization, body=body)
        assert reply.status == (204 if dialect == "livepeer" else 200), reply.body
        self.model[workspace][key_id].update(policy)

    @precondition(lambda self: any(self.model.values()))
    @rule(data=st.data(), dialect=st.sampled_from(["livepeer", "fastpix"]), overlap=st.integers(0, 604_800))
    def rotate(self, data: st.DataObject, dialect: str, overlap: int) -> None:
        workspace = data.draw(st.sampled_from([ws for ws in WORKSPACES if self.model[ws]]))
        key_id = data.draw(st.sampled_from(sorted(self.model[workspace])))
        credential = self.credentials[workspace]
        full = len(self.model[workspace]) >= LIMIT
        before = int(time.time() * 1000)
        if dialect == "livepeer":
            path, authorization, success = f"/access-control/signing-key/{key_id}/rotate", bearer(credential), 200
        else:
            path, authorization, success = f"/iam/signing-keys/{key_id}/rotate", basic(credential), 201
        reply = self.api.request("POST", path, authorization=authorization, body={"overlapSeconds": overlap})
        after = int(time.time() * 1000)
        assert reply.status == (403 if full else success), reply.body
        if full:
            return
        created = reply.json() if dialect == "livepeer" else reply.json()["data"]
        old = self.model[workspace][key_id]
        # The successor inherits the name and policy, without the expiry; the old key's expiry is now + overlap,
        # unless it already expired sooner.
        self.model[workspace][created["id"]] = {**old, "disabled": False, "expiresAt": None}
        shown = self.api.request("GET", f"/access-control/signing-key/{key_id}", authorization=bearer(credential))
        expires_at = shown.json()["expiresAt"]
        if old["expiresAt"] is not None and old["expiresAt"] <= before + overlap * 1000:
            assert expires_at == old["expiresAt"]
        else:
            assert before + overlap * 1000 <= expires_at <= after + overlap * 1000
        old["expiresAt"] = expires_at

    @precondition(lambda self: any(self.model.values()))
    @rule(data=st.data())
    def rotate_another_workspaces_key(self, data: st.DataObject) -> None:
        owner = data.draw(st.sampled_from([ws for ws in WORKSPACES if self.model[ws]]))
        key_id = data.draw(st.sampled_from(sorted(self.model[owner])))
        other = next(ws for ws in WORKSPACES if ws != owner)
        path = f"/iam/signing-keys/{key_id}/rotate"
        assert self.api.request("POST", path, authorization=basic(self.credentials[other])).status == 404

    @invariant()
    def store_matches_the_model(self) -> None:
        for workspace in WORKSPACES:
            listed = self.api.request(
                "GET", "/access-control/signing-key", authorization=bearer(self.credentials[workspace])
            )
            assert listed.status == 200
            seen = {
                key["id"]: {"name": key["name"], "disabled": key["disabled"], **UNSET_POLICY, **_policy(key)}
                for key in listed.json()
            }
            assert seen == self.model[workspace]
            assert self.api.key_count(workspace) == len(self.api.key_items(workspace)) == len(self.model[workspace])
            assert len(self.model[workspace]) <= LIMIT


def _policy(key: dict[str, Any]) -> dict[str, Any]:
    return {name: key[name] for name in POLICY_FIELDS if name in key}


KeyStoreMachine.TestCase.settings = settings(max_examples=8, stateful_step_count=25, deadline=None)
test_key_store_state_machine = KeyStoreMachine.TestCase
