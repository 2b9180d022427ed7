"""Runs inside the livepeer SDK's own venv: drives the API with only server_url and the api key.

Prints one JSON object of what it observed; tests/conformance/test_livepeer_sdk.py asserts on it.
Usage: python livepeer_flow.py SERVER_URL API_KEY
"""

import json
import sys

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
    client.access_control.update(key_id=key.id, request_body={"disabled": True})
    observed["after_disable"] = client.access_control.get(key_id=key.id).signing_key.model_dump(by_alias=True)
    observed["delete_status"] = client.access_control.delete(key_id=key.id).http_meta.response.status_code
    observed["get_deleted_status"] = status_of(lambda: client.access_control.get(key_id=key.id))
    observed["delete_deleted_status"] = status_of(lambda: client.access_control.delete(key_id=key.id))
    wrong = Livepeer(server_url=server_url, api_key="wrong-key")
    observed["wrong_key_status"] = status_of(wrong.access_control.get_all)
    print(json.dumps(observed))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
