"""Runs inside the livepeer SDK's own venv: drives the API with only server_url and the api key.

Prints one JSON object of what it observed; tests/conformance/test_livepeer_sdk.py asserts on it.
Usage: python livepeer_flow.py SERVER_URL API_KEY
"""

import json
import sys

import httpx
from livepeer import Livepeer
from livepeer.models import errors


def status_of(call):
    try:
        call()
    except errors.SDKError as error:
        return error.status_code
    return None


def main(server_url, api_key):
    client = Livepeer(server_url=server_url, api_key=api_key)
    observed = {}
    created = client.access_control.create()
    key = created.signing_key
    observed["create_status"] = created.http_meta.response.status_code
    observed["created"] = key.model_dump(by_alias=True)
    # The SDK's model has no privateKey: it is read from the raw response, as users must.
    observed["private_key"] = created.http_meta.response.json().get("privateKey")
    observed["listed_ids"] = [k.id for k in client.access_control.get_all().data]
    client.access_control.update(key_id=key.id, request_body={"name": "renamed by sdk"})
    observed["after_rename"] = client.access_control.get(key_id=key.id).signing_key.model_dump(by_alias=True)
    # Key policies are beyond the SDK's model: set over plain HTTP, then read back through the SDK, whose
    # models must still parse keys that carry them (the fields themselves are in the raw response).
    policy = {"expiresAt": 4102444800000, "allowedMedia": ["intro", "course-42-*"], "maxTokenLifetimeSeconds": 600}
    patched = httpx.patch(
        f"{server_url}/access-control/signing-key/{key.id}", json=policy, headers={"Authorization": f"Bearer {api_key}"}
    )
    observed["policy_patch_status"] = patched.status_code
    with_policy = client.access_control.get(key_id=key.id)
    observed["with_policy"] = with_policy.signing_key.model_dump(by_alias=True)
    observed["with_policy_raw"] = with_policy.http_meta.response.json()
    observed["listed_with_policy"] = [
        k.model_dump(by_alias=True) for k in client.access_control.get_all().data if k.id == key.id
    ]
    client.access_control.update(key_id=key.id, request_body={"disabled": True})
    after_disable = client.access_control.get(key_id=key.id)
    observed["after_disable"] = after_disable.signing_key.model_dump(by_alias=True)
    observed["after_disable_raw"] = after_disable.http_meta.response.json()
    # Rotation too (no SDK method), of the now disabled key: the successor, enabled, with the old key's policy
    # but no expiry, parses like any key.
    rotated = httpx.post(
        f"{server_url}/access-control/signing-key/{key.id}/rotate",
        json={"overlapSeconds": 60},
        headers={"Authorization": f"Bearer {api_key}"},
    )
    observed["rotate_status"] = rotated.status_code
    successor = client.access_control.get(key_id=rotated.json()["id"])
    observed["successor_raw"] = successor.http_meta.response.json()
    observed["listed_after_rotation"] = sorted(k.id for k in client.access_control.get_all().data)
    observed["rotated_pair"] = sorted([key.id, successor.signing_key.id])
    client.access_control.delete(key_id=successor.signing_key.id)
    observed["delete_status"] = client.access_control.delete(key_id=key.id).http_meta.response.status_code
    observed["get_deleted_status"] = status_of(lambda: client.access_control.get(key_id=key.id))
    observed["delete_deleted_status"] = status_of(lambda: client.access_control.delete(key_id=key.id))
    wrong = Livepeer(server_url=server_url, api_key="wrong-key")
    observed["wrong_key_status"] = status_of(wrong.access_control.get_all)
    print(json.dumps(observed))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
