"""The runner answers a function's or an authorizer's failure as API Gateway and Lambda would: a timeout kills
the container, errors become the gateway responses of template.yaml, and the function's deadline is real.

The functions are a probe stack (tests/integration/probe_stack) served with the real template's table and
GatewayResponses, and one container per function, so that "the same container" is observable.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from signing_keys_local.template import Template
from tests.conftest import TEMPLATE
from tests.integration.conftest import Runner, call, start_runner

# Timeouts of 300 ms and 1 s against functions sleeping 600 ms: alone on the machine, after the parallel run.
pytestmark = pytest.mark.serial

PROBE_STACK = Path(__file__).with_name("probe_stack")


def union_error(status: int, message: str) -> dict[str, Any]:
    return {"success": False, "error": {"code": status, "message": message}, "errors": [message]}


def probe_template(directory: Path) -> Path:
    """The probe stack with the real template's table and gateway responses."""
    real = Template(TEMPLATE)
    probe = Template(PROBE_STACK / "template.yaml").document
    resources = probe["Resources"]
    real_api = next(r for r in real.resources.values() if r["Type"] == "AWS::Serverless::Api")
    resources["ProbeApi"]["Properties"]["GatewayResponses"] = real_api["Properties"]["GatewayResponses"]
    resources.update({rid: r for rid, r in real.resources.items() if r["Type"] == "AWS::DynamoDB::Table"})
    # The table's stream is the edge's (a condition on one parameter): bring what decides it along.
    probe["Conditions"] = {"HasEdge": real.document["Conditions"]["HasEdge"]}
    probe["Parameters"] = {"EdgeMediaBucketName": real.document["Parameters"]["EdgeMediaBucketName"]}
    for resource in resources.values():
        if resource["Type"] == "AWS::Serverless::Function":
            resource["Properties"]["CodeUri"] = str(PROBE_STACK / resource["Properties"]["CodeUri"])
    path = directory / "template.yaml"
    path.write_text(yaml.safe_dump(probe), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def probe(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runner]:
    template = probe_template(tmp_path_factory.mktemp("probe"))
    started = start_runner("-t", str(template), "--max-containers", "1")
    yield started
    assert started.stop() == 0


def get(runner: Runner, path: str, probe_header: str | None = None) -> tuple[int, dict[str, str], Any]:
    status, headers, body = call(runner, "GET", path, headers={"X-Probe": probe_header} if probe_header else None)
    return status, {name.lower(): value for name, value in headers.items()}, json.loads(body)


# -- the function's Timeout ---------------------------------------------------------------------------
@pytest.mark.timeout(60)
def test_a_function_past_its_timeout_is_answered_502_in_the_union_shape(probe: Runner) -> None:
    # When the function runs past its 1 s Timeout
    status, headers, body = get(probe, "/overrun")
    # Then Lambda stops it, and API Gateway answers for the failed function (DEFAULT_5XX), well before the
    # function would have finished on its own (60 s)
    assert (status, body) == (502, union_error(502, "Internal server error"))
    assert headers["x-amzn-errortype"] == "InternalServerErrorException"


@pytest.mark.timeout(60)
def test_a_timed_out_container_is_replaced_by_a_fresh_one(probe: Runner) -> None:
    # Given the function's one warm container
    _, _, before = get(probe, "/probe")
    # When an invocation runs past the Timeout
    assert get(probe, "/overrun")[0] == 502
    # Then the next request is served by a new container, with fresh module state
    _, _, after = get(probe, "/probe")
    assert after["pid"] != before["pid"]
    assert after["invocations"] == 1


def test_the_function_sees_its_real_deadline(probe: Runner) -> None:
    # When the function reads its remaining time at the start of an invocation
    _, _, report = get(probe, "/probe")
    # Then it is within the function's 1 s Timeout, not a fixed figure
    assert 0 < report["remainingMillis"] <= 1000


@pytest.mark.timeout(60)
def test_the_gateway_gives_up_at_the_routes_integration_timeout_and_the_function_runs_on(probe: Runner) -> None:
    # Given the function's one warm container
    _, _, before = get(probe, "/probe")
    # When the function takes longer than the route's TimeoutInMillis (300 ms) but less than its own Timeout
    status, headers, body = get(probe, "/slow")
    assert headers["x-amzn-errortype"] == "InternalServerErrorException"
    # Then API Gateway answers INTEGRATION_TIMEOUT, and the same container finishes and serves the next request
    assert (status, body) == (504, union_error(504, "Gateway timeout"))
    _, _, after = get(probe, "/probe")
    assert (after["pid"], after["invocations"]) == (before["pid"], before["invocations"] + 2)


# -- function errors ----------------------------------------------------------------------------------
@pytest.mark.parametrize("path", ["/crash", "/malformed"], ids=["unhandled error", "malformed proxy response"])
def test_a_failing_function_is_answered_502_in_the_union_shape(probe: Runner, path: str) -> None:
    status, headers, body = get(probe, path)
    assert (status, body) == (502, union_error(502, "Internal server error"))
    assert headers["x-amzn-errortype"] == "InternalServerErrorException"


# -- authorizers --------------------------------------------------------------------------------------
@pytest.mark.timeout(60)
@pytest.mark.parametrize(
    "verdict", ["fail", "invalid", "overrun"], ids=["raises another error", "invalid policy", "times out"]
)
def test_an_authorizer_failure_is_the_authorizer_configuration_error(probe: Runner, verdict: str) -> None:
    # When the authorizer raises anything but "Unauthorized", answers no valid policy, or runs past its Timeout
    status, headers, body = get(probe, "/guarded", verdict)
    # Then API Gateway answers 500 AuthorizerConfigurationException, in the union shape, and the route never ran
    assert (status, body) == (500, union_error(500, "Internal server error"))
    assert headers["x-amzn-errortype"] == "AuthorizerConfigurationException"
    assert headers["retry-after"] == "1"


def test_an_authorizers_unauthorized_is_401_with_both_schemes(probe: Runner) -> None:
    status, headers, body = get(probe, "/guarded", "unauthorized")
    assert (status, body) == (401, union_error(401, "Unauthorized"))
    assert headers["www-authenticate"] == 'Basic realm="signing-keys", Bearer realm="signing-keys"'


def test_a_missing_identity_source_is_401_without_calling_the_authorizer(probe: Runner) -> None:
    status, headers, body = get(probe, "/guarded")
    assert (status, body) == (401, union_error(401, "Unauthorized"))
    assert headers["x-amzn-errortype"] == "UnauthorizedException"


def test_an_authorizers_deny_is_403_in_the_union_shape(probe: Runner) -> None:
    status, _, body = get(probe, "/guarded", "deny")
    assert (status, body) == (403, union_error(403, "Forbidden"))


def test_an_authorizers_allow_reaches_the_function_with_its_principal(probe: Runner) -> None:
    status, _, body = get(probe, "/guarded", "allow")
    assert (status, body["principalId"]) == (200, "probe")
