"""Shared by unit and integration tests: a clean, offline AWS environment for every test."""

from __future__ import annotations

import functools
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import botocore.loaders
import botocore.session
import pytest

from signing_keys_local.template import Template

if TYPE_CHECKING:
    from tests.support import ClientHooks

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "template.yaml"
# Lambda sets the environment before the code is imported; Powertools reads it at import.
for _name, _value in Template(TEMPLATE).global_environment().items():
    if _name.startswith("POWERTOOLS_") and _name != "POWERTOOLS_LOG_LEVEL":
        os.environ.setdefault(_name, _value)
# What must never show up in a log line or the table: PEM armour, its base64, a JWT.
SECRET_MARKERS = ("-----BEGIN", "LS0tLS1CRUdJTi", "eyJ")
# moto's mock gives every test a new boto3 session, and each session would parse botocore's service models
# again (about 70 ms for a session's first client). The models are read-only data: one loader serves the run.
botocore.session.create_loader = functools.cache(botocore.loaders.create_loader)


@pytest.fixture(autouse=True)
def offline_aws_environment() -> Iterator[None]:
    """Fake credentials and no endpoint overrides, restored afterwards (handlers add their own variables)."""
    saved = dict(os.environ)
    for name in list(os.environ):
        if name.startswith(("AWS_", "POWERTOOLS_")) or name in {"TABLE_NAME", "KEY_LIMIT"}:
            del os.environ[name]
    os.environ.update(
        {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        }
    )
    yield
    os.environ.clear()
    os.environ.update(saved)


@pytest.fixture
def client_hooks() -> Iterator[ClientHooks]:
    """botocore hooks for this test on every client of the in-process handlers and of `tests.support`
    (`client_hooks.register("before-call.dynamodb", hook)`, as on a session's `events`); removed afterwards."""
    from tests.support import CLIENT_HOOKS

    yield CLIENT_HOOKS
    CLIENT_HOOKS.clear()
