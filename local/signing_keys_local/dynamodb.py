"""An embedded DynamoDB: moto's server on a loopback port, with requests serialized.

moto evaluates conditions and transactions correctly but not atomically: concurrent requests interleave
inside a transaction, and 50 parallel creates then overrun a limit of 10. One lock around dispatch makes
each request atomic, as DynamoDB's are. While the server runs, `moto_adapter.flat_moto()` keeps moto's
memory and per-request cost flat, and TransactWriteItems honours `ClientRequestToken` (moto ignores it).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import sys
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import boto3
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import ThreadedWSGIServer, WSGIRequestHandler
from werkzeug.test import EnvironBuilder

from signing_keys_local.journal import LIST_TABLES, PUT_ITEM, SCAN, Entry, Journal, changes_state
from signing_keys_local.moto_adapter import flat_moto
from signing_keys_local.server import LISTEN_BACKLOG
from signing_keys_local.template import LOCAL_REGION

WSGIApp = Any
StartResponse = Callable[..., Any]

# DynamoDB remembers a transaction's ClientRequestToken for 10 minutes after the transaction completes.
IDEMPOTENCY_WINDOW_SECONDS = 600.0
_TRANSACT_WRITE_ITEMS = "DynamoDB_20120810.TransactWriteItems"
_MISMATCH_TYPE = "com.amazonaws.dynamodb.v20120810#IdempotentParameterMismatchException"


@dataclass(frozen=True)
class _Answer:
    status: str
    headers: list[tuple[str, str]]
    body: list[bytes]


@dataclass(frozen=True, slots=True)
class _Committed:
    """A committed transaction's receipt: its items' digest and moto's answer body (kept small: one per token)."""

    expires_at: float
    items_digest: bytes
    body: bytes

    def replay(self) -> _Answer:
        headers = [("Content-Type", "application/x-amz-json-1.0"), ("Content-Length", str(len(self.body)))]
        return _Answer("200 OK", headers, [self.body])


class _Serialized:
    """moto's WSGI app, one request at a time, with DynamoDB's idempotent transaction retries; each write it
    applies is appended to the journal, if there is one, before the next request runs."""

    def __init__(
        self, app: WSGIApp, clock: Callable[[], float] = time.monotonic, journal: Journal | None = None
    ) -> None:
        self._app = app
        self._clock = clock
        self._lock = threading.Lock()
        self._committed: OrderedDict[str, _Committed] = OrderedDict()  # by token, oldest first
        self.journal = journal

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        target = str(environ.get("HTTP_X_AMZ_TARGET", ""))
        journaled = self.journal is not None and changes_state(target)
        payload = None
        # (an SDK always sends the length; without one moto answers the request itself)
        if (journaled or target == _TRANSACT_WRITE_ITEMS) and environ.get("CONTENT_LENGTH", "").isdigit():
            payload = environ["wsgi.input"].read(int(environ["CONTENT_LENGTH"]))
            environ["wsgi.input"] = io.BytesIO(payload)
        with self._lock:
            if target == _TRANSACT_WRITE_ITEMS and payload is not None:
                answer, applied = self._transact(environ, start_response, payload)
            else:
                answer = self._run(environ, start_response)
                applied = answer.status.startswith("200")
            if journaled and applied and payload is not None:
                self._write_down(target, environ, payload)
        return answer.body

    def _write_down(self, target: str, environ: dict[str, Any], payload: bytes) -> None:
        assert self.journal is not None
        try:
            body = json.loads(payload)
        except ValueError:
            return  # moto answered it 200 without a body to apply (nothing to replay)
        if isinstance(body, dict):
            self.journal.append(Entry(target, _region_of(environ), body))

    def _run(self, environ: dict[str, Any], start_response: StartResponse) -> _Answer:
        started: list[tuple[str, list[tuple[str, str]]]] = []

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            started.append((status, headers))
            return start_response(status, headers, exc_info)

        # Materialize the body inside the lock: the work happens while the iterable is consumed.
        body = list(self._app(environ, capture))
        status, headers = started[-1]
        return _Answer(status, headers, body)

    def _transact(self, environ: dict[str, Any], start_response: StartResponse, payload: bytes) -> tuple[_Answer, bool]:
        """The transaction's answer, and whether it was applied now (a retry of a committed one is not)."""
        token, items_digest = _token_and_items(payload)
        if token is None:
            answer = self._run(environ, start_response)
            return answer, answer.status.startswith("200")
        now = self._clock()
        while self._committed and next(iter(self._committed.values())).expires_at <= now:
            self._committed.popitem(last=False)
        known = self._committed.get(token)
        if known is not None:
            answer = known.replay() if known.items_digest == items_digest else _mismatch()
            start_response(answer.status, answer.headers)
            return answer, False
        answer = self._run(environ, start_response)
        if not answer.status.startswith("200"):
            return answer, False
        # Only a committed transaction makes its token a receipt; a cancelled one may be retried.
        expires_at = self._clock() + IDEMPOTENCY_WINDOW_SECONDS
        self._committed[token] = _Committed(expires_at, items_digest, b"".join(answer.body))
        return answer, True

    # -- the journal at start ---------------------------------------------------------------------------------
    def call(self, target: str, region: str, body: dict[str, Any]) -> tuple[str, Any]:
        """One request straight to moto, as an SDK would send it (never journaled): its status and JSON answer."""
        environ = EnvironBuilder(
            method="POST",
            path="/",
            headers=[
                ("Host", "127.0.0.1"),
                ("X-Amz-Target", target),
                ("Content-Type", "application/x-amz-json-1.0"),
                # moto reads the region (and the service) from the credential scope; nothing checks the signature.
                (
                    "Authorization",
                    f"AWS4-HMAC-SHA256 Credential=local/20000101/{region}/dynamodb/aws4_request, "
                    "SignedHeaders=host, Signature=0",
                ),
            ],
            data=json.dumps(body),
        ).get_environ()
        with self._lock:
            answer = self._run(environ, lambda *_: None)
        return answer.status, json.loads(b"".join(answer.body) or b"null")

    def restore(self, journal: Journal) -> None:
        """Replay `journal`, then compact it."""
        # A journal may hold what an earlier runner wrote down and this one would not (another service's calls).
        entries = [entry for entry in journal.entries() if changes_state(entry.target)]
        for entry in entries:
            status, answer = self.call(entry.target, entry.region, entry.body)
            if not status.startswith("200"):
                # It succeeded when written: a moto upgrade may judge it differently. Say so, and go on.
                print(f"journal: {entry.target} no longer applies ({answer})", file=sys.stderr, flush=True)
        tables = [entry for entry in entries if not entry.is_item_write]
        items = [put for region in {e.region for e in tables} for put in self._every_item(region)]
        journal.replace(iter([*tables, *items]))

    def _every_item(self, region: str) -> Iterator[Entry]:
        _, listed = self.call(LIST_TABLES, region, {})
        for table in listed.get("TableNames", []):
            request: dict[str, Any] = {"TableName": table}
            while True:
                _, page = self.call(SCAN, region, request)
                for item in page.get("Items", []):
                    yield Entry(PUT_ITEM, region, {"TableName": table, "Item": item})
                if "LastEvaluatedKey" not in page:
                    break
                request["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def _region_of(environ: dict[str, Any]) -> str:
    """The region in a SigV4 credential scope (`Credential=KEY/DATE/REGION/dynamodb/aws4_request`)."""
    scope = str(environ.get("HTTP_AUTHORIZATION", "")).split(",")[0].split("/")
    return scope[2] if len(scope) == 5 else LOCAL_REGION


def _token_and_items(payload: bytes) -> tuple[str | None, bytes]:
    """The request's ClientRequestToken and a digest of its TransactItems (what a retry must repeat)."""
    try:
        request = json.loads(payload)
    except ValueError:
        return None, b""  # moto answers the malformed request itself
    if not isinstance(request, dict) or not isinstance(request.get("ClientRequestToken"), str):
        return None, b""
    items = json.dumps(request.get("TransactItems"), sort_keys=True, separators=(",", ":"))
    return request["ClientRequestToken"], hashlib.sha256(items.encode("utf-8")).digest()


def _mismatch() -> _Answer:
    body = json.dumps(
        {"__type": _MISMATCH_TYPE, "message": "ClientRequestToken was used with different TransactItems"}
    ).encode("utf-8")
    headers = [("Content-Type", "application/x-amz-json-1.0"), ("Content-Length", str(len(body)))]
    return _Answer("400 Bad Request", headers, [body])


class _QuietRequestHandler(WSGIRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """The runner logs API requests; the database's own requests would drown them."""


class PortUnavailable(Exception):
    """The embedded DynamoDB cannot listen on the port asked for (werkzeug would print and exit instead)."""

    def __init__(self, error: OSError) -> None:
        super().__init__(error.strerror)
        self.errno = error.errno
        self.strerror = error.strerror


class _Server(ThreadedWSGIServer):
    request_queue_size = LISTEN_BACKLOG  # werkzeug's 128 would reset connections under a burst

    def server_bind(self) -> None:
        try:
            super().server_bind()
        except OSError as error:
            raise PortUnavailable(error) from None


class EmbeddedDynamoDB:
    """moto's server on 127.0.0.1; with a `journal`, its writes survive a restart (journal.py)."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        clock: Callable[[], float] = time.monotonic,
        journal: Journal | None = None,
    ) -> None:
        self._app = _Serialized(DomainDispatcherApplication(create_backend_app), clock)
        self._journal = journal
        self._server = _Server(host, port, self._app, handler=_QuietRequestHandler)
        # A short poll: stopping waits for the loop's next look at its shutdown flag (0.5 s by default).
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="dynamodb", daemon=True
        )
        self._adapted = contextlib.ExitStack()

    @property
    def endpoint_url(self) -> str:
        return f"http://{self._server.host}:{self._server.port}"

    def start(self) -> EmbeddedDynamoDB:
        self._adapted.enter_context(flat_moto())
        if self._journal is not None:
            # Before the server takes requests, and before journaling starts: replaying writes nothing down.
            self._app.restore(self._journal)
            self._app.journal = self._journal
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
        self._adapted.close()
        if self._journal is not None:
            self._journal.close()


def ensure_table(endpoint_url: str | None, definition: dict[str, Any]) -> None:
    """Create the template's table unless it exists already (an external endpoint may have it)."""
    client = boto3.client("dynamodb", endpoint_url=endpoint_url)
    existing = client.list_tables().get("TableNames", [])
    if definition["TableName"] not in existing:
        client.create_table(**definition)
        client.get_waiter("table_exists").wait(TableName=definition["TableName"])
