"""The audit trail through the API: every change writes exactly one entry, in its own transaction; a change that
fails writes none; GET /audit-events lists the caller's workspace's entries newest first, a page at a time, and
never another workspace's; no entry holds a secret, key material or token."""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from signing_keys.credentials import IssuedCredential
from tests.api.conftest import ApiFactory
from tests.conftest import SECRET_MARKERS
from tests.support import LocalApi, Reply, basic, bearer

FASTPIX_KEYS = "/iam/signing-keys"
LIVEPEER_KEYS = "/access-control/signing-key"
AUDIT = "/audit-events"
DAY_SECONDS = 86_400
# What the gateway emulator reports as the caller's address (API Gateway's requestContext.identity.sourceIp).
SOURCE_IP = "127.0.0.1"


def key_actions(api: LocalApi, workspace: str = "ws-a") -> list[dict[str, Any]]:
    """The workspace's stored audit entries of key changes, oldest first (credential issuance left out)."""
    return [item for item in api.audit_items(workspace) if item["action"]["S"].startswith("key.")]


def listed(api: LocalApi, credential: IssuedCredential, **query: str) -> Reply:
    return api.request("GET", AUDIT, authorization=basic(credential), query=query)


@pytest.fixture
def writer(api: LocalApi) -> IssuedCredential:
    return api.credential("ws-a")


def test_each_key_change_writes_exactly_one_entry_naming_who_what_and_where(
    api: LocalApi, writer: IssuedCredential
) -> None:
    # Given a write credential
    started_ms = int(time.time() * 1000)
    # When it creates a key in each dialect, renames one and deletes the other
    fastpix = api.request("POST", FASTPIX_KEYS, authorization=basic(writer))
    livepeer = api.request("POST", LIVEPEER_KEYS, authorization=bearer(writer))
    fastpix_id, livepeer_id = fastpix.json()["data"]["id"], livepeer.json()["id"]
    update = api.request("PATCH", f"{LIVEPEER_KEYS}/{livepeer_id}", authorization=bearer(writer), body={"name": "n"})
    delete = api.request("DELETE", f"{FASTPIX_KEYS}/{fastpix_id}", authorization=basic(writer))
    # Then there is one entry per change, in order, each naming the action, the key, the credential, the
    # caller's address and API Gateway's request id of that very request
    replies = [fastpix, livepeer, update, delete]
    entries = key_actions(api)
    assert [(e["action"]["S"], e["keyId"]["S"]) for e in entries] == [
        ("key.create", fastpix_id),
        ("key.create", livepeer_id),
        ("key.update", livepeer_id),
        ("key.delete", fastpix_id),
    ]
    for entry, reply in zip(entries, replies, strict=True):
        assert entry["workspaceId"]["S"] == "ws-a"
        assert entry["tokenId"]["S"] == writer.token_id
        assert entry["sourceIp"]["S"] == SOURCE_IP
        assert entry["requestId"]["S"] == reply.headers["x-amzn-requestid"]
        created_ms = int(entry["createdAt"]["N"])
        assert started_ms <= created_ms <= int(time.time() * 1000)
        assert entry["SK"]["S"].startswith(f"{created_ms:015d}#")


def test_a_rotation_and_a_fastpix_patch_write_one_entry_each(api: LocalApi, writer: IssuedCredential) -> None:
    # Given a key
    old_id = api.request("POST", FASTPIX_KEYS, authorization=basic(writer)).json()["data"]["id"]
    # When its policy is changed through FastPix's PATCH, then it is rotated
    patch = api.request(
        "PATCH", f"{FASTPIX_KEYS}/{old_id}", authorization=basic(writer), body={"maxTokenLifetimeSeconds": 600}
    )
    rotate = api.request("POST", f"{FASTPIX_KEYS}/{old_id}/rotate", authorization=basic(writer))
    assert (patch.status, rotate.status) == (200, 201)
    successor_id = rotate.json()["data"]["id"]
    # Then the update names the key, and the rotation names the old key and its successor, each of its request
    update_entry, rotate_entry = key_actions(api)[1:]
    assert (update_entry["action"]["S"], update_entry["keyId"]["S"]) == ("key.update", old_id)
    assert update_entry["requestId"]["S"] == patch.headers["x-amzn-requestid"]
    assert (rotate_entry["action"]["S"], rotate_entry["keyId"]["S"]) == ("key.rotate", old_id)
    assert rotate_entry["successorKeyId"]["S"] == successor_id
    assert rotate_entry["requestId"]["S"] == rotate.headers["x-amzn-requestid"]
    # And the listing shows the successor too
    listed_rotation = listed(api, writer).json()["auditEvents"][0]
    assert (listed_rotation["action"], listed_rotation["successorKeyId"]) == ("key.rotate", successor_id)


def test_a_rotation_refused_at_the_key_limit_writes_no_entry(make_api: ApiFactory) -> None:
    # Given a workspace at its limit of one key
    api = make_api(KeyLimit="1")
    credential = api.credential("ws-a")
    key_id = api.request("POST", LIVEPEER_KEYS, authorization=bearer(credential)).json()["id"]
    # When its rotation is refused (no room for the successor)
    reply = api.request("POST", f"{LIVEPEER_KEYS}/{key_id}/rotate", authorization=bearer(credential))
    # Then only the create has an entry
    assert reply.status == 403
    assert [e["action"]["S"] for e in key_actions(api)] == ["key.create"]


def test_an_entry_expires_after_the_audit_retention(make_api: ApiFactory) -> None:
    # Given a stack deployed with AuditRetentionDays=7
    api = make_api(AuditRetentionDays="7")
    # When a key is created
    api.request("POST", LIVEPEER_KEYS, authorization=bearer(api.credential("ws-a")))
    # Then its entry carries the table's TTL attribute 7 days after its creation, in epoch seconds
    (entry,) = key_actions(api)
    assert int(entry["ttl"]["N"]) == int(entry["createdAt"]["N"]) // 1000 + 7 * DAY_SECONDS


def test_a_create_refused_at_the_key_limit_writes_no_entry(make_api: ApiFactory) -> None:
    # Given a workspace at its limit of one key
    api = make_api(KeyLimit="1")
    credential = api.credential("ws-a")
    api.request("POST", LIVEPEER_KEYS, authorization=bearer(credential))
    # When another create is refused
    reply = api.request("POST", LIVEPEER_KEYS, authorization=bearer(credential))
    # Then only the first create has an entry
    assert reply.status == 403
    assert [e["action"]["S"] for e in key_actions(api)] == ["key.create"]


def test_a_duplicate_public_key_writes_no_entry(api: LocalApi, writer: IssuedCredential) -> None:
    # Given a public key already registered in the workspace
    public_pem = (
        ec.generate_private_key(ec.SECP256R1())
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    api.request("POST", LIVEPEER_KEYS, authorization=bearer(writer), body={"publicKey": public_pem})
    # When it is registered again (the key's conditional put fails)
    reply = api.request("POST", LIVEPEER_KEYS, authorization=bearer(writer), body={"publicKey": public_pem})
    # Then the refused change left no entry
    assert reply.status == 422
    assert [e["action"]["S"] for e in key_actions(api)] == ["key.create"]


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("PATCH", LIVEPEER_KEYS, {"disabled": True}),
        ("DELETE", LIVEPEER_KEYS, None),
        ("DELETE", FASTPIX_KEYS, None),
    ],
)
def test_a_change_to_another_workspaces_key_writes_no_entry(
    api: LocalApi, method: str, path: str, body: dict[str, Any] | None
) -> None:
    # Given a key of workspace ws-b
    owner = api.credential("ws-b")
    key_id = api.request("POST", LIVEPEER_KEYS, authorization=bearer(owner)).json()["id"]
    # When a credential of ws-a tries to change it (the condition on its workspace fails: 404)
    intruder = api.credential("ws-a")
    reply = api.request(method, f"{path}/{key_id}", authorization=basic(intruder), body=body)
    # Then neither workspace gains an entry
    assert reply.status == 404
    assert key_actions(api, "ws-a") == []
    assert [e["action"]["S"] for e in key_actions(api, "ws-b")] == ["key.create"]


def test_a_second_delete_writes_no_entry(api: LocalApi, writer: IssuedCredential) -> None:
    # Given a key, deleted once
    key_id = api.request("POST", LIVEPEER_KEYS, authorization=bearer(writer)).json()["id"]
    api.request("DELETE", f"{LIVEPEER_KEYS}/{key_id}", authorization=bearer(writer))
    # When it is deleted again (404)
    reply = api.request("DELETE", f"{LIVEPEER_KEYS}/{key_id}", authorization=bearer(writer))
    # Then only the first delete has an entry
    assert reply.status == 404
    assert [e["action"]["S"] for e in key_actions(api)] == ["key.create", "key.delete"]


def test_audit_events_lists_the_workspaces_changes_newest_first(api: LocalApi, writer: IssuedCredential) -> None:
    # Given a key created, then renamed
    key_id = api.request("POST", LIVEPEER_KEYS, authorization=bearer(writer)).json()["id"]
    api.request("PATCH", f"{LIVEPEER_KEYS}/{key_id}", authorization=bearer(writer), body={"name": "n"})
    # When the trail is read
    reply = listed(api, writer)
    # Then the newest change comes first, with the fields of the contract, and the credential's own issuance last
    assert reply.status == 200, reply.body
    page = reply.json()
    assert page["nextCursor"] is None
    actions = [(event["action"], event.get("keyId")) for event in page["auditEvents"]]
    assert actions == [("key.update", key_id), ("key.create", key_id), ("credential.create", None)]
    newest = page["auditEvents"][0]
    assert set(newest) == {"id", "createdAt", "action", "workspaceId", "tokenId", "keyId", "sourceIp", "requestId"}
    assert (newest["workspaceId"], newest["tokenId"], newest["sourceIp"]) == ("ws-a", writer.token_id, SOURCE_IP)


def test_audit_events_come_a_page_at_a_time_through_the_cursor(api: LocalApi, writer: IssuedCredential) -> None:
    # Given five entries (the credential's issuance and four key creations)
    for _ in range(4):
        api.request("POST", LIVEPEER_KEYS, authorization=bearer(writer))
    everything = listed(api, writer).json()["auditEvents"]
    # When they are read two at a time, following nextCursor
    pages: list[list[str]] = []
    cursor: str | None = None
    while True:
        page = listed(api, writer, limit="2", **({"cursor": cursor} if cursor else {})).json()
        pages.append([event["id"] for event in page["auditEvents"]])
        cursor = page["nextCursor"]
        if cursor is None:
            break
    # Then the pages hold every entry once, in the same newest-first order
    assert [len(ids) for ids in pages if ids] == [2, 2, 1]
    assert [event_id for ids in pages for event_id in ids] == [event["id"] for event in everything]


def test_another_workspaces_entries_are_invisible(api: LocalApi, writer: IssuedCredential) -> None:
    # Given changes in ws-b
    other = api.credential("ws-b")
    api.request("POST", LIVEPEER_KEYS, authorization=bearer(other))
    # When ws-a reads its trail
    events = listed(api, writer).json()["auditEvents"]
    # Then it holds ws-a's entries only
    assert {event["workspaceId"] for event in events} == {"ws-a"}
    assert other.token_id not in json.dumps(events)


def test_a_cursor_from_another_workspace_reaches_only_the_callers_own_entries(
    api: LocalApi, writer: IssuedCredential
) -> None:
    # Given a cursor into ws-b's trail, after its newest entry
    other = api.credential("ws-b")
    for _ in range(3):
        api.request("POST", LIVEPEER_KEYS, authorization=bearer(other))
    cursor = listed(api, other, limit="1").json()["nextCursor"]
    # When ws-a passes it
    reply = listed(api, writer, cursor=cursor)
    # Then it pages through ws-a's entries (the cursor holds a position, never a workspace)
    assert reply.status == 200
    assert {event["workspaceId"] for event in reply.json()["auditEvents"]} <= {"ws-a"}


@pytest.mark.parametrize(
    "query",
    [
        {"cursor": "not-a-cursor"},
        {"cursor": base64.urlsafe_b64encode(b"AUDIT#ws-b").decode()},
        {"cursor": "x" * 200},
        {"cursor": ""},
        {"limit": "0"},
        {"limit": "1001"},
        {"limit": "ten"},
    ],
    ids=["garbage", "not-a-position", "too-long", "empty", "limit-0", "limit-1001", "limit-ten"],
)
def test_a_malformed_cursor_or_limit_is_a_422_in_both_shapes(
    api: LocalApi, writer: IssuedCredential, query: dict[str, str]
) -> None:
    # Given a cursor this listing never returned, or a limit outside 1-1000
    # When the trail is read with it
    reply = listed(api, writer, **query)
    # Then it is invalid input, answered in both dialects' fields (a route of neither platform), naming the field
    assert reply.status == 422, reply.body
    body = reply.json()
    assert (body["success"], body["error"]["code"]) == (False, 422)
    assert body["error"]["fields"][0]["field"] in {"cursor", "limit"}
    assert body["errors"]


def test_reading_the_trail_needs_a_credential(api: LocalApi) -> None:
    # Given no credential / When the trail is read / Then API Gateway refuses it (401)
    assert api.request("GET", AUDIT).status == 401


def test_no_entry_holds_a_secret_key_material_or_a_token(api: LocalApi, writer: IssuedCredential) -> None:
    # Given keys created with generated pairs and with an uploaded public key, renamed, used and deleted
    fastpix = api.request("POST", FASTPIX_KEYS, authorization=basic(writer)).json()["data"]
    livepeer = api.request("POST", LIVEPEER_KEYS, authorization=bearer(writer)).json()
    uploaded_pem = (
        ec.generate_private_key(ec.SECP256R1())
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    uploaded = api.request("POST", LIVEPEER_KEYS, authorization=bearer(writer), body={"publicKey": uploaded_pem})
    api.request("PATCH", f"{LIVEPEER_KEYS}/{livepeer['id']}", authorization=bearer(writer), body={"disabled": True})
    now = int(time.time())
    token = jwt.encode(
        {"sub": "m", "iat": now, "exp": now + 60},
        base64.b64decode(fastpix["privateKey"]),
        "RS256",
        headers={"kid": fastpix["id"]},
    )
    api.request("GET", "/workspaces/ws-a/playback/m", query={"token": token})
    api.request("DELETE", f"{FASTPIX_KEYS}/{fastpix['id']}", authorization=basic(writer))
    # When the stored entries and the listing are read
    stored = json.dumps(api.audit_items("ws-a"))
    answered = listed(api, writer).body.decode()
    # Then there are entries, and none holds PEM armour, its base64, a JWT, the credential's secret, a private or
    # public key, or the token
    assert uploaded.status == 200
    assert len(json.loads(answered)["auditEvents"]) == 6
    canaries = [
        *SECRET_MARKERS,
        writer.secret,
        fastpix["privateKey"],
        livepeer["privateKey"],
        livepeer["publicKey"],
        base64.b64encode(uploaded_pem.encode()).decode(),
        token,
    ]
    for text in (stored, answered):
        assert [canary for canary in canaries if canary in text] == []
