"""A client generated from openapi.json by an independent generator (openapi-python-client, in its own venv)
creates, lists, gets and deletes keys against the runner in both dialects, every answer parsed into the
model the document declares for its status."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.conformance.conftest import GENERATED_CLIENT_CREDENTIAL
from tests.conftest import ROOT
from tests.integration.conftest import Runner

FLOW = Path(__file__).with_name("generated_client_flow.py")
# No post-generation hooks: the generator would run ruff from PATH, which its venv need not have.
GENERATOR_CONFIG = "post_hooks: []\n"


@pytest.fixture(scope="module")
def generated(client_python: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The client package generated from this repository's openapi.json, in a directory to put on PYTHONPATH."""
    workdir = tmp_path_factory.mktemp("generated")
    config = workdir / "config.yaml"
    config.write_text(GENERATOR_CONFIG, encoding="utf-8")
    result = subprocess.run(
        [
            str(client_python.parent / "openapi-python-client"),
            "generate",
            "--path",
            str(ROOT / "openapi.json"),
            "--meta",
            "none",
            "--output-path",
            str(workdir / "signing_keys_client"),
            "--config",
            str(config),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Warning" not in result.stdout, result.stdout
    return workdir


@pytest.fixture(scope="module")
def observed(runner: Runner, client_python: Path, generated: Path) -> dict[str, Any]:
    _, _, secret = GENERATED_CLIENT_CREDENTIAL
    result = subprocess.run(
        [str(client_python), str(FLOW), runner.url, secret],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "PYTHONPATH": str(generated)},
    )
    assert result.returncode == 0, result.stderr
    flow: dict[str, Any] = json.loads(result.stdout)
    return flow


def test_fastpix_operations_round_trip_through_the_generated_client(observed: dict[str, Any]) -> None:
    fastpix = observed["fastpix"]
    key_id = fastpix["get"][1]
    assert fastpix["create"] == [201, "FastPixCreateKeyResponse"]
    assert fastpix["has_private_key"] is True
    assert fastpix["list"] == ["FastPixListKeysResponse", [key_id], 1]
    assert fastpix["get"] == ["FastPixGetKeyResponse", key_id]
    assert fastpix["update"] == [200, "FastPixGetKeyResponse", "2100-01-01T00:00:00.000Z", ["intro"]]
    assert fastpix["rotate"] == [201, "FastPixCreateKeyResponse", 600]
    assert fastpix["delete"] == [200, "FastPixDeleteKeyResponse"]
    assert fastpix["get_deleted"] == [404, "FastPixError", 404]


def test_livepeer_operations_round_trip_through_the_generated_client(observed: dict[str, Any]) -> None:
    livepeer = observed["livepeer"]
    assert livepeer["create"] == [200, "LivepeerCreatedSigningKey", "generated"]
    assert livepeer["has_private_key"] is True
    assert livepeer["list"] == ["LivepeerSigningKey"]
    assert livepeer["update"] == 204
    assert livepeer["get"][0::2] == ["LivepeerSigningKey", True]
    assert livepeer["rotate"] == [200, "LivepeerCreatedSigningKey", "generated", True]
    assert livepeer["delete"] == 204
    assert livepeer["get_deleted"] == [404, "LivepeerError", ["signing key not found"]]
