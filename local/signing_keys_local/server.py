"""The HTTP front: a threading server that hands each request to the Gateway and logs one line for it."""

from __future__ import annotations

import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from signing_keys_local.gateway import MAX_PAYLOAD_BYTES, Gateway, GatewayResult, problem


class LocalApiServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(
        self,
        address: tuple[str, int],
        gateway: Gateway,
        quiet: bool = False,
        documents: dict[str, tuple[str, bytes]] | None = None,
    ) -> None:
        self.gateway = gateway
        self.quiet = quiet
        self.documents = documents or {}
        super().__init__(address, _RequestHandler)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}"


class _RequestHandler(BaseHTTPRequestHandler):
    server: LocalApiServer
    protocol_version = "HTTP/1.1"

    def _serve(self) -> None:
        started = time.monotonic()
        result = self._dispatch()
        self.send_response(result.status)
        for name, value in result.headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(result.body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(result.body)
        if not self.server.quiet:
            elapsed = (time.monotonic() - started) * 1000
            path = urlsplit(self.path).path  # never the query: it may carry a playback token
            print(f"{self.command} {path} {result.status} {elapsed:.1f}ms", file=sys.stderr, flush=True)

    def _dispatch(self) -> GatewayResult:
        url = urlsplit(self.path)
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            return problem(400, "invalid Content-Length")
        if length > MAX_PAYLOAD_BYTES:
            self.close_connection = True
            return self.server.gateway.gateway_response("REQUEST_TOO_LARGE")
        body = self.rfile.read(length) if length > 0 else None
        headers: dict[str, list[str]] = {}
        for name, value in self.headers.items():
            headers.setdefault(name, []).append(value)
        query = parse_qs(url.query, keep_blank_values=True)
        if self.command == "GET" and url.path in self.server.documents:
            # The runner's own pages (not part of the API): the OpenAPI document and a browsable view of it.
            content_type, document = self.server.documents[url.path]
            return GatewayResult(200, [("Content-Type", content_type)], document)
        return self.server.gateway.handle(
            self.command, url.path, query=query, headers=headers, body=body, source_ip=self.client_address[0]
        )

    def __getattr__(self, name: str) -> Any:
        # Every method goes to the gateway (http.server would answer unknown ones 501 itself): what the
        # template does not route is the gateway's answer, as in API Gateway.
        if name.startswith("do_"):
            return self._serve
        raise AttributeError(name)

    def log_message(self, format: str, *args: Any) -> None:
        """One line per request is printed by _serve; http.server's own lines would repeat it."""
