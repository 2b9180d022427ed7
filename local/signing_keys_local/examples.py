"""Example data and the API Gateway events in `events/`, built by the runner's own event factory.

`events/<function directory>.json` holds one event per function. `invoke` seeds the example credential and
key into the embedded DynamoDB, so every file there invokes successfully; on a real table, create them with
`python -m signing_keys_tools.admin create-credential` first.
"""

from __future__ import annotations

import base64
import json
from dataclasses import replace
from pathlib import Path
from typing import Any

from signing_keys.authorizer_context import ManagementContext
from signing_keys.key_ids import key_id_for_pem, revocation_id_for
from signing_keys.models import Algorithm, Scope, SigningKey, from_iso8601
from signing_keys.store.key_items import key_item
from signing_keys_local.events import HttpRequest, authorizer_event, proxy_event
from signing_keys_local.template import LOCAL_ACCOUNT, LOCAL_REGION, LOCAL_STACK

EXAMPLE_WORKSPACE = "ws-example"
EXAMPLE_TOKEN_ID = "tok-example"  # noqa: S105 - published on purpose
EXAMPLE_SECRET = "example-secret-do-not-use-in-production"  # noqa: S105 - published on purpose
# A public key only: the example key can be read, renamed and deleted, but signs nothing.
EXAMPLE_PUBLIC_KEY_PEM = """-----BEGIN PUBLIC KEY-----
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEmIxfnn/g58Q7DBwp5thUFdDGc2U8
QQNbFM1fVzU4Ewbr9H/poejxYM8xe+BE4a+BmV1qSXFiI/euusNLCpa8+g==
-----END PUBLIC KEY-----
"""
EXAMPLE_KEY_ID = key_id_for_pem(EXAMPLE_WORKSPACE, EXAMPLE_PUBLIC_KEY_PEM) or ""

# A revocation `invoke` seeds (delete_revocation.json deletes it), and the jti create_revocation.json revokes.
EXAMPLE_REVOKED_JTI = "example-revoked-token"
EXAMPLE_REVOCATION_ID = revocation_id_for(EXAMPLE_WORKSPACE, "jti", EXAMPLE_REVOKED_JTI) or ""
EXAMPLE_NEW_JTI = "example-leaked-token"
# The edge secret as the runner names the one it creates (the rotation event's SecretId).
EXAMPLE_EDGE_SECRET = f"{LOCAL_STACK}-EdgeSecret"

# Shaped like a real token for the example key, but expired and unsigned: the playback examples show a refusal
# (401, with its reason) and verify_token.json explains it. Mint a live one: `python -m signing_keys_tools.tokens sign`.
EXAMPLE_MEDIA_ID = "media-example"
EXAMPLE_EXPIRED_TOKEN = ".".join(
    base64.urlsafe_b64encode(json.dumps(part).encode()).decode().rstrip("=")
    for part in (
        {"alg": "ES256", "typ": "JWT", "kid": EXAMPLE_KEY_ID},
        {"sub": EXAMPLE_MEDIA_ID, "aud": f"media:{EXAMPLE_MEDIA_ID}", "iat": 1_764_025_200, "exp": 1_764_028_800},
        {"signature": "not a real one"},
    )
)

_STAGE = "v1"
_RECEIVED_AT = 1_764_028_800.0  # fixed, so regenerating the files changes nothing
_REQUEST_ID = "c6af9ac6-7b61-11e6-9a41-93e8deadbeef"


def basic_authorization(token_id: str = EXAMPLE_TOKEN_ID, secret: str = EXAMPLE_SECRET) -> str:
    return "Basic " + base64.b64encode(f"{token_id}:{secret}".encode()).decode("ascii")


def request(
    method: str,
    path: str,
    resource: str,
    *,
    path_parameters: dict[str, str] | None = None,
    query: dict[str, list[str]] | None = None,
    body: bytes | None = None,
    authorization: str | None = None,
    extra_headers: dict[str, str] | None = None,
) -> HttpRequest:
    headers = {
        "Accept": ["application/json"],
        "Host": ["localapi.execute-api.us-east-1.amazonaws.com"],
        "User-Agent": ["example-client/1.0"],
        "X-Forwarded-For": ["203.0.113.10"],
        "X-Forwarded-Port": ["443"],
        "X-Forwarded-Proto": ["https"],
    }
    if authorization is not None:
        headers["Authorization"] = [authorization]
    if body is not None:
        headers["Content-Type"] = ["application/json"]
    for name, value in (extra_headers or {}).items():
        headers[name] = [value]
    return HttpRequest(
        method=method,
        path=path,
        resource=resource,
        path_parameters=path_parameters or {},
        query=query or {},
        headers=headers,
        body=body,
        stage=_STAGE,
        source_ip="203.0.113.10",
        request_id=_REQUEST_ID,
        received_at=_RECEIVED_AT,
    )


def authorized(
    http: HttpRequest,
    workspace: str = EXAMPLE_WORKSPACE,
    token_id: str = EXAMPLE_TOKEN_ID,
    scope: Scope = Scope.WRITE,
) -> dict[str, Any]:
    """The proxy event API Gateway sends after the management authorizer allowed `http`."""
    granted = ManagementContext(workspace, token_id, scope).encode()
    return proxy_event(http, {"principalId": workspace, **granted, "integrationLatency": 0})


def example_events() -> dict[str, dict[str, Any]]:
    """File stem (the function's directory under functions/) → its example event."""
    auth = basic_authorization()
    key = {"signingKeyId": EXAMPLE_KEY_ID}
    fastpix_key_path = f"/iam/signing-keys/{EXAMPLE_KEY_ID}"
    livepeer_key_path = f"/access-control/signing-key/{EXAMPLE_KEY_ID}"
    playback = request(
        "GET",
        f"/workspaces/{EXAMPLE_WORKSPACE}/playback/{EXAMPLE_MEDIA_ID}",
        "/workspaces/{workspaceId}/playback/{mediaId}",
        path_parameters={"workspaceId": EXAMPLE_WORKSPACE, "mediaId": EXAMPLE_MEDIA_ID},
        authorization=f"Bearer {EXAMPLE_EXPIRED_TOKEN}",
    )
    return {
        "authorize_management": authorizer_event(
            request("GET", "/iam/signing-keys", "/iam/signing-keys", authorization=auth)
        ),
        "create_key": authorized(request("POST", "/iam/signing-keys", "/iam/signing-keys", authorization=auth)),
        "list_keys": authorized(
            request(
                "GET",
                "/iam/signing-keys",
                "/iam/signing-keys",
                query={"limit": ["10"], "offset": ["1"]},
                authorization=auth,
            )
        ),
        "get_key": authorized(
            request(
                "GET", fastpix_key_path, "/iam/signing-keys/{signingKeyId}", path_parameters=key, authorization=auth
            )
        ),
        "update_key": authorized(
            request(
                "PATCH",
                livepeer_key_path,
                "/access-control/signing-key/{keyId}",
                path_parameters={"keyId": EXAMPLE_KEY_ID},
                body=json.dumps({"name": "renamed example key"}).encode(),
                authorization=f"Bearer {EXAMPLE_SECRET}",
            )
        ),
        "rotate_key": authorized(
            request(
                "POST",
                f"{livepeer_key_path}/rotate",
                "/access-control/signing-key/{keyId}/rotate",
                path_parameters={"keyId": EXAMPLE_KEY_ID},
                body=json.dumps({"overlapSeconds": 3600}).encode(),
                authorization=f"Bearer {EXAMPLE_SECRET}",
            )
        ),
        "authorize_playback": authorizer_event(playback),
        "playback": proxy_event(playback),
        "exchange": proxy_event(
            request(
                "GET",
                f"/workspaces/{EXAMPLE_WORKSPACE}/play/{EXAMPLE_MEDIA_ID}/index.m3u8",
                "/workspaces/{workspaceId}/play/{mediaId}/{path+}",
                path_parameters={"workspaceId": EXAMPLE_WORKSPACE, "mediaId": EXAMPLE_MEDIA_ID, "path": "index.m3u8"},
                query={"token": [EXAMPLE_EXPIRED_TOKEN]},
            )
        ),
        "edge_sync": _example_key_disabled_record(),
        "rotate_edge_secret": {
            "Step": "createSecret",
            "SecretId": EXAMPLE_EDGE_SECRET,
            "ClientRequestToken": "4c8e2ba2-0b5a-4f5e-9d4e-7a0c2d1e5f60",
        },
        "sweep_edge": {
            "version": "0",
            "id": "5c3b1a2e-9f1d-4c6b-8a7e-2d4f6b8a0c1e",
            "detail-type": "Scheduled Event",
            "source": "aws.events",
            "account": LOCAL_ACCOUNT,
            "time": "2025-11-25T00:00:00Z",
            "region": LOCAL_REGION,
            "resources": [f"arn:aws:events:{LOCAL_REGION}:{LOCAL_ACCOUNT}:rule/{LOCAL_STACK}-EdgeSweep"],
            "detail": {},
        },
        "verify_token": authorized(
            request(
                "POST",
                "/tokens/verify",
                "/tokens/verify",
                body=json.dumps({"token": EXAMPLE_EXPIRED_TOKEN, "mediaId": EXAMPLE_MEDIA_ID}).encode(),
                authorization=auth,
            )
        ),
        "jwks": proxy_event(
            request(
                "GET",
                f"/workspaces/{EXAMPLE_WORKSPACE}/jwks.json",
                "/workspaces/{workspaceId}/jwks.json",
                path_parameters={"workspaceId": EXAMPLE_WORKSPACE},
            )
        ),
        "method_not_allowed": proxy_event(request("PUT", "/iam/signing-keys", "/iam/signing-keys")),
        "list_audit_events": authorized(
            request("GET", "/audit-events", "/audit-events", query={"limit": ["20"]}, authorization=auth)
        ),
        "delete_key": authorized(
            request(
                "DELETE", fastpix_key_path, "/iam/signing-keys/{signingKeyId}", path_parameters=key, authorization=auth
            )
        ),
        "create_revocation": authorized(
            request(
                "POST",
                "/revocations",
                "/revocations",
                body=json.dumps({"jti": EXAMPLE_NEW_JTI, "reason": "leaked in a forum post"}).encode(),
                authorization=auth,
            )
        ),
        "list_revocations": authorized(
            request("GET", "/revocations", "/revocations", query={"limit": ["100"]}, authorization=auth)
        ),
        "delete_revocation": authorized(
            request(
                "DELETE",
                f"/revocations/{EXAMPLE_REVOCATION_ID}",
                "/revocations/{revocationId}",
                path_parameters={"revocationId": EXAMPLE_REVOCATION_ID},
                authorization=auth,
            )
        ),
    }


def _example_key_disabled_record() -> dict[str, Any]:
    """The stream record Lambda hands the sync function when the example key is disabled (NEW_AND_OLD_IMAGES)."""
    key = SigningKey(
        EXAMPLE_KEY_ID, EXAMPLE_WORKSPACE, Algorithm.ES256, EXAMPLE_PUBLIC_KEY_PEM, from_iso8601("2025-11-25T00:00:00Z")
    )
    old, new = key_item(key), key_item(replace(key, disabled=True))
    return {
        "Records": [
            {
                "eventID": "1",
                "eventName": "MODIFY",
                "eventVersion": "1.1",
                "eventSource": "aws:dynamodb",
                "awsRegion": LOCAL_REGION,
                "dynamodb": {
                    "ApproximateCreationDateTime": _RECEIVED_AT,
                    "Keys": {"PK": old["PK"], "SK": old["SK"]},
                    "OldImage": old,
                    "NewImage": new,
                    "SequenceNumber": "100000000000000000001",
                    "SizeBytes": 512,
                    "StreamViewType": "NEW_AND_OLD_IMAGES",
                },
                "eventSourceARN": (
                    f"arn:aws:dynamodb:{LOCAL_REGION}:{LOCAL_ACCOUNT}:table/{LOCAL_STACK}-KeysTable/stream/2025-11-25"
                ),
            }
        ]
    }


def render(event: dict[str, Any]) -> str:
    return json.dumps(event, indent=2, sort_keys=True) + "\n"


def write_events(directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for stem, event in example_events().items():
        path = directory / f"{stem}.json"
        path.write_text(render(event), encoding="utf-8")
        written.append(path)
    return written
