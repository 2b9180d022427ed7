"""Randomized create bursts, deletes and updates through the runner (its DynamoDB serializes writes as
DynamoDB is atomic), in two workspaces, checked against a model after every step."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from tests.integration.conftest import MACHINE_WORKSPACES, Runner, call, counter

LIMIT = 10  # the session runner's KeyLimit


class BurstMachine(RuleBasedStateMachine):
    runner: Runner

    def __init__(self) -> None:
        super().__init__()
        self.model: dict[str, dict[str, bool]] = {ws: {} for ws in MACHINE_WORKSPACES}
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
        self.model[workspace].update(dict.fromkeys(created, False))

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
        self.model[workspace][key_id] = disabled

    @invariant()
    def store_matches_the_model(self) -> None:
        for workspace in MACHINE_WORKSPACES:
            listed = {key["id"]: key["disabled"] for key in self._list(workspace)}
            assert listed == self.model[workspace]
            assert counter(self.runner, workspace) == (len(listed), len(listed))
            assert len(listed) <= LIMIT


def test_bursts_deletes_and_updates_keep_every_invariant(runner: Runner) -> None:
    BurstMachine.runner = runner
    BurstMachine.TestCase.settings = settings(
        max_examples=5, stateful_step_count=12, deadline=None, suppress_health_check=list(HealthCheck)
    )
    BurstMachine.TestCase().runTest()
