"""Both official SDKs against one running local API, sharing one workspace, and a client generated from
openapi.json (run by `make conformance`)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.conftest import Runner, start_runner

WORKSPACE, TOKEN_ID, SECRET = "ws-sdk", "tok-sdk", "secret-sdk-0123456789abcdef"
KEY_LIMIT = 4
# The generated client works in a workspace of its own: the SDKs' tests count the keys in theirs.
GENERATED_CLIENT_CREDENTIAL = ("ws-generated", "tok-generated", "secret-generated-0123456789")


@pytest.fixture(scope="session")
def runner() -> Iterator[Runner]:
    started = start_runner(
        "--credential",
        f"{WORKSPACE}:{TOKEN_ID}:{SECRET}",
        "--credential",
        ":".join(GENERATED_CLIENT_CREDENTIAL),
        "--parameter-overrides",
        f"KeyLimit={KEY_LIMIT}",
    )
    yield started
    assert started.stop() == 0


def _configured_python(variable: str, holding: str) -> Path:
    configured = os.environ.get(variable)
    if not configured:
        pytest.fail(f"set {variable} to a python with {holding} installed (make conformance does)")
    return Path(configured)


@pytest.fixture(scope="session")
def livepeer_python() -> Path:
    """The livepeer SDK pins pydantic/httpx versions this project cannot share: it has its own venv."""
    return _configured_python("LIVEPEER_PYTHON", "livepeer==0.3.0")


@pytest.fixture(scope="session")
def client_python() -> Path:
    """An independent OpenAPI client generator, and the runtime of the client it generates: its own venv."""
    return _configured_python("OPENAPI_CLIENT_PYTHON", "openapi-python-client")
