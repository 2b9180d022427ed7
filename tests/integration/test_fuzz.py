"""Schema-driven fuzzing with schemathesis against the local runner: positive and negative cases for every
operation. Pass: no 5xx, every status and body conforms to openapi.json, 405 for undeclared methods."""

from __future__ import annotations

import base64
import json
import urllib.request
from typing import Any

import hypothesis
import pytest
import schemathesis
from schemathesis.specs.openapi.checks import positive_data_acceptance

from tests.conftest import ROOT
from tests.integration.conftest import FUZZ_CREDENTIAL, Runner

pytestmark = [
    pytest.mark.slow,  # schemathesis: every operation fuzzed, then stateful links
    # One test per operation, all under one node id: pytest-xdist reports such items once (2,049 of 2,069 were
    # reported), so `make test` runs them in its serial run, where each is reported.
    pytest.mark.serial,
]

schema = schemathesis.openapi.from_path(ROOT / "openapi.json")
# An oversized invalid body is refused by size before validation: 413 is a rejection too.
_rejection = schema.config.checks.negative_data_rejection
_rejection.expected_statuses = [*_rejection.expected_statuses, "413"]
_, TOKEN_ID, SECRET = FUZZ_CREDENTIAL
AUTHORIZATION = "Basic " + base64.b64encode(f"{TOKEN_ID}:{SECRET}".encode()).decode()


@pytest.fixture
def base_url(runner: Runner) -> str:
    return runner.url


@schema.parametrize()
@hypothesis.settings(max_examples=25, deadline=None, suppress_health_check=list(hypothesis.HealthCheck))
def test_api_conforms_and_never_fails(case: schemathesis.Case, base_url: str) -> None:
    # A schema-valid `publicKey` string is still refused unless it is a real public key: a JSON Schema cannot
    # say that, so "schema-valid input must be accepted" is the one check left out.
    case.call_and_validate(
        base_url=base_url, headers={"Authorization": AUTHORIZATION}, excluded_checks=[positive_data_acceptance]
    )


def empty_the_workspace(base_url: str) -> None:
    """Delete every key and revocation of the fuzzing workspace."""
    for key in call(base_url, "GET", "/access-control/signing-key"):
        call(base_url, "DELETE", f"/access-control/signing-key/{key['id']}")
    while revocations := call(base_url, "GET", "/revocations?limit=1000")["revocations"]:
        for entry in revocations:
            call(base_url, "DELETE", f"/revocations/{entry['id']}")


def call(base_url: str, method: str, path: str) -> Any:
    request = urllib.request.Request(base_url + path, method=method, headers={"Authorization": AUTHORIZATION})
    with urllib.request.urlopen(request, timeout=30) as response:
        body = response.read()
    return json.loads(body) if body else None


class CreatedKeyWorkflows(schema.as_state_machine()):  # type: ignore[misc]
    """Follows the document's links: create a key (or a revocation), then get, update and delete it, in random
    order."""

    base_url = ""

    def setup(self) -> None:
        # Answers depend on what exists (a create is 201 until the key limit, then 403; a revocation 201, then 200
        # for the same one; a delete 204, then 404). Hypothesis replays scenarios and refuses one that draws
        # differently the second time (FlakyStrategyDefinition), so each starts from an empty workspace.
        empty_the_workspace(self.base_url)

    def get_call_kwargs(self, case: schemathesis.Case) -> dict[str, object]:
        return {"base_url": self.base_url, "headers": {"Authorization": AUTHORIZATION}}

    def validate_response(self, response: object, case: schemathesis.Case, **kwargs: object) -> None:
        case.validate_response(response, excluded_checks=[positive_data_acceptance])  # type: ignore[arg-type]


def test_stateful_workflows_follow_the_links(runner: Runner) -> None:
    CreatedKeyWorkflows.base_url = runner.url
    CreatedKeyWorkflows.run(
        settings=hypothesis.settings(
            max_examples=15, stateful_step_count=6, deadline=None, suppress_health_check=list(hypothesis.HealthCheck)
        )
    )
