"""The HTTP front: a threading server that hands each request to the Gateway and logs one line for it.

It refuses what API Gateway refuses before any route is matched, in the gateway's own response shape:
a request line plus header values over API Gateway's 10,240-byte quota, a body over 10 MB. It frames bodies
strictly (Content-Length, or `Transfer-Encoding: chunked` decoded), so that no part of a body can ever be read
as a further request on the connection, and answers a malformed request line, header block or body framing
with a 400 and a closed connection.

What a client controls never grows the runner without bound: at most `max_connections` connections are served
at once (more wait in the listen backlog, held by the kernel, until one closes); a request must arrive whole,
head and body, within `request_timeout` seconds of its first byte (else 408 and a closed connection); and the
bodies held at once, from the first byte read until the answer is sent, total at most MAX_BODY_BYTES_IN_FLIGHT
(a body beyond that is read and dropped, never kept, and answered with the gateway's THROTTLED 429).
"""

from __future__ import annotations

import http.client
import io
import json
import re
import socket
import sys
import threading
import time
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from signing_keys_local.edge import EDGE_PREFIX, LocalEdge, redacted
from signing_keys_local.gateway import MAX_PAYLOAD_BYTES, Gateway, GatewayResult, problem

# Python's default backlog of 5 reset 15-26 of 50 simultaneous clients (issue 12); API Gateway resets none.
LISTEN_BACKLOG = max(128, socket.SOMAXCONN)
# API Gateway's quota on the combined size of the request line and the header values (REST APIs; the regional
# URL quota is the same 10,240, so a longer URL is refused by this one rule).
MAX_HEAD_BYTES = 10_240
# What the runner reads of a header block before refusing it unparsed: room for the header names on top.
_MAX_HEAD_READ_BYTES = 2 * MAX_HEAD_BYTES
_MAX_CHUNK_LINE_BYTES = 1024
# A connection that sends nothing for this long between requests is closed.
IDLE_TIMEOUT_SECONDS = 60
# A request (head and body) must arrive whole this long after its first byte: a client sending a byte now and
# then (slowloris) is cut here, not kept for as long as it likes. 30 s is API Gateway's own integration limit,
# so a deployed client that sends its request within the time the API may take to answer is never cut.
DEFAULT_REQUEST_TIMEOUT_SECONDS = 30.0
# Connections served at once; each is a thread. More wait in the listen backlog until one closes.
DEFAULT_MAX_CONNECTIONS = 128
# Request bodies held at once (each also becomes the event's text and a container's copy): five at API
# Gateway's 10 MB quota.
MAX_BODY_BYTES_IN_FLIGHT = 5 * MAX_PAYLOAD_BYTES
_DRAIN_BYTES = 64 * 1024
_HEADER_LINE = re.compile(rb"[!#$%&'*+.^_`|~0-9A-Za-z-]+:")  # RFC 9110 token, then the colon: no folding
_CHUNK_SIZE = re.compile(rb"[0-9A-Fa-f]{1,8}")
_HTTP_VERSIONS = {"HTTP/1.0", "HTTP/1.1"}


class LocalApiServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = LISTEN_BACKLOG

    def __init__(
        self,
        address: tuple[str, int],
        gateway: Gateway,
        quiet: bool = False,
        documents: dict[str, tuple[str, bytes]] | None = None,
        *,
        max_connections: int = DEFAULT_MAX_CONNECTIONS,
        request_timeout: float = DEFAULT_REQUEST_TIMEOUT_SECONDS,
    ) -> None:
        self.gateway = gateway
        self.quiet = quiet
        self.documents = documents or {}
        # CloudFront in front of the media (`--media-dir`): `/m/...` goes there instead of to the API.
        self.edge: LocalEdge | None = None
        self.request_timeout = request_timeout
        self.body_budget = _BodyBudget(MAX_BODY_BYTES_IN_FLIGHT)
        self._connection_slots = threading.BoundedSemaphore(max_connections)
        super().__init__(address, _RequestHandler)

    def get_request(self) -> tuple[socket.socket, Any]:
        # At the cap, accept nothing: the next connection waits in the kernel's backlog, costing the runner nothing.
        self._connection_slots.acquire()
        try:
            return super().get_request()
        except BaseException:
            self._connection_slots.release()
            raise

    def shutdown_request(self, request: Any) -> None:
        """socketserver calls this exactly once for each connection get_request accepted."""
        try:
            super().shutdown_request(request)
        finally:
            self._connection_slots.release()

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}"

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], ConnectionError):
            return  # the client went away mid-answer: nothing to answer, nothing to report
        super().handle_error(request, client_address)


class _BodyBudget:
    """The request body bytes the runner holds at once, across connections."""

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._held = 0
        self._lock = threading.Lock()

    def reserve(self, size: int) -> bool:
        with self._lock:
            if self._held + size > self._limit:
                return False
            self._held += size
            return True

    def release(self, size: int) -> None:
        with self._lock:
            self._held -= size


class _DeadlinePassed(Exception):
    """The request did not arrive whole within the server's request_timeout."""


class _DeadlineReader(socket.SocketIO):
    """The connection's reads: before a request's first byte, the idle timeout; from it on, each read gets what
    remains of the request's deadline. Writes keep the idle timeout."""

    def __init__(self, connection: socket.socket, request_timeout: float) -> None:
        super().__init__(connection, "rb")
        self._connection = connection
        self._request_timeout = request_timeout
        self._deadline: float | None = None

    def begin_request(self) -> None:
        self._deadline = None  # the clock starts at the next request's first byte

    def readinto(self, buffer: Any) -> int | None:
        if self._deadline is None:
            read = super().readinto(buffer)  # TimeoutError after the idle timeout: http.server closes quietly
            if read:
                self._deadline = time.monotonic() + self._request_timeout
            return read
        remaining = self._deadline - time.monotonic()
        if remaining <= 0:
            raise _DeadlinePassed
        self._connection.settimeout(min(remaining, IDLE_TIMEOUT_SECONDS))
        try:
            return super().readinto(buffer)
        except TimeoutError:
            raise _DeadlinePassed from None
        finally:
            self._connection.settimeout(IDLE_TIMEOUT_SECONDS)


def request_timeout() -> GatewayResult:
    """A request that did not arrive in time. API Gateway has no gateway response for this (its front answers
    it before any API is chosen), so the runner answers 408 in the union error shape of its own."""
    # pydantic and Powertools: loaded by start-api anyway, not at import
    from signing_keys.http_errors import error_body

    body = json.dumps(error_body("", 408, "Request timeout"), separators=(",", ":")).encode("utf-8")
    return GatewayResult(408, [("Content-Type", "application/json")], body)


class _Refused(Exception):
    """The request cannot be served as sent: answer `result` and close the connection."""

    def __init__(self, result: GatewayResult) -> None:
        super().__init__(result.status)
        self.result = result


def printable(text: str) -> str:
    """`text` safe for a terminal: every character outside printable ASCII (and the backslash) escaped."""
    return text.encode("unicode_escape").decode("ascii")


class _RequestHandler(BaseHTTPRequestHandler):
    server: LocalApiServer
    protocol_version = "HTTP/1.1"
    timeout = IDLE_TIMEOUT_SECONDS
    # The head and the body go out in two writes; with Nagle's algorithm the second waits for the client's
    # delayed ACK (~40 ms per response on a keep-alive connection).
    disable_nagle_algorithm = True
    _reader: _DeadlineReader
    _reserved = 0

    def setup(self) -> None:
        super().setup()
        self._reader = _DeadlineReader(self.connection, self.server.request_timeout)
        self.rfile = io.BufferedReader(self._reader)

    def handle_one_request(self) -> None:
        self._started = time.monotonic()
        self.command, self.path, self.request_version, self.requestline = "", "", "HTTP/1.0", ""
        self._reader.begin_request()
        try:
            super().handle_one_request()
        except _DeadlinePassed:
            self.close_connection = True
            self._answer(request_timeout())
        finally:
            self._release_body()

    # -- the request head --------------------------------------------------------------------------------
    def parse_request(self) -> bool:
        """The request line and headers, strictly and within API Gateway's size quota (replaces http.server's)."""
        self.command, self.path, self.request_version = "", "", "HTTP/1.0"
        self.close_connection = True
        self._started = time.monotonic()
        try:
            self._parse_head()
        except _Refused as refused:
            self._answer(refused.result)
            return False
        connection = self.headers.get("Connection", "").lower()
        http_1_0 = self.request_version == "HTTP/1.0"
        self.close_connection = connection == "close" or (http_1_0 and connection != "keep-alive")
        if self.headers.get("Expect", "").lower() == "100-continue" and not http_1_0:
            return self.handle_expect_100()
        return True

    def _parse_head(self) -> None:
        self.requestline = str(self.raw_requestline, "iso-8859-1").rstrip("\r\n")
        if len(self.requestline) > MAX_HEAD_BYTES:
            raise _Refused(self.server.gateway.gateway_response("REQUEST_TOO_LARGE"))
        words = self.requestline.split(" ")
        if len(words) != 3 or not words[0] or not words[1]:
            raise _Refused(problem(400, "malformed request line"))
        self.command, self.path, version = words
        if version not in _HTTP_VERSIONS:
            raise _Refused(problem(505 if version.startswith("HTTP/") else 400, "unsupported HTTP version"))
        self.request_version = version
        block = self._read_header_block(_MAX_HEAD_READ_BYTES - len(self.raw_requestline))
        try:
            self.headers = http.client.parse_headers(io.BytesIO(block), _class=self.MessageClass)
        except http.client.HTTPException:  # more than http.client's 100 headers
            raise _Refused(self.server.gateway.gateway_response("REQUEST_TOO_LARGE")) from None
        if len(self.requestline) + sum(len(value) for value in self.headers.values()) > MAX_HEAD_BYTES:
            raise _Refused(self.server.gateway.gateway_response("REQUEST_TOO_LARGE"))

    def _read_header_block(self, budget: int) -> bytes:
        lines: list[bytes] = []
        size = 0
        while True:
            line = self.rfile.readline(budget - size + 1)
            size += len(line)
            if size > budget:
                raise _Refused(self.server.gateway.gateway_response("REQUEST_TOO_LARGE"))
            if line in (b"\r\n", b"\n"):
                return b"".join([*lines, line])
            content = line.removesuffix(b"\n").removesuffix(b"\r")
            # A bare CR or NUL inside a line would split it differently in another parser (smuggling).
            if not line.endswith(b"\n") or not _HEADER_LINE.match(line) or b"\r" in content or b"\0" in content:
                raise _Refused(problem(400, "malformed header block"))
            lines.append(line)

    # -- the body ----------------------------------------------------------------------------------------
    def _read_body(self) -> bytes | None:
        lengths = self.headers.get_all("Content-Length") or []
        codings = self.headers.get_all("Transfer-Encoding") or []
        if codings:
            if lengths:  # both: the classic request-smuggling ambiguity (RFC 9112 section 6.3)
                raise _Refused(problem(400, "both Content-Length and Transfer-Encoding"))
            if [c.strip().lower() for c in ",".join(codings).split(",")] != ["chunked"]:
                raise _Refused(problem(400, "unsupported Transfer-Encoding"))
            return self._read_chunked()
        if len(set(lengths)) > 1 or not all(value.isascii() and value.isdigit() for value in lengths):
            raise _Refused(problem(400, "invalid Content-Length"))
        length = int(lengths[0]) if lengths else 0
        if length > MAX_PAYLOAD_BYTES:
            raise _Refused(self.server.gateway.gateway_response("REQUEST_TOO_LARGE"))
        if length == 0:
            return None
        if not self._reserve(length):
            self._drop(length)
            raise _Refused(self.server.gateway.gateway_response("THROTTLED"))
        return self._read_exactly(length)

    def _reserve(self, size: int) -> bool:
        """Hold `size` more body bytes of the server's budget until this request is answered."""
        if not self.server.body_budget.reserve(size):
            return False
        self._reserved += size
        return True

    def _release_body(self) -> None:
        self.server.body_budget.release(self._reserved)
        self._reserved = 0

    def _drop(self, size: int) -> None:
        """Read `size` body bytes and keep none: the client is answered cleanly once it has sent its request."""
        while size > 0:
            dropped = len(self.rfile.read(min(size, _DRAIN_BYTES)))
            if not dropped:
                raise _Refused(problem(400, "incomplete body"))
            size -= dropped

    def _read_chunked(self) -> bytes:
        body = bytearray()
        received = 0
        over_budget = False
        while True:
            line = self.rfile.readline(_MAX_CHUNK_LINE_BYTES + 1)
            size_field = line.split(b";", 1)[0].strip()  # chunk extensions are ignored, as RFC 9112 allows
            if not line.endswith(b"\n") or not _CHUNK_SIZE.fullmatch(size_field):
                raise _Refused(problem(400, "malformed chunked body"))
            size = int(size_field, 16)
            if size == 0:
                self._read_header_block(_MAX_HEAD_READ_BYTES)  # the trailer section, discarded
                if over_budget:
                    raise _Refused(self.server.gateway.gateway_response("THROTTLED"))
                return bytes(body)
            received += size
            if received > MAX_PAYLOAD_BYTES:
                raise _Refused(self.server.gateway.gateway_response("REQUEST_TOO_LARGE"))
            over_budget = over_budget or not self._reserve(size)
            if over_budget:
                self._drop(size)
            else:
                body += self._read_exactly(size)
            if self.rfile.readline(3) not in (b"\r\n", b"\n"):
                raise _Refused(problem(400, "malformed chunked body"))

    def _read_exactly(self, size: int) -> bytes:
        data = self.rfile.read(size)
        if len(data) != size:
            raise _Refused(problem(400, "incomplete body"))
        return data

    # -- answering ---------------------------------------------------------------------------------------
    def _serve(self) -> None:
        try:
            result = self._dispatch()
        except _Refused as refused:
            result = refused.result
            self.close_connection = True
        self._answer(result)

    def _dispatch(self) -> GatewayResult:
        url = urlsplit(self.path)
        body = self._read_body()
        headers: dict[str, list[str]] = {}
        for name, value in self.headers.items():
            headers.setdefault(name, []).append(value)
        query = parse_qs(url.query, keep_blank_values=True)
        edge = self.server.edge
        if edge is not None and url.path.startswith(EDGE_PREFIX):
            return edge.serve(self.command, url.path, url.query, list(self.headers.items()))
        if self.command == "GET" and url.path in self.server.documents:
            # The runner's own pages (not part of the API): the OpenAPI document and a browsable view of it.
            content_type, document = self.server.documents[url.path]
            return GatewayResult(200, [("Content-Type", content_type)], document)
        return self.server.gateway.handle(
            self.command, url.path, query=query, headers=headers, body=body, source_ip=self.client_address[0]
        )

    def _answer(self, result: GatewayResult) -> None:
        self.send_response(result.status)
        for name, value in result.headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(result.body)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(result.body)
        if not self.server.quiet:
            elapsed = (time.monotonic() - self._started) * 1000
            # Never the query (it may carry a playback token) nor an edge token; nothing that could drive the terminal.
            method, path = printable(self.command or "-"), printable(redacted(urlsplit(self.path).path) or "-")
            # One write per line: the containers share this stream, and print() writes the newline separately.
            sys.stderr.write(f"{method} {path} {result.status} {elapsed:.1f}ms\n")
            sys.stderr.flush()

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """http.server's own refusal of a request line over 64 KB (before parse_request), in the gateway's shape."""
        self.close_connection = True
        self._started = time.monotonic()
        self.command, self.path = "", ""
        if code == HTTPStatus.REQUEST_URI_TOO_LONG:
            self._answer(self.server.gateway.gateway_response("REQUEST_TOO_LARGE"))
        else:
            self._answer(problem(code, message or HTTPStatus(code).phrase))

    def __getattr__(self, name: str) -> Any:
        # Every method goes to the gateway (http.server would answer unknown ones 501 itself): what the
        # template does not route is the gateway's answer, as in API Gateway.
        if name.startswith("do_"):
            return self._serve
        raise AttributeError(name)

    def log_message(self, format: str, *args: Any) -> None:
        """One line per request is printed by _answer; http.server's own lines would repeat it."""
