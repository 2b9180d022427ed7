"""The official livepeer SDK (own venv) against the runner, in the workspace the FastPix SDK also uses."""

from __future__ import annotations

import base64
import json
import re
import subprocess
from pathlib import Path
from typing import Any

import jwt
import pytest
from fastpix_python import Fastpix, models

from signing_keys import routes
from tests.conformance.conftest import SECRET, TOKEN_ID
from tests.integration.conftest import Runner

FLOW = Path(__file__).with_name("livepeer_flow.py")


@pytest.fixture(scope="module")
def observed(runner: Runner, livepeer_python: Path) -> dict[str, Any]:
    result = subprocess.run(
        [str(livepeer_python), str(FLOW), runner.url, SECRET], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    flow: dict[str, Any] = json.loads(result.stdout)
    return flow


def test_create_returns_200_with_a_usable_es256_private_key(observed: dict[str, Any]) -> None:
    assert observed["create_status"] == 200
    created = observed["created"]
    assert created["disabled"] is False
    assert isinstance(created["createdAt"], float | int)
    private_pem = base64.b64decode(observed["private_key"])
    token = jwt.encode({"sub": "media-1", "exp": 4_000_000_000}, private_pem, algorithm="ES256")
    claims = jwt.decode(token, base64.b64decode(created["publicKey"]), algorithms=["ES256"])
    assert claims["sub"] == "media-1"


def test_get_all_lists_the_new_key(observed: dict[str, Any]) -> None:
    assert observed["created"]["id"] in observed["listed_ids"]


def test_update_renames_then_disables(observed: dict[str, Any]) -> None:
    assert (observed["after_rename"]["name"], observed["after_rename"]["disabled"]) == ("renamed by sdk", False)
    assert (observed["after_disable"]["name"], observed["after_disable"]["disabled"]) == ("renamed by sdk", True)


def test_a_key_with_policies_still_parses_through_the_sdk(observed: dict[str, Any]) -> None:
    # Given a key whose policies were set over plain HTTP (the SDK's update model has no such fields)
    assert observed["policy_patch_status"] == 204
    # Then the SDK's get and list parse it, and the raw response carries the policy in Livepeer's style
    assert observed["with_policy"]["id"] == observed["created"]["id"]
    assert observed["listed_with_policy"] == [observed["with_policy"]]
    raw = observed["with_policy_raw"]
    assert (raw["expiresAt"], raw["allowedMedia"], raw["maxTokenLifetimeSeconds"]) == (
        4_102_444_800_000,
        ["intro", "course-42-*"],
        600,
    )
    # And the SDK's own update (a disable) left the policy as it was
    after_disable = observed["after_disable_raw"]
    assert after_disable["disabled"] is True
    assert {name: after_disable[name] for name in ("expiresAt", "allowedMedia", "maxTokenLifetimeSeconds")} == {
        name: raw[name] for name in ("expiresAt", "allowedMedia", "maxTokenLifetimeSeconds")
    }


def test_a_rotated_keys_successor_is_listed_and_read_through_the_sdk(observed: dict[str, Any]) -> None:
    assert observed["rotate_status"] == 200
    assert set(observed["rotated_pair"]) <= set(observed["listed_after_rotation"])
    successor = observed["successor_raw"]
    assert (successor["allowedMedia"], successor["maxTokenLifetimeSeconds"]) == (["intro", "course-42-*"], 600)
    assert "expiresAt" not in successor and "privateKey" not in successor
    assert successor["disabled"] is False  # the old key was disabled; its successor starts enabled


def test_delete_is_204_and_the_deleted_key_is_the_sdks_404(observed: dict[str, Any]) -> None:
    assert observed["delete_status"] == 204
    assert observed["get_deleted_status"] == 404
    assert observed["delete_deleted_status"] == 404


def test_wrong_api_key_is_the_sdks_401(observed: dict[str, Any]) -> None:
    assert observed["wrong_key_status"] == 401


def test_both_sdks_share_one_workspace(runner: Runner, livepeer_python: Path) -> None:
    # Given a key created through the FastPix SDK
    fastpix = Fastpix(server_url=runner.url, security=models.Security(username=TOKEN_ID, password=SECRET))
    created = fastpix.signing_keys.create_signing_key().data
    assert created is not None and created.id is not None
    # When the livepeer SDK lists and deletes it
    script = (
        "import sys, json\nfrom livepeer import Livepeer\n"
        "c = Livepeer(server_url=sys.argv[1], api_key=sys.argv[2])\n"
        "ids = [k.id for k in c.access_control.get_all().data]\n"
        "c.access_control.delete(key_id=sys.argv[3])\nprint(json.dumps(ids))\n"
    )
    result = subprocess.run(
        [str(livepeer_python), "-c", script, runner.url, SECRET, created.id],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    # Then it saw the key, and the FastPix SDK no longer lists it
    assert created.id in json.loads(result.stdout)
    remaining = fastpix.signing_keys.list_signing_keys(limit=100, offset=1).data or []
    assert created.id not in [k.id for k in remaining]


def test_livepeer_operation_ids_are_the_sdks(livepeer_python: Path) -> None:
    # Given the operation ids the livepeer SDK was generated with
    source = subprocess.run(
        [str(livepeer_python), "-c", "import inspect, livepeer.accesscontrol as m; print(inspect.getsource(m))"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    sdk = set(re.findall(r'operation_id="([^"]+)"', source))
    # Then the Livepeer routes Livepeer has use exactly those (a generated client keeps its method names)
    livepeer = [route for route in routes.ROUTES if route.dialect is routes.Dialect.LIVEPEER]
    assert {route.operation_id for route in livepeer if not route.extension} == sdk
    # And the routes beyond Livepeer use none of them
    assert not {route.operation_id for route in livepeer if route.extension} & sdk
