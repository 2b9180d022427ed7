"""A CloudFront KeyValueStore on this machine: what the edge's deny list and secrets live in when the runner plays
CloudFront (docs/edge.md § Local).

One HTTP server answers two clients:
- the functions that write the store (sync, rotation, sweep), through boto3's own `cloudfront-keyvaluestore`
  client pointed here by `AWS_ENDPOINT_URL_CLOUDFRONT_KEYVALUESTORE`: the data-plane operations they use
  (DescribeKeyValueStore, GetKey, PutKey, DeleteKey, ListKeys, UpdateKeys) with the service's ETag concurrency
  (`If-Match`) and its documented limits (key ≤ 512 bytes, value ≤ 1 KB, 5 MB in all);
- the CloudFront Function's `kvs().get(key)` under Node (edge/local_host.mjs): `GET /keys/<key>` → the value, or
  404 when absent, as CloudFront's `get` throws.
Requests are not authenticated (the functions still sign them, as in AWS).
"""

from __future__ import annotations

import json
import socket
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

MAX_KEY_BYTES = 512
MAX_VALUE_BYTES = 1024
MAX_TOTAL_BYTES = 5 * 1024 * 1024
LIST_PAGE_SIZE = 50
_STORES_PREFIX = "/key-value-stores/"
_NODE_PREFIX = "/keys/"


class KvsError(Exception):
    def __init__(self, status: int, error_type: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.error_type = error_type


def _size(key: str, value: str) -> int:
    return len(key.encode("utf-8")) + len(value.encode("utf-8"))


@dataclass
class LocalKeyValueStore:
    arn: str
    items: dict[str, str] = field(default_factory=dict)
    etag: str = field(default_factory=lambda: uuid.uuid4().hex)
    created: datetime = field(default_factory=lambda: datetime.now(UTC))
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def total_bytes(self) -> int:
        return sum(_size(key, value) for key, value in self.items.items())

    def get(self, key: str) -> str | None:
        with self._lock:
            return self.items.get(key)

    def describe(self) -> dict[str, Any]:
        with self._lock:
            return self._summary() | {"KvsARN": self.arn, "Created": self.created.timestamp(), "Status": "READY"}

    def _summary(self) -> dict[str, Any]:
        return {"ItemCount": len(self.items), "TotalSizeInBytes": self.total_bytes}

    def update(self, if_match: str | None, puts: dict[str, str], deletes: list[str]) -> dict[str, Any]:
        """Apply puts and deletes at once, as UpdateKeys does; ConflictException if the ETag moved on."""
        for key, value in puts.items():
            if not key or len(key.encode("utf-8")) > MAX_KEY_BYTES:
                raise KvsError(400, "ValidationException", "key must be 1 to 512 bytes")
            if len(value.encode("utf-8")) > MAX_VALUE_BYTES:
                raise KvsError(400, "ValidationException", "value must be at most 1 KB")
        with self._lock:
            if if_match != self.etag:
                raise KvsError(409, "ConflictException", "the ETag does not match the store's current version")
            missing = [key for key in deletes if key not in self.items]
            if missing:
                raise KvsError(404, "ResourceNotFoundException", "a key to delete does not exist")
            after = {key: value for key, value in self.items.items() if key not in deletes} | puts
            if sum(_size(key, value) for key, value in after.items()) > MAX_TOTAL_BYTES:
                raise KvsError(402, "ServiceQuotaExceededException", "the store would exceed 5 MB")
            self.items = after
            self.etag = uuid.uuid4().hex
            return self._summary()

    def page(self, token: str | None, limit: int) -> tuple[list[tuple[str, str]], str | None]:
        with self._lock:
            ordered = sorted(self.items.items())
        start = int(token) if token and token.isdigit() else 0
        chosen = ordered[start : start + limit]
        following = start + limit
        return chosen, (str(following) if following < len(ordered) else None)


class _Handler(BaseHTTPRequestHandler):
    server: KeyValueStoreServer
    # HTTP/1.0: one request per connection, the fastest setup for the Node host's many small reads.
    protocol_version = "HTTP/1.0"

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the runner logs the requests it serves; these are its own."""

    def _send(self, status: int, body: bytes, content_type: str, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def _json(self, status: int, document: dict[str, Any], etag: str | None = None) -> None:
        headers = {"ETag": etag} if etag else {}
        self._send(status, json.dumps(document).encode(), "application/json", headers)

    def _error(self, error: KvsError) -> None:
        body = json.dumps({"Message": str(error)}).encode()
        self._send(error.status, body, "application/json", {"x-amzn-ErrorType": error.error_type})

    def _route(self) -> tuple[LocalKeyValueStore, str | None, dict[str, list[str]]]:
        """The store a data-plane path names, the key it names (or None), and the query."""
        url = urlsplit(self.path)
        rest = url.path.removeprefix(_STORES_PREFIX)
        arn, _, tail = rest.partition("/keys")
        store = self.server.store
        if unquote(arn) != store.arn:
            raise KvsError(404, "ResourceNotFoundException", "no such key value store")
        key = unquote(tail.removeprefix("/")) if tail.startswith("/") else None
        return store, key, parse_qs(url.query)

    def _answer(self, operation: Callable[[], tuple[int, dict[str, Any] | str | None]]) -> None:
        try:
            status, document = operation()
        except (KeyError, TypeError, ValueError):
            self._error(KvsError(400, "ValidationException", "malformed request"))
            return
        except KvsError as error:
            self._error(error)
            return
        if isinstance(document, dict):
            etag = self.server.store.etag if "ItemCount" in document else None
            self._json(status, document, etag)
        else:
            body = (document or "").encode("utf-8")
            self._send(status, body, "text/plain; charset=utf-8")

    def _get(self) -> tuple[int, dict[str, Any] | str | None]:
        if self.path.startswith(_NODE_PREFIX):
            value = self.server.store.get(unquote(self.path.removeprefix(_NODE_PREFIX)))
            return (404, None) if value is None else (200, value)
        store, key, query = self._route()
        if key is None and not self.path.split("?")[0].endswith("/keys"):
            return 200, store.describe()
        if key is None:
            limit = int(query.get("MaxResults", [str(LIST_PAGE_SIZE)])[0])
            items, following = store.page(query.get("NextToken", [None])[0], limit)
            document: dict[str, Any] = {"Items": [{"Key": k, "Value": v} for k, v in items]}
            if following is not None:
                document["NextToken"] = following
            return 200, document
        value = store.get(key)
        if value is None:
            raise KvsError(404, "ResourceNotFoundException", "no such key")
        return 200, {"Key": key, "Value": value, **store.describe()}

    def _body(self) -> Any:
        length = int(self.headers.get("Content-Length") or 0)
        return json.loads(self.rfile.read(length) or b"{}")

    def _named_key(self) -> tuple[LocalKeyValueStore, str]:
        store, key, _ = self._route()
        if key is None:
            raise KvsError(400, "ValidationException", "the operation needs a key")
        return store, key

    def _put(self) -> tuple[int, dict[str, Any] | str | None]:
        store, key = self._named_key()
        return 200, store.update(self.headers.get("If-Match"), {key: str(self._body()["Value"])}, [])

    def _delete(self) -> tuple[int, dict[str, Any] | str | None]:
        store, key = self._named_key()
        return 200, store.update(self.headers.get("If-Match"), {}, [key])

    def _update_keys(self) -> tuple[int, dict[str, Any] | str | None]:
        store, key, _ = self._route()
        if key is not None:
            raise KvsError(400, "ValidationException", "UpdateKeys names no key")
        document = self._body()
        puts = {str(item["Key"]): str(item["Value"]) for item in document.get("Puts") or []}
        deletes = [str(item["Key"]) for item in document.get("Deletes") or []]
        return 200, store.update(self.headers.get("If-Match"), puts, deletes)

    def do_GET(self) -> None:
        self._answer(self._get)

    def do_PUT(self) -> None:
        self._answer(self._put)

    def do_DELETE(self) -> None:
        self._answer(self._delete)

    def do_POST(self) -> None:
        self._answer(self._update_keys)


class KeyValueStoreServer(ThreadingHTTPServer):
    daemon_threads = True
    # The Node host reads it for every edge request: a burst of hundreds must queue, not be reset.
    request_queue_size = max(128, socket.SOMAXCONN)

    def __init__(self, store: LocalKeyValueStore, host: str = "127.0.0.1", port: int = 0) -> None:
        self.store = store
        super().__init__((host, port), _Handler)
        self._thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> KeyValueStoreServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()
