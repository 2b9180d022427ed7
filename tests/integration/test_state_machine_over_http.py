"""Randomized create and rotation bursts, deletes, updates and policy changes through the runner (its DynamoDB
serializes writes as DynamoDB is atomic), in two workspaces, checked against a model after every step: the
counter equals the key items, never above the limit."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from tests.integration.conftest import MACHINE_WORKSPACES, Runner, call, counter

pytestmark = pytest.mark.slow  # a state machine of concurrent bursts

LIMIT = 10  # the session runner's KeyLimit
# What the model follows of each key: what the invariant compares with the list.
Shown = dict[str, Any]


def shown(key: dict[str, Any]) -> Shown:
    return {
        "disabled": key["disabled"],
        "allowedMedia": key.get("allowedMedia"),
        "maxTokenLifetimeSeconds": key.get("maxTokenLifetimeSeconds"),
        "expires": "expiresAt" in key,
    }


NEW_KEY: Shown = {"disabled": False, "allowedMedia": None, "maxTokenLifetimeSeconds": None, "expires": False}


class BurstMachine(RuleBasedStateMachine):
    runner: Runner

    def __init__(self) -> None:
        super().__init__()
        self.model: dict[str, dict[str, Shown]] = {ws: {} for ws in MACHINE_WORKSPACES}
        for workspace in MACHINE_WORKSPACES:  # each example starts from empty workspaces
            for key in self._list(workspace):
                assert self._delete(workspace, key["id"]) == 204

    def _auth(self, workspace: str) -> str:
        return f"Bearer secret-{workspace}"

    def _list(self, workspace: str) -> list[dict[str, Any]]:
        status, _, body = call(self.runner, "GET", "/access-control/signing-key", authorization=self._auth(workspace))
        assert status == 200
        keys: list[dict[str, Any]] = json.loads(body)
        return keys

    def _delete(self, workspace: str, key_id: str) -> int:
        path = f"/access-control/signing-key/{key_id}"
        return call(self.runner, "DELETE", path, authorization=self._auth(workspace))[0]

    @rule(workspace=st.sampled_from(MACHINE_WORKSPACES), size=st.integers(1, 16))
    def concurrent_creates(self, workspace: str, size: int) -> None:
        def create(_: int) -> tuple[int, bytes]:
            status, _, body = call(
                self.runner, "POST", "/access-control/signing-key", authorization=self._auth(workspace)
            )
            return status, body

        with ThreadPoolExecutor(max_workers=size) as pool:
            results = list(pool.map(create, range(size)))
        created = [json.loads(body)["id"] for status, body in results if status == 200]
        free = LIMIT - len(self.model[workspace])
        assert len(created) == min(size, free)
        assert sorted(status for status, _ in results) == sorted([200] * len(created) + [403] * (size - len(created)))
        self.model[workspace].update({key_id: dict(NEW_KEY) for key_id in created})

    @precondition(lambda self: any(self.model.values()))
    @rule(data=st.data())
    def delete(self, data: st.DataObject) -> None:
        workspace = data.draw(st.sampled_from([ws for ws in MACHINE_WORKSPACES if self.model[ws]]))
        key_id = data.draw(st.sampled_from(sorted(self.model[workspace])))
        other = next(ws for ws in MACHINE_WORKSPACES if ws != workspace)
        assert self._delete(other, key_id) == 404  # never across workspaces
        assert self._delete(workspace, key_id) == 204
        del self.model[workspace][key_id]

    @precondition(lambda self: any(self.model.values()))
    @rule(data=st.data(), disabled=st.booleans())
    def disable_or_enable(self, data: st.DataObject, disabled: bool) -> None:
        workspace = data.draw(st.sampled_from([ws for ws in MACHINE_WORKSPACES if self.model[ws]]))
        key_id = data.draw(st.sampled_from(sorted(self.model[workspace])))
        body = json.dumps({"disabled": disabled}).encode()
        path = f"/access-control/signing-key/{key_id}"
        assert call(self.runner, "PATCH", path, authorization=self._auth(workspace), body=body)[0] == 204
        self.model[workspace][key_id]["disabled"] = disabled

    @precondition(lambda self: any(self.model.values()))
    @rule(
        data=st.data(),
        allowed_media=st.none() | st.lists(st.sampled_from(["intro", "course-42-*", "m:1"]), min_size=1, max_size=3),
        lifetime=st.none() | st.integers(60, 86_400),
    )
    def change_policies(self, data: st.DataObject, allowed_media: list[str] | None, lifetime: int | None) -> None:
        workspace = data.draw(st.sampled_from([ws for ws in MACHINE_WORKSPACES if self.model[ws]]))
        key_id = data.draw(st.sampled_from(sorted(self.model[workspace])))
        body = json.dumps({"allowedMedia": allowed_media, "maxTokenLifetimeSeconds": lifetime}).encode()
        path = f"/iam/signing-keys/{key_id}"
        assert call(self.runner, "PATCH", path, authorization=self._auth(workspace), body=body)[0] == 200
        self.model[workspace][key_id].update(allowedMedia=allowed_media, maxTokenLifetimeSeconds=lifetime)

    @precondition(lambda self: any(self.model.values()))
    @rule(data=st.data(), size=st.integers(1, 8))
    def concurrent_rotations(self, data: st.DataObject, size: int) -> None:
        workspace = data.draw(st.sampled_from([ws for ws in MACHINE_WORKSPACES if self.model[ws]]))
        key_id = data.draw(st.sampled_from(sorted(self.model[workspace])))
        path = f"/access-control/signing-key/{key_id}/rotate"

        def rotate(_: int) -> tuple[int, bytes]:
            status, _, body = call(self.runner, "POST", path, authorization=self._auth(workspace), body=b"{}")
            return status, body

        with ThreadPoolExecutor(max_workers=size) as pool:
            results = list(pool.map(rotate, range(size)))
        successors = [json.loads(body)["id"] for status, body in results if status == 200]
        free = LIMIT - len(self.model[workspace])
        # Rotations of one key queue on its revision: at least one gets through while there is room, never more
        # than the room; the rest meet the limit (403) or, past the bounded re-reads, are told to retry (503).
        assert (1 if free else 0) <= len(successors) <= min(size, free)
        assert {status for status, _ in results} <= {200, 403, 503}
        if len(successors) < free:
            assert 403 not in {status for status, _ in results}
        old = self.model[workspace][key_id]
        for successor in successors:
            self.model[workspace][successor] = {**old, "disabled": False, "expires": False}
        if successors:
            old["expires"] = True

    @invariant()
    def store_matches_the_model(self) -> None:
        for workspace in MACHINE_WORKSPACES:
            listed = {key["id"]: shown(key) for key in self._list(workspace)}
            assert listed == self.model[workspace]
            assert counter(self.runner, workspace) == (len(listed), len(listed))
            assert len(listed) <= LIMIT


def test_bursts_deletes_and_updates_keep_every_invariant(runner: Runner) -> None:
    BurstMachine.runner = runner
    BurstMachine.TestCase.settings = settings(
        max_examples=5, stateful_step_count=12, deadline=None, suppress_health_check=list(HealthCheck)
    )
    BurstMachine.TestCase().runTest()
