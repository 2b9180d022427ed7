"""An embedded DynamoDB: moto's server on a loopback port, with requests serialized.

moto evaluates conditions and transactions correctly but not atomically: concurrent requests interleave
inside a transaction, and 50 parallel creates then overrun a limit of 10. One lock around dispatch makes
each request atomic, as DynamoDB's are.
"""

from __future__ import annotations

import threading
from typing import Any

import boto3
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

WSGIApp = Any


class _Serialized:
    def __init__(self, app: WSGIApp) -> None:
        self._app = app
        self._lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        with self._lock:
            # Materialize the body inside the lock: the work happens while the iterable is consumed.
            return list(self._app(environ, start_response))


class _QuietRequestHandler(WSGIRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """The runner logs API requests; the database's own requests would drown them."""


class EmbeddedDynamoDB:
    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        app = _Serialized(DomainDispatcherApplication(create_backend_app))
        self._server: BaseWSGIServer = make_server(host, port, app, threaded=True, request_handler=_QuietRequestHandler)
        self._thread = threading.Thread(target=self._server.serve_forever, name="dynamodb", daemon=True)

    @property
    def endpoint_url(self) -> str:
        return f"http://{self._server.host}:{self._server.port}"

    def start(self) -> EmbeddedDynamoDB:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


def ensure_table(endpoint_url: str | None, definition: dict[str, Any]) -> None:
    """Create the template's table unless it exists already (an external endpoint may have it)."""
    client = boto3.client("dynamodb", endpoint_url=endpoint_url)
    existing = client.list_tables().get("TableNames", [])
    if definition["TableName"] not in existing:
        client.create_table(**definition)
        client.get_waiter("table_exists").wait(TableName=definition["TableName"])
