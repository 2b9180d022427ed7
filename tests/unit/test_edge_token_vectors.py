"""Python mints, the Function accepts: tokens from the reference implementation (signing_keys.edge_tokens), in
events from the runner's builder, run through edge/viewer_request.js under Node.js (edge/test/vectors.json)."""

from __future__ import annotations

import json
import shutil
import subprocess
from typing import Any

import pytest

from tests.conftest import ROOT
from tests.edge_vectors import VECTORS_PATH, build_vectors, render

NODE = shutil.which("node")
pytestmark = pytest.mark.skipif(NODE is None, reason="Node.js is not installed: the Function runs under it")
VECTORS = build_vectors()["vectors"]


def test_the_checked_in_vectors_are_what_the_reference_mints_today() -> None:
    # A stale file would test yesterday's tokens: regenerate with `make edge-vectors`.
    assert VECTORS_PATH.read_text(encoding="utf-8") == render(build_vectors())


@pytest.fixture(scope="module")
def verdicts() -> dict[str, dict[str, Any]]:
    assert NODE is not None
    run = subprocess.run(
        [NODE, str(ROOT / "edge" / "support" / "vectors.mjs"), str(VECTORS_PATH)],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return {entry["name"]: entry["result"] for entry in json.loads(run.stdout)}


@pytest.mark.parametrize("vector", VECTORS, ids=[vector["name"] for vector in VECTORS])
def test_the_function_gives_a_python_minted_token_its_contract_verdict(
    vector: dict[str, Any], verdicts: dict[str, dict[str, Any]]
) -> None:
    result = verdicts[vector["name"]]
    if "uri" in vector["expect"]:
        assert (result.get("uri"), result.get("querystring")) == (vector["expect"]["uri"], {})
    else:
        assert (result.get("statusCode"), result["body"]["data"]) == (403, f"Forbidden: {vector['expect']['refused']}")


def test_the_vectors_hold_accepted_and_refused_tokens() -> None:
    kinds = {next(iter(vector["expect"])) for vector in VECTORS}
    assert kinds == {"uri", "refused"}
