"""`python -m signing_keys_tools.tokens sign`: the claims revocations and single-use tokens read."""

from __future__ import annotations

from typing import Any

import jwt
import pytest

from signing_keys import keys
from signing_keys.models import Algorithm
from signing_keys_tools.tokens import main


def minted(capsys: pytest.CaptureFixture[str], tmp_path: Any, *flags: str) -> dict[str, Any]:
    key_file = tmp_path / "key.pem"
    key_file.write_text(keys.generate(Algorithm.ES256).private_key_pem)
    assert main(["sign", "--key", str(key_file), "--kid", "k", "--media", "m", *flags]) == 0
    claims: dict[str, Any] = jwt.decode(capsys.readouterr().out.strip(), options={"verify_signature": False})
    return claims


def test_jti_and_viewer_become_claims(capsys: pytest.CaptureFixture[str], tmp_path: Any) -> None:
    claims = minted(capsys, tmp_path, "--jti", "order-1234", "--viewer", "viewer-7")
    assert (claims["jti"], claims["viewer"]) == ("order-1234", "viewer-7")
    assert "single_use" not in claims


def test_a_single_use_token_gets_a_jti_of_its_own_unless_given_one(
    capsys: pytest.CaptureFixture[str], tmp_path: Any
) -> None:
    # Given two single-use tokens minted without --jti, and one with it
    first, second = minted(capsys, tmp_path, "--single-use"), minted(capsys, tmp_path, "--single-use")
    named = minted(capsys, tmp_path, "--single-use", "--jti", "once")
    # Then each carries single_use and a jti: distinct random ones, or the one given
    assert first["single_use"] is second["single_use"] is named["single_use"] is True
    assert first["jti"] != second["jti"]
    assert named["jti"] == "once"


def test_a_plain_token_names_no_jti_or_viewer(capsys: pytest.CaptureFixture[str], tmp_path: Any) -> None:
    assert {"jti", "viewer", "single_use"}.isdisjoint(minted(capsys, tmp_path))
