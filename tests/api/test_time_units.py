"""Every refusal of a time-valued field names the unit the field is in, as that dialect has it on the wire
(seconds, epoch seconds, epoch milliseconds, ISO-8601): a value in the wrong unit is the usual mistake."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.support import LocalApi, basic, bearer

FASTPIX, LIVEPEER = "/iam/signing-keys", "/access-control/signing-key"
ROTATE = "/{id}/rotate"

# (dialect's collection, extra path, body, field, the unit its refusal must name)
REFUSED_TIMES = {
    "Livepeer lifetime below the floor": (LIVEPEER, "", {"maxTokenLifetimeSeconds": 5}, "in seconds"),
    "Livepeer lifetime above the cap": (LIVEPEER, "", {"maxTokenLifetimeSeconds": 10**9}, "seconds"),
    "Livepeer lifetime as text": (LIVEPEER, "", {"maxTokenLifetimeSeconds": "600"}, "in seconds"),
    "Livepeer expiry in the past": (LIVEPEER, "", {"expiresAt": 1_000}, "in epoch milliseconds"),
    "Livepeer expiry as a fraction": (LIVEPEER, "", {"expiresAt": 1.5}, "in epoch milliseconds"),
    "FastPix lifetime below the floor": (FASTPIX, "", {"maxTokenLifetimeSeconds": 5}, "in seconds"),
    "FastPix expiry in the past": (FASTPIX, "", {"expiresAt": "2001-01-01T00:00:00Z"}, "ISO-8601"),
    "FastPix expiry in epoch seconds": (FASTPIX, "", {"expiresAt": 4_102_444_800}, "ISO-8601"),
    "Livepeer overlap too long": (LIVEPEER, ROTATE, {"overlapSeconds": 10**7}, "in seconds"),
    "FastPix overlap negative": (FASTPIX, ROTATE, {"overlapSeconds": -1}, "in seconds"),
    "a cut-off too far ahead": ("/revocations", "", {"issuedBefore": 10**10}, "in epoch seconds"),
    "a cut-off as text": ("/revocations", "", {"issuedBefore": "yesterday"}, "in epoch seconds"),
}


def field_messages(body: dict[str, Any]) -> list[str]:
    """The per-field messages of an error body, in whichever dialect's shape it came."""
    if "errors" in body and "error" not in body:  # Livepeer: ["field: message"]
        return list(body["errors"])
    return [field["message"] for field in body["error"].get("fields", [])]


@pytest.mark.parametrize("collection, suffix, body, unit", REFUSED_TIMES.values(), ids=REFUSED_TIMES.keys())
def test_a_refused_time_value_names_its_unit(
    api: LocalApi, collection: str, suffix: str, body: dict[str, Any], unit: str
) -> None:
    # Given a credential, and for a rotation a key to rotate
    credential = api.credential("ws-a")
    authorization = basic(credential) if collection == FASTPIX else bearer(credential)
    path = collection
    if suffix:
        created = api.request("POST", collection, authorization=authorization, body={})
        key_id = created.json()["data"]["id"] if collection == FASTPIX else created.json()["id"]
        path = collection + suffix.format(id=key_id)
    # When the time value is sent
    reply = api.request("POST", path, authorization=authorization, body=body)
    # Then it is refused, and the refusal says what unit the field is in
    assert reply.status == 422, reply.body
    (message,) = field_messages(json.loads(reply.body))
    assert unit in message, message


def test_a_refusal_carries_no_validation_library_prefix(api: LocalApi) -> None:
    # Given a value a validator of ours refuses
    reply = api.request("POST", LIVEPEER, authorization=bearer(api.credential("ws-a")), body={"expiresAt": 1.5})
    # Then the message is ours alone, without pydantic's "Value error, "
    assert reply.status == 422
    assert "Value error" not in reply.body.decode()
