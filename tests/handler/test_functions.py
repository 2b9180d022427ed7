"""Every function answers its example event (events/<function>.json) as the route table and its dialect say:
status, headers and a body that validates against the operation's response model."""

from __future__ import annotations

import json
from typing import Any

import pytest

from signing_keys.authorizer_context import ManagementContext
from signing_keys.config import Settings
from signing_keys.dialects import fastpix, livepeer, neutral
from signing_keys.key_ids import revocation_id_for
from signing_keys.models import Actor, Algorithm, Scope, SigningKey, utc_now
from signing_keys.service import KeyService
from signing_keys.store.keys import KeyRepository
from signing_keys.verification import VerifiedToken
from signing_keys_local.events import proxy_event
from signing_keys_local.examples import (
    EXAMPLE_KEY_ID,
    EXAMPLE_MEDIA_ID,
    EXAMPLE_NEW_JTI,
    EXAMPLE_REVOCATION_ID,
    EXAMPLE_REVOKED_JTI,
    EXAMPLE_TOKEN_ID,
    EXAMPLE_WORKSPACE,
    authorized,
    example_events,
    request,
)
from signing_keys_tools.tokens import sign
from tests.support import LocalFunctions

EVENTS = example_events()


def body(response: dict[str, Any]) -> Any:
    return json.loads(response["body"])


def test_management_authorizer_allows_the_example_credential(functions: LocalFunctions) -> None:
    # Given the authorizer event of a request with the example credential
    # When the authorizer runs
    policy = functions.invoke("ManagementAuthorizerFunction", EVENTS["authorize_management"])
    # Then it allows, naming the credential's workspace in the context the handlers read
    assert policy["policyDocument"]["Statement"][0]["Effect"] == "Allow"
    assert ManagementContext.decode(policy["context"]) == ManagementContext(
        EXAMPLE_WORKSPACE, EXAMPLE_TOKEN_ID, Scope.WRITE
    )


def test_create_key_answers_201_with_a_private_key(functions: LocalFunctions) -> None:
    # Given the FastPix create event
    # When the function handles it
    response = functions.invoke("CreateKeyFunction", EVENTS["create_key"])
    # Then a key was created in the caller's workspace and its private key is in the answer
    assert response["statusCode"] == 201
    created = fastpix.FastPixCreateKeyResponse.model_validate(body(response))
    assert created.data.privateKey is not None
    assert functions.key_count(EXAMPLE_WORKSPACE) == 2


def test_list_keys_answers_the_first_page(functions: LocalFunctions) -> None:
    response = functions.invoke("ListKeysFunction", EVENTS["list_keys"])
    assert response["statusCode"] == 200
    page = fastpix.FastPixListKeysResponse.model_validate(body(response))
    assert [key.id for key in page.data] == [EXAMPLE_KEY_ID]
    assert page.pagination == fastpix.FastPixPagination(totalRecords=1, currentOffset=1, offsetCount=1)


def test_get_key_answers_the_public_key(functions: LocalFunctions) -> None:
    response = functions.invoke("GetKeyFunction", EVENTS["get_key"])
    assert response["statusCode"] == 200
    detail = fastpix.FastPixGetKeyResponse.model_validate(body(response)).data
    assert (detail.signingKeyId, detail.workspaceId) == (EXAMPLE_KEY_ID, EXAMPLE_WORKSPACE)


def test_update_key_answers_204_and_renames(functions: LocalFunctions) -> None:
    # Given the Livepeer PATCH event renaming the example key
    # When the function handles it
    response = functions.invoke("UpdateKeyFunction", EVENTS["update_key"])
    # Then it answers 204 without a body and the key has its new name
    assert response["statusCode"] == 204
    assert not response["body"]
    (item,) = functions.key_items(EXAMPLE_WORKSPACE)
    assert item["name"]["S"] == "renamed example key"


def test_rotate_key_answers_200_with_the_successor_and_expires_the_example_key(functions: LocalFunctions) -> None:
    # Given the Livepeer rotate event for the example key, with an hour of overlap
    # When the function handles it
    response = functions.invoke("RotateKeyFunction", EVENTS["rotate_key"])
    # Then the answer is the successor in Livepeer's create shape, with its private key
    assert response["statusCode"] == 200
    successor = livepeer.LivepeerCreatedSigningKey.model_validate(body(response))
    assert successor.privateKey is not None and successor.id != EXAMPLE_KEY_ID
    # And both keys are stored and counted, the example key now with an expiry
    items = {item["PK"]["S"].removeprefix("KEY#"): item for item in functions.key_items(EXAMPLE_WORKSPACE)}
    assert set(items) == {EXAMPLE_KEY_ID, successor.id}
    assert "expiresAt" in items[EXAMPLE_KEY_ID] and "expiresAt" not in items[successor.id]
    assert functions.key_count(EXAMPLE_WORKSPACE) == 2


def test_delete_key_answers_200_and_frees_the_slot(functions: LocalFunctions) -> None:
    response = functions.invoke("DeleteKeyFunction", EVENTS["delete_key"])
    assert response["statusCode"] == 200
    fastpix.FastPixDeleteKeyResponse.model_validate(body(response))
    assert functions.key_count(EXAMPLE_WORKSPACE) == 0
    assert functions.key_items(EXAMPLE_WORKSPACE) == []


def test_update_key_writes_its_audit_entry_from_the_events_request(functions: LocalFunctions) -> None:
    # Given the Livepeer PATCH event, as API Gateway sends it after the authorizer
    event = EVENTS["update_key"]
    # When the function handles it
    functions.invoke("UpdateKeyFunction", event)
    # Then the workspace's newest audit entry names the change, the credential and the request's origin
    newest = functions.audit_items(EXAMPLE_WORKSPACE)[-1]
    assert {name: value["S"] for name, value in newest.items() if "S" in value and name not in {"PK", "SK"}} == {
        "workspaceId": EXAMPLE_WORKSPACE,
        "action": "key.update",
        "keyId": EXAMPLE_KEY_ID,
        "tokenId": EXAMPLE_TOKEN_ID,
        "sourceIp": event["requestContext"]["identity"]["sourceIp"],
        "requestId": event["requestContext"]["requestId"],
    }


def test_a_write_from_a_read_only_credential_is_403_before_its_body_is_read(functions: LocalFunctions) -> None:
    # Given a PATCH event whose authorizer context carries a read scope, with a body that is not JSON
    path = f"/access-control/signing-key/{EXAMPLE_KEY_ID}"
    http = request(
        "PATCH", path, "/access-control/signing-key/{keyId}", path_parameters={"keyId": EXAMPLE_KEY_ID}, body=b"{"
    )
    # When the function handles it
    response = functions.invoke("UpdateKeyFunction", authorized(http, scope=Scope.READ))
    # Then it is refused in the Livepeer shape, and the key is unchanged
    assert response["statusCode"] == 403
    assert livepeer.LivepeerError.model_validate(body(response)).errors[0].startswith("this credential is read-only")
    (item,) = functions.key_items(EXAMPLE_WORKSPACE)
    assert item["name"]["S"] == "example key"


def test_list_audit_events_answers_the_workspaces_trail(functions: LocalFunctions) -> None:
    # Given the example workspace, seeded with its credential, then its key, then its revocation
    # When the function handles the example event
    response = functions.invoke("ListAuditEventsFunction", EVENTS["list_audit_events"])
    # Then the three changes are listed (seeded within a millisecond or two: their order is tested in the api
    # tier), with no further page
    assert response["statusCode"] == 200
    page = neutral.AuditEventPage.model_validate(body(response))
    assert {(event.action, event.keyId, event.revocationId) for event in page.auditEvents} == {
        ("key.create", EXAMPLE_KEY_ID, None),
        ("credential.create", None, None),
        ("revocation.create", None, EXAMPLE_REVOCATION_ID),
    }
    assert page.nextCursor is None


def test_playback_authorizer_refuses_the_expired_example_token(functions: LocalFunctions) -> None:
    # Given the example token, which is expired
    # When the playback authorizer runs, Then it raises the one error API Gateway turns into a 401
    with pytest.raises(Exception, match=r"^Unauthorized$"):
        functions.invoke("PlaybackAuthorizerFunction", EVENTS["authorize_playback"])


def test_playback_refuses_the_example_token_saying_why(functions: LocalFunctions) -> None:
    # Given the example token, whose signature is not a real one
    # When the playback function handles it
    response = functions.invoke("PlaybackFunction", EVENTS["playback"])
    # Then it is a 401 whose body and header name the reason, with the bearer challenge of RFC 6750
    assert response["statusCode"] == 401
    refusal = neutral.TokenRefusal.model_validate(body(response))
    assert (refusal.reason, refusal.error.reason, refusal.error.code) == ("bad_signature", "bad_signature", 401)
    assert response["multiValueHeaders"]["X-Refusal-Reason"] == ["bad_signature"]
    assert response["multiValueHeaders"]["WWW-Authenticate"] == ['Bearer realm="playback", error="invalid_token"']


def playback_event(workspace: str, media: str, token: str | None, authorization: str | None = None) -> dict[str, Any]:
    return proxy_event(
        request(
            "GET",
            f"/workspaces/{workspace}/playback/{media}",
            "/workspaces/{workspaceId}/playback/{mediaId}",
            path_parameters={"workspaceId": workspace, "mediaId": media},
            query=None if token is None else {"token": [token]},
            authorization=authorization,
        )
    )


def test_playback_answers_the_claims_of_a_token_it_verifies(functions: LocalFunctions) -> None:
    # Given a key of the example workspace and a token it signed for the example media
    created = KeyService(KeyRepository(functions.table), Settings(table_name=functions.table_name)).create_key(
        Actor.operator(EXAMPLE_WORKSPACE), default_algorithm=Algorithm.ES256
    )
    assert created.private_key_pem is not None
    token = sign(created.private_key_pem, created.key.key_id, EXAMPLE_MEDIA_ID, 300)
    # When the playback function handles it
    response = functions.invoke("PlaybackFunction", playback_event(EXAMPLE_WORKSPACE, EXAMPLE_MEDIA_ID, token))
    # Then it answers the verified claims
    assert response["statusCode"] == 200, response["body"]
    grant = neutral.PlaybackGrant.model_validate(body(response))
    assert (grant.workspaceId, grant.mediaId, grant.keyId) == (EXAMPLE_WORKSPACE, EXAMPLE_MEDIA_ID, created.key.key_id)


PLAYBACK_REQUESTS_REFUSED_BEFORE_VERIFYING = {
    "no token": (playback_event(EXAMPLE_WORKSPACE, EXAMPLE_MEDIA_ID, None), "missing_token"),
    "a token under another scheme than Bearer": (
        playback_event(EXAMPLE_WORKSPACE, EXAMPLE_MEDIA_ID, None, authorization="Basic a.b.c"),
        "missing_token",
    ),
    "a workspace id no workspace can have": (playback_event("ws a!", EXAMPLE_MEDIA_ID, "a.b.c"), "unknown_key"),
    "a media id no media can have": (playback_event(EXAMPLE_WORKSPACE, "movie 42!", "a.b.c"), "wrong_media"),
}


@pytest.mark.parametrize("name", sorted(PLAYBACK_REQUESTS_REFUSED_BEFORE_VERIFYING))
def test_playback_refuses_a_request_it_can_tell_is_wrong_with_its_reason(functions: LocalFunctions, name: str) -> None:
    # Given a playback request the route itself can refuse
    event, reason = PLAYBACK_REQUESTS_REFUSED_BEFORE_VERIFYING[name]
    # When the playback function handles it
    response = functions.invoke("PlaybackFunction", event)
    # Then it is a refusal in the token-refusal shape naming that reason
    assert response["statusCode"] in {401, 403}, response["body"]
    assert neutral.TokenRefusal.model_validate(body(response)).reason == reason


def test_playback_takes_a_token_from_an_authorization_bearer_header(functions: LocalFunctions) -> None:
    # Given a key of the example workspace and a token it signed, sent as Authorization: Bearer
    created = KeyService(KeyRepository(functions.table), Settings(table_name=functions.table_name)).create_key(
        Actor.operator(EXAMPLE_WORKSPACE), default_algorithm=Algorithm.ES256
    )
    assert created.private_key_pem is not None
    token = sign(created.private_key_pem, created.key.key_id, EXAMPLE_MEDIA_ID, 300)
    event = playback_event(EXAMPLE_WORKSPACE, EXAMPLE_MEDIA_ID, None, authorization=f"bearer {token}")
    # When the playback function handles it / Then it verifies (the scheme's case does not matter)
    response = functions.invoke("PlaybackFunction", event)
    assert response["statusCode"] == 200, response["body"]


class VerifierHandingOutAnotherWorkspacesKey:
    """Stands in for a verifier (or a store or cache under it) that went wrong: it verifies nothing and returns a
    key of another workspace."""

    def __init__(self, key: SigningKey) -> None:
        self.key = key

    def verify(self, token: str, workspace_id: str, media_id: str) -> VerifiedToken:
        return VerifiedToken(key=self.key, claims={"sub": media_id, "exp": 2_000_000_000})


def test_playback_refuses_a_key_of_another_workspace_whatever_the_verifier_answered(
    functions: LocalFunctions, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a verifier that hands the playback function a key of ws-other
    foreign = SigningKey(EXAMPLE_KEY_ID, "ws-other", Algorithm.ES256, "pem", utc_now())
    module = functions.host.module("PlaybackFunction")
    monkeypatch.setattr(module, "verifier", VerifierHandingOutAnotherWorkspacesKey(foreign))
    # When a request for the example workspace's media comes
    response = functions.invoke("PlaybackFunction", playback_event(EXAMPLE_WORKSPACE, EXAMPLE_MEDIA_ID, "a.b.c"))
    # Then the function's own check refuses it: the media stays the workspace's own
    assert response["statusCode"] == 401
    assert body(response)["reason"] == "unknown_key"


def test_verify_token_explains_the_example_token_stage_by_stage(functions: LocalFunctions) -> None:
    # Given the example token (its signature is not a real one) sent to the token debugger
    # When the function handles it
    response = functions.invoke("VerifyTokenFunction", EVENTS["verify_token"])
    # Then the verdict is the playback route's, each stage is reported in order, and the claims are shown
    assert response["statusCode"] == 200
    explained = neutral.TokenVerdict.model_validate(body(response))
    assert (explained.verdict.status, explained.verdict.reason) == (401, "bad_signature")
    assert [(check.stage, check.result) for check in explained.checks] == [
        ("screen", "passed"),
        ("key", "passed"),
        ("signature", "failed"),
        ("times", "skipped"),
        ("media", "skipped"),
        ("policy", "skipped"),
        ("revocations", "skipped"),
        ("spend", "skipped"),
    ]
    assert explained.keyId == EXAMPLE_KEY_ID
    assert explained.claims is not None and explained.claims["sub"] == EXAMPLE_MEDIA_ID


def verify_token_event(token: str) -> dict[str, Any]:
    """The example token-debugger request, asking about `token` for the example media."""
    event = json.loads(json.dumps(EVENTS["verify_token"]))
    event["body"] = json.dumps({"token": token, "mediaId": EXAMPLE_MEDIA_ID})
    return event


def test_verify_token_reports_every_stage_passed_for_a_token_that_plays(functions: LocalFunctions) -> None:
    # Given a key of the example workspace and a token it signed for the example media
    created = KeyService(KeyRepository(functions.table), Settings(table_name=functions.table_name)).create_key(
        Actor.operator(EXAMPLE_WORKSPACE), default_algorithm=Algorithm.ES256
    )
    assert created.private_key_pem is not None
    token = sign(created.private_key_pem, created.key.key_id, EXAMPLE_MEDIA_ID, 300)
    # When the token debugger explains it
    response = functions.invoke("VerifyTokenFunction", verify_token_event(token))
    # Then the verdict is the playback route's 200, every stage passed, with the key and the claims
    assert response["statusCode"] == 200, response["body"]
    explained = neutral.TokenVerdict.model_validate(body(response))
    assert (explained.verdict.status, explained.verdict.reason) == (200, None)
    assert explained.verdict.message
    assert {(check.result, check.reason, check.message) for check in explained.checks} == {("passed", None, None)}
    assert len(explained.checks) == 8
    assert explained.keyId == created.key.key_id
    assert explained.claims is not None and explained.claims["sub"] == EXAMPLE_MEDIA_ID


def test_verify_token_reports_a_token_it_cannot_read_as_failing_the_screen(functions: LocalFunctions) -> None:
    # Given something that is no JWS
    # When the token debugger explains it
    response = functions.invoke("VerifyTokenFunction", verify_token_event("not-a-token"))
    # Then the screen failed saying why, every later stage was skipped, and there is neither key nor claims
    assert response["statusCode"] == 200, response["body"]
    explained = neutral.TokenVerdict.model_validate(body(response))
    assert (explained.verdict.status, explained.verdict.reason) == (401, "malformed")
    screen, *later = explained.checks
    assert (screen.stage, screen.result, screen.reason) == ("screen", "failed", "malformed")
    assert screen.message == explained.verdict.message
    assert {check.result for check in later} == {"skipped"}
    assert (explained.keyId, explained.claims) == (None, None)


def test_jwks_publishes_the_example_key(functions: LocalFunctions) -> None:
    response = functions.invoke("JwksFunction", EVENTS["jwks"])
    assert response["statusCode"] == 200
    assert response["multiValueHeaders"]["Cache-Control"] == ["public, max-age=60"]
    jwks = neutral.JwkSet.model_validate(body(response))
    assert [(jwk.kid, jwk.alg, jwk.crv) for jwk in jwks.keys] == [(EXAMPLE_KEY_ID, "ES256", "P-256")]


def test_method_not_allowed_answers_405_with_the_resources_methods(functions: LocalFunctions) -> None:
    # Given a PUT to /iam/signing-keys, which serves GET and POST
    # When the ANY fallback handles it
    response = functions.invoke("MethodNotAllowedFunction", EVENTS["method_not_allowed"])
    # Then it is a 405 in the FastPix shape naming what the resource serves
    assert response["statusCode"] == 405
    assert response["headers"]["Allow"] == "GET, POST"
    error = fastpix.FastPixError.model_validate(body(response))
    assert error.error.code == 405


def test_a_livepeer_key_route_answers_in_the_livepeer_shape(functions: LocalFunctions) -> None:
    # Given the update event, with a key id that names nothing
    event = json.loads(json.dumps(EVENTS["update_key"]))
    event["pathParameters"]["keyId"] = "missing"
    event["path"] = "/access-control/signing-key/missing"
    # When the function handles it, Then it is the Livepeer 404
    response = functions.invoke("UpdateKeyFunction", event)
    assert response["statusCode"] == 404
    assert livepeer.LivepeerError.model_validate(body(response)).errors == ["signing key not found"]


def test_create_revocation_answers_201_with_the_entry(functions: LocalFunctions) -> None:
    # Given the event revoking a jti
    # When the function handles it
    response = functions.invoke("CreateRevocationFunction", EVENTS["create_revocation"])
    # Then the entry is answered, with the id verification computes for that jti, and it is listed
    assert response["statusCode"] == 201
    entry = neutral.RevocationEntry.model_validate(body(response))
    assert (entry.type, entry.value, entry.reason) == ("jti", EXAMPLE_NEW_JTI, "leaked in a forum post")
    assert entry.id == revocation_id_for(EXAMPLE_WORKSPACE, "jti", EXAMPLE_NEW_JTI)


def test_create_revocation_answers_200_with_the_standing_entry_the_second_time(functions: LocalFunctions) -> None:
    first = functions.invoke("CreateRevocationFunction", EVENTS["create_revocation"])
    again = functions.invoke("CreateRevocationFunction", EVENTS["create_revocation"])
    assert (first["statusCode"], again["statusCode"]) == (201, 200)
    assert body(again) == body(first)


def test_list_revocations_answers_the_seeded_one_and_no_cursor(functions: LocalFunctions) -> None:
    response = functions.invoke("ListRevocationsFunction", EVENTS["list_revocations"])
    assert response["statusCode"] == 200
    page = neutral.RevocationList.model_validate(body(response))
    assert [(entry.id, entry.value) for entry in page.revocations] == [(EXAMPLE_REVOCATION_ID, EXAMPLE_REVOKED_JTI)]
    assert body(response)["nextCursor"] is None


def test_delete_revocation_answers_204_and_removes_it(functions: LocalFunctions) -> None:
    response = functions.invoke("DeleteRevocationFunction", EVENTS["delete_revocation"])
    assert response["statusCode"] == 204
    assert not response["body"]
    assert functions.revocation_items() == []
