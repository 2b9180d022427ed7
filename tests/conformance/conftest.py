"""Both official SDKs against one running local API, sharing one workspace (run by `make conformance`)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.conftest import Runner, start_runner

WORKSPACE, TOKEN_ID, SECRET = "ws-sdk", "tok-sdk", "secret-sdk-0123456789abcdef"
KEY_LIMIT = 4


@pytest.fixture(scope="session")
def runner() -> Iterator[Runner]:
    started = start_runner(
        "--credential", f"{WORKSPACE}:{TOKEN_ID}:{SECRET}", "--parameter-overrides", f"KeyLimit={KEY_LIMIT}"
    )
    yield started
    assert started.stop() == 0


@pytest.fixture(scope="session")
def livepeer_python() -> Path:
    """The livepeer SDK pins pydantic/httpx versions this project cannot share: it has its own venv."""
    configured = os.environ.get("LIVEPEER_PYTHON")
    if not configured:
        pytest.fail("set LIVEPEER_PYTHON to a python with livepeer==0.3.0 installed (make conformance does)")
    return Path(configured)
