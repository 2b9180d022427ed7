"""The route table (signing_keys.routes): what it derives from a route (resolver rule, policy resources, nearest
route, Allow lists), its ids against the SDKs', and the gateway responses against the error mapping. template.yaml's
`Api` events are generated from it (tests/unit/test_template_sections.py)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import fastpix_python
import pytest

from signing_keys import http_errors, routes
from signing_keys.errors import Unauthenticated
from signing_keys_local.template import Template
from tests.conftest import TEMPLATE


@pytest.mark.parametrize(
    ("method", "path", "meant"),
    [
        ("POST", "/iam/signing-key", ("POST", "/iam/signing-keys")),
        ("get", "/access-control/signing-keys", ("GET", "/access-control/signing-key")),
        ("POST", "/iam/signing-keys/k/rotat", ("POST", "/iam/signing-keys/{signingKeyId}/rotate")),
        ("GET", "/workspaces/w/jwks", ("GET", "/workspaces/{workspaceId}/jwks.json")),
        ("GET", "/revocation", ("GET", "/revocations")),
        ("GET", "/iam/keys/some-id", ("GET", "/iam/signing-keys/{signingKeyId}")),
        ("GET", "/workspaces/ws/playback", ("GET", "/workspaces/{workspaceId}/playback/{mediaId}")),
    ],
)
def test_the_nearest_route_is_the_most_similar_path_the_callers_method_breaking_ties(
    method: str, path: str, meant: tuple[str, str]
) -> None:
    suggested = routes.nearest(method, path)
    assert (suggested.method, suggested.path) == meant


def test_operation_ids_and_routes_are_unique() -> None:
    assert len({route.operation_id for route in routes.ROUTES}) == len(routes.ROUTES)
    assert len({(route.method, route.path) for route in routes.ROUTES}) == len(routes.ROUTES)


def test_fastpix_operation_ids_are_the_sdks() -> None:
    # Given the operation ids fastpix-python was generated with
    source = (Path(fastpix_python.__file__).parent / "signing_keys.py").read_text(encoding="utf-8")
    sdk = set(re.findall(r'operation_id="([^"]+)"', source))
    # Then the FastPix routes FastPix has use exactly those (a generated client keeps its method names)
    fastpix = [route for route in routes.ROUTES if route.dialect is routes.Dialect.FASTPIX]
    assert {route.operation_id for route in fastpix if not route.extension} == sdk
    # And the routes beyond FastPix use none of them
    assert not {route.operation_id for route in fastpix if route.extension} & sdk


@pytest.mark.parametrize(
    ("path", "rule", "policy"),
    [
        ("/iam/signing-keys", "/iam/signing-keys", "iam/signing-keys"),
        ("/iam/signing-keys/{signingKeyId}", "/iam/signing-keys/<signingKeyId>", "iam/signing-keys/*"),
        ("/workspaces/{workspaceId}/jwks.json", "/workspaces/<workspaceId>/jwks.json", "workspaces/*/jwks.json"),
    ],
)
def test_a_path_in_template_syntax_becomes_the_resolver_rule_and_the_policy_resource(
    path: str, rule: str, policy: str
) -> None:
    route = routes.Route(
        method="GET",
        path=path,
        function="F",
        dialect=routes.Dialect.NEUTRAL,
        auth=routes.Auth.NONE,
        operation_id="op",
        tags=(),
        summary="",
        description="",
        writes=False,
    )
    assert (route.resolver_rule, route.policy_resource) == (rule, policy)
    assert route.policy_resources == (policy, policy + "/")  # API Gateway serves `/x/` as `/x`


def test_key_id_parameters_are_recognised_in_both_dialects() -> None:
    keyed = {route.operation_id: route.key_id_parameter for route in routes.ROUTES if route.key_id_parameter}
    assert set(keyed.values()) == {"signingKeyId", "keyId"}
    assert routes.by_operation_id("verifyPlayback").key_id_parameter is None


def test_allow_lists_reads_before_writes() -> None:
    assert routes.allowed_methods("/access-control/signing-key/{keyId}") == ("GET", "PATCH", "DELETE")
    assert routes.allowed_methods("/iam/signing-keys") == ("GET", "POST")
    assert routes.allowed_methods("/nowhere") == ()


def test_an_unknown_resource_speaks_both_dialects() -> None:
    assert routes.dialect_of("/nowhere") is routes.Dialect.NEUTRAL
    assert routes.dialect_of("/iam/signing-keys/{signingKeyId}") is routes.Dialect.FASTPIX


def test_an_unknown_operation_id_names_the_table() -> None:
    with pytest.raises(KeyError, match="ROUTES"):
        routes.by_operation_id("noSuchOperation")


# The fallbacks set no status (each type keeps its own, docs/gateway-responses.md); their bodies are for what falls
# back to them here: a request validator's BAD_REQUEST_* (400) and a function error (502).
FALLBACK_STATUS = {"DEFAULT_4XX": 400, "DEFAULT_5XX": 502}


def _declared_gateway_responses() -> dict[str, tuple[int, str, dict[str, str]]]:
    template = Template(TEMPLATE)
    api_resource = next(r for r in template.resources.values() if r["Type"] == "AWS::Serverless::Api")
    parsed = template.gateway_responses()
    return {
        kind: (parsed[kind].status or FALLBACK_STATUS[kind], parsed[kind].body, parsed[kind].headers)
        for kind in api_resource["Properties"]["GatewayResponses"]
    }


@pytest.mark.parametrize("kind", sorted(_declared_gateway_responses()))
def test_a_gateway_response_is_what_the_error_mapping_renders(kind: str) -> None:
    # Given one of API Gateway's own answers as the template customises it
    status, body, headers = _declared_gateway_responses()[kind]
    message = json.loads(body)["error"]["message"]
    # Then it is the body the error mapping renders for that status and message in both dialects at once
    assert json.loads(body) == http_errors.error_body("", status, message)
    # And a challenge, where it names one, is the handlers' own
    assert headers.get("WWW-Authenticate", Unauthenticated.challenge) == Unauthenticated.challenge
