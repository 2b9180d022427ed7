"""The returned key material works as documented: a JWT signed with it verifies with the returned public key."""

from __future__ import annotations

import base64
import time

import jwt
import pytest

from tests.support import LocalApi, basic, bearer


@pytest.mark.parametrize(
    ("path", "algorithm", "auth"),
    [("/iam/signing-keys", "RS256", basic), ("/access-control/signing-key", "ES256", bearer)],
)
def test_token_signed_with_the_private_key_verifies_with_the_public_key(
    api: LocalApi, path: str, algorithm: str, auth: object
) -> None:
    credential = api.credential()
    authorization = auth(credential)  # type: ignore[operator]
    created = api.request("POST", path, authorization=authorization).json()
    created = created.get("data", created)
    private_pem = base64.b64decode(created["privateKey"])
    token = jwt.encode(
        {"sub": "media-1", "exp": int(time.time()) + 60},
        private_pem,
        algorithm=algorithm,
        headers={"kid": created["id"]},
    )
    detail = api.request("GET", f"/iam/signing-keys/{created['id']}", authorization=basic(credential)).json()
    public_pem = base64.b64decode(detail["data"]["publicKey"])
    claims = jwt.decode(token, public_pem, algorithms=[algorithm])
    assert claims["sub"] == "media-1"
    assert jwt.get_unverified_header(token)["alg"] == algorithm
