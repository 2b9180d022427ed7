"""The edge host end to end, as the runner will use it: the deployed Function under Node.js, reading a
KeyValueStore over HTTP (here a small Python stand-in for the runner's), fed events from the runner's builder."""

from __future__ import annotations

import json
import shutil
import threading
import time
import urllib.parse
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from signing_keys.edge_tokens import EdgeSession, mint
from signing_keys_local.edge_host import EdgeHost, EdgeHostError, viewer_request_event

pytestmark = pytest.mark.skipif(shutil.which("node") is None, reason="Node.js is not installed: the host runs on it")

SECRET_ID = "9b1deb4d-3b7d-4bad-9bdd-2b0d7b3dcb6d"
SECRET = "q3Zs8LwVb0NxEr5TyUi2OpAk7SdFg4HjK1lZxC9vBnM"
KEY_ID = "5f2b7c1e-9a3d-8b4e-8c6f-1d2e3f4a5b6c"
VIEWER_REVOCATION_ID = "8e6c4a2f-1d3b-8f5e-b7a9-0c2e4a6c8e0f"


class Kvs(ThreadingHTTPServer):
    """GET /keys/<urlencoded key> → 200 with the value, 404 when absent; `failing` answers 500 to everything."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _KvsHandler)
        self.entries: dict[str, str] = {f"s:{SECRET_ID}": SECRET}
        self.failing = False

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _KvsHandler(BaseHTTPRequestHandler):
    server: Kvs

    def do_GET(self) -> None:
        key = urllib.parse.unquote(self.path.removeprefix("/keys/"))
        value = self.server.entries.get(key)
        status = 500 if self.server.failing else 404 if value is None else 200
        body = (value or "").encode() if status == 200 else b""
        self.send_response(status)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        return None


@pytest.fixture(scope="module")
def kvs() -> Iterator[Kvs]:
    server = Kvs()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def host(kvs: Kvs) -> Iterator[EdgeHost]:
    with EdgeHost.start(kvs.url) as started:
        yield started


def request_for(media: str = "clip-1", *, signed_media: str = "clip-1") -> dict[str, Any]:
    now = int(time.time())
    session = EdgeSession(SECRET_ID, KEY_ID, now + 600, now - 60, now - 120, None, VIEWER_REVOCATION_ID)
    token = mint(session, workspace_id="acme", media_id=signed_media, secret=SECRET)
    return viewer_request_event("GET", f"/m/acme/{media}/{token}/hls/index.m3u8", "t=1", [("Host", "localhost")])


def test_a_valid_token_is_rewritten_to_the_media_file(host: EdgeHost) -> None:
    result = host.invoke(request_for())
    assert (result["uri"], result["querystring"]) == ("/acme/clip-1/hls/index.m3u8", {})


def test_a_token_for_another_media_is_refused(host: EdgeHost) -> None:
    result = host.invoke(request_for("clip-2"))
    assert (result["statusCode"], result["body"]["data"]) == (403, "Forbidden: signature")


def test_a_viewer_revoked_in_the_kvs_is_refused(host: EdgeHost, kvs: Kvs) -> None:
    # Given the runner's KeyValueStore holds a revocation of the token's viewer
    kvs.entries[f"r:{VIEWER_REVOCATION_ID}"] = json.dumps({"until": int(time.time()) + 60})
    try:
        # When the request arrives, then the Function refuses it
        result = host.invoke(request_for())
    finally:
        del kvs.entries[f"r:{VIEWER_REVOCATION_ID}"]
    assert (result["statusCode"], result["body"]["data"]) == (403, "Forbidden: revoked")


def test_concurrent_invocations_from_many_threads_each_get_their_own_answer(host: EdgeHost) -> None:
    events = [request_for("clip-1" if i % 2 else "clip-2") for i in range(120)]
    with ThreadPoolExecutor(max_workers=32) as pool:
        results = list(pool.map(host.invoke, events))
    assert [("uri" in result) for result in results] == [bool(i % 2) for i in range(120)]


def test_a_failing_kvs_is_an_error_never_a_verdict(host: EdgeHost, kvs: Kvs) -> None:
    kvs.failing = True
    try:
        with pytest.raises(EdgeHostError, match="answered 500: the KeyValueStore answered 500"):
            host.invoke(request_for())
    finally:
        kvs.failing = False


def test_the_host_is_gone_once_closed(kvs: Kvs) -> None:
    started = EdgeHost.start(kvs.url)
    started.close()
    assert not started.running


def test_a_host_that_cannot_start_says_so(kvs: Kvs) -> None:
    with pytest.raises(EdgeHostError, match="could not start"):
        EdgeHost.start(kvs.url, node="/nonexistent/node")
