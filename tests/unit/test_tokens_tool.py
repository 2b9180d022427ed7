"""`python -m signing_keys_tools.tokens sign`: the claims revocations and single-use tokens read."""

from __future__ import annotations

import base64
import json
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


def test_the_json_a_create_call_answered_is_a_key_file_naming_its_key(
    capsys: pytest.CaptureFixture[str], tmp_path: Any
) -> None:
    # Given the answers of both dialects' creates, saved as they came
    pair = keys.generate(Algorithm.ES256)
    encoded = base64.b64encode(pair.private_key_pem.encode()).decode()
    answers = {
        "livepeer": {"id": "kid-lp", "privateKey": encoded},
        "fastpix": {"success": True, "data": {"id": "kid-fp", "privateKey": encoded}},
    }
    for dialect, answer in answers.items():
        key_file = tmp_path / f"{dialect}.json"
        key_file.write_text(json.dumps(answer))
        # When a token is signed with the file alone, Then it names the key the file names
        assert main(["sign", "--key", str(key_file), "--media", "m"]) == 0
        token = capsys.readouterr().out.strip()
        assert jwt.get_unverified_header(token)["kid"] == answer.get("id", answer.get("data", {}).get("id"))


@pytest.mark.parametrize("lifetime", ["0", "-5", str(335 * 86_400)])
def test_a_lifetime_the_server_would_refuse_is_refused_saying_why(
    capsys: pytest.CaptureFixture[str], tmp_path: Any, lifetime: str
) -> None:
    key_file = tmp_path / "key.pem"
    key_file.write_text(keys.generate(Algorithm.ES256).private_key_pem)
    assert main(["sign", "--key", str(key_file), "--kid", "k", "--media", "m", "--lifetime", lifetime]) == 2
    error = capsys.readouterr().err
    assert "MaxTokenLifetimeSeconds" in error and "--max-lifetime" in error


def test_a_deployment_that_allows_longer_lifetimes_says_so(capsys: pytest.CaptureFixture[str], tmp_path: Any) -> None:
    key_file = tmp_path / "key.pem"
    key_file.write_text(keys.generate(Algorithm.ES256).private_key_pem)
    year = str(365 * 86_400)
    flags = ["--lifetime", year, "--max-lifetime", year]
    assert main(["sign", "--key", str(key_file), "--kid", "k", "--media", "m", *flags]) == 0


@pytest.mark.parametrize(
    "content",
    ['{"id": "k", "publicKey": "..."}', "{not json", "not a key at all"],
    ids=["a key without its private half", "broken JSON", "text"],
)
def test_a_file_of_another_format_is_refused_naming_the_formats_expected(
    capsys: pytest.CaptureFixture[str], tmp_path: Any, content: str
) -> None:
    key_file = tmp_path / "key.json"
    key_file.write_text(content)
    assert main(["sign", "--key", str(key_file), "--kid", "k", "--media", "m"]) == 2
    error = capsys.readouterr().err
    assert "PEM private key" in error and "create call" in error
    assert content not in error
