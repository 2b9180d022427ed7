"""A method a resource does not serve is 405 with `Allow`, in the dialect's error shape."""

from __future__ import annotations

import pytest

from tests.support import LocalApi, basic

KEY = "00000000-0000-8000-8000-000000000000"


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("PUT", "/iam/signing-keys", "GET, POST"),
        ("PUT", f"/iam/signing-keys/{KEY}", "GET, PATCH, DELETE"),
        ("GET", f"/iam/signing-keys/{KEY}/rotate", "POST"),
        ("DELETE", f"/access-control/signing-key/{KEY}/rotate", "POST"),
        ("DELETE", "/access-control/signing-key", "GET, POST"),
        ("POST", f"/access-control/signing-key/{KEY}", "GET, PATCH, DELETE"),
        ("DELETE", "/workspaces/ws-a/playback/media-1", "GET"),
        ("POST", "/workspaces/ws-a/jwks.json", "GET"),
        ("PUT", "/revocations", "GET, POST"),
        ("GET", f"/revocations/{KEY}", "DELETE"),
    ],
)
def test_unserved_method_is_405_with_allow(api: LocalApi, method: str, path: str, allow: str) -> None:
    reply = api.request(method, path, authorization=basic(api.credential()))
    assert reply.status == 405
    assert reply.headers["allow"] == allow
    body = reply.json()
    if path.startswith("/access-control/"):
        assert body == {"errors": ["method not allowed"]}
    else:
        assert body["error"]["code"] == 405
