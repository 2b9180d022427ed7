"""Runs inside the openapi-python-client venv, against a client generated from openapi.json into `PYTHONPATH`:
creates, lists, gets and deletes keys in both dialects through the generated code alone.

Prints one JSON object of what it observed; tests/conformance/test_generated_client.py asserts on it.
Usage: python generated_client_flow.py SERVER_URL SECRET
"""

import datetime
import json
import sys

from signing_keys_client import AuthenticatedClient
from signing_keys_client.api.access_control import (
    create_signing_key as livepeer_create,
)
from signing_keys_client.api.access_control import (
    delete_signing_key as livepeer_delete,
)
from signing_keys_client.api.access_control import (
    get_signing_key as livepeer_get,
)
from signing_keys_client.api.access_control import (
    get_signing_keys as livepeer_list,
)
from signing_keys_client.api.access_control import (
    rotate_signing_key as livepeer_rotate,
)
from signing_keys_client.api.access_control import (
    update_signing_key as livepeer_update,
)
from signing_keys_client.api.signing_keys import (
    create_signing_key as fastpix_create,
)
from signing_keys_client.api.signing_keys import (
    delete_signing_key as fastpix_delete,
)
from signing_keys_client.api.signing_keys import (
    get_signing_key_by_id as fastpix_get,
)
from signing_keys_client.api.signing_keys import (
    list_signing_keys as fastpix_list,
)
from signing_keys_client.api.signing_keys import (
    rotate_signing_key as fastpix_rotate,
)
from signing_keys_client.api.signing_keys import (
    update_signing_key as fastpix_update,
)
from signing_keys_client.models import (
    FastPixUpdateKeyRequest,
    LivepeerCreateKeyRequest,
    LivepeerUpdateKeyRequest,
    RotateKeyRequest,
)

EXPIRES_AT = datetime.datetime(2100, 1, 1, tzinfo=datetime.UTC)


def kind(parsed):
    """The generated model the response was parsed into: the document's schema for that status."""
    return type(parsed).__name__


def fastpix_flow(client):
    observed = {}
    created = fastpix_create.sync_detailed(client=client)
    observed["create"] = [created.status_code, kind(created.parsed)]
    key_id = created.parsed.data.id
    observed["has_private_key"] = bool(created.parsed.data.private_key)
    page = fastpix_list.sync(client=client, limit=10, offset=1)
    observed["list"] = [kind(page), [key.id for key in page.data], page.pagination.total_records]
    detail = fastpix_get.sync(key_id, client=client)
    observed["get"] = [kind(detail), detail.data.signing_key_id]
    policy = FastPixUpdateKeyRequest(expires_at=EXPIRES_AT, allowed_media=["intro"], max_token_lifetime_seconds=600)
    updated = fastpix_update.sync_detailed(key_id, client=client, body=policy)
    shown = updated.parsed.data
    observed["update"] = [updated.status_code, kind(updated.parsed), shown.expires_at, shown.allowed_media]
    rotated = fastpix_rotate.sync_detailed(key_id, client=client, body=RotateKeyRequest(overlap_seconds=0))
    observed["rotate"] = [rotated.status_code, kind(rotated.parsed), rotated.parsed.data.max_token_lifetime_seconds]
    fastpix_delete.sync_detailed(rotated.parsed.data.id, client=client)
    deleted = fastpix_delete.sync_detailed(key_id, client=client)
    observed["delete"] = [deleted.status_code, kind(deleted.parsed)]
    missing = fastpix_get.sync_detailed(key_id, client=client)
    observed["get_deleted"] = [missing.status_code, kind(missing.parsed), missing.parsed.error.code]
    return observed


def livepeer_flow(client):
    observed = {}
    created = livepeer_create.sync_detailed(client=client, body=LivepeerCreateKeyRequest(name="generated"))
    observed["create"] = [created.status_code, kind(created.parsed), created.parsed.name]
    key_id = created.parsed.id
    observed["has_private_key"] = bool(created.parsed.private_key)
    listed = livepeer_list.sync(client=client)
    observed["list"] = [kind(item) for item in listed if item.id == key_id]
    updated = livepeer_update.sync_detailed(key_id, client=client, body=LivepeerUpdateKeyRequest(disabled=True))
    observed["update"] = updated.status_code
    fetched = livepeer_get.sync(key_id, client=client)
    observed["get"] = [kind(fetched), fetched.id, fetched.disabled]
    rotated = livepeer_rotate.sync_detailed(key_id, client=client)
    observed["rotate"] = [
        rotated.status_code,
        kind(rotated.parsed),
        rotated.parsed.name,
        bool(rotated.parsed.private_key),
    ]
    livepeer_delete.sync_detailed(rotated.parsed.id, client=client)
    observed["delete"] = livepeer_delete.sync_detailed(key_id, client=client).status_code
    missing = livepeer_get.sync_detailed(key_id, client=client)
    observed["get_deleted"] = [missing.status_code, kind(missing.parsed), missing.parsed.errors]
    return observed


def main(server_url, secret):
    # raise_on_unexpected_status: an answer the document does not declare fails the flow.
    client = AuthenticatedClient(base_url=server_url, token=secret, raise_on_unexpected_status=True)
    print(json.dumps({"fastpix": fastpix_flow(client), "livepeer": livepeer_flow(client)}))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
