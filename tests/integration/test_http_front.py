"""The runner's HTTP front under hostile framing: chunked bodies, smuggling, API Gateway's size quotas, bad heads."""

from __future__ import annotations

import http.client
import io
import json
import socket

import pytest

from signing_keys_local.template import Template
from tests.conftest import TEMPLATE
from tests.integration.conftest import FRONT_CREDENTIAL, Runner, call

_, _, SECRET = FRONT_CREDENTIAL
KEYS = "/access-control/signing-key"
TOO_LARGE = Template(TEMPLATE).gateway_responses()["REQUEST_TOO_LARGE"]
QUOTA = 10_240  # API Gateway: request line plus header values


class _Recorded(io.BytesIO):
    """Recorded bytes standing in for the socket, so http.client parses the answers exactly as a client would."""

    def makefile(self, mode: str) -> _Recorded:
        return self

    def close(self) -> None:
        """Each answer's reader closes its file when done; the next answer is read from the same bytes."""


def exchange(runner: Runner, data: bytes) -> tuple[list[tuple[int, bytes]], bool]:
    """Send raw bytes; the answers (status, body) in order, and whether the runner then closed the connection."""
    host, port = runner.url.removeprefix("http://").split(":")
    answer = b""
    with socket.create_connection((host, int(port)), timeout=15) as connection:
        connection.sendall(data)
        try:
            while chunk := connection.recv(65536):
                answer += chunk
            closed = True
        except TimeoutError:
            closed = False  # still open after 15 s: it neither answered in full nor hung up
    recorded, answers = _Recorded(answer), []
    while recorded.tell() < len(answer):
        response = http.client.HTTPResponse(recorded)  # type: ignore[arg-type]
        response.begin()
        answers.append((response.status, response.read()))
    return answers, closed


def statuses(answers: list[tuple[int, bytes]]) -> list[int]:
    return [status for status, _ in answers]


def head(method: str, path: str, *headers: str) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: localhost", *headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def create_key(runner: Runner) -> str:
    status, _, body = call(runner, "POST", KEYS, authorization=f"Bearer {SECRET}")
    assert status == 200
    key_id: str = json.loads(body)["id"]
    return key_id


def key_exists(runner: Runner, key_id: str) -> bool:
    return call(runner, "GET", f"{KEYS}/{key_id}", authorization=f"Bearer {SECRET}")[0] == 200


def delete_key(runner: Runner, key_id: str) -> None:
    assert call(runner, "DELETE", f"{KEYS}/{key_id}", authorization=f"Bearer {SECRET}")[0] == 204


# -- chunked bodies and smuggling -------------------------------------------------------------------------
def test_a_chunked_body_is_decoded(runner: Runner) -> None:
    # Given a create whose JSON body arrives in two chunks
    body = b'{"name": "sent in chunks"}'
    chunks = b"%x\r\n%s\r\n%x\r\n%s\r\n0\r\n\r\n" % (10, body[:10], len(body) - 10, body[10:])
    request = head(
        "POST", KEYS, f"Authorization: Bearer {SECRET}", "Content-Type: application/json", "Transfer-Encoding: chunked"
    )
    # When it is sent, followed on the same connection by a request that closes it
    answers, _ = exchange(runner, request + chunks + head("GET", "/", "Connection: close"))
    # Then the key is created with the name from the decoded body, and the next request is answered on its own
    assert statuses(answers) == [200, 404]
    created = json.loads(answers[0][1])
    assert created["name"] == "sent in chunks"
    delete_key(runner, created["id"])


def test_a_request_smuggled_as_a_chunked_body_is_never_executed(runner: Runner) -> None:
    # Given a key, and a chunked POST whose "body" is a complete DELETE of that key, not chunk-framed
    key_id = create_key(runner)
    smuggled = head("DELETE", f"{KEYS}/{key_id}", f"Authorization: Bearer {SECRET}")
    request = head("POST", KEYS, f"Authorization: Bearer {SECRET}", "Transfer-Encoding: chunked") + smuggled
    # When it is sent
    answers, closed = exchange(runner, request)
    # Then the POST is refused as malformed, the connection closed, and the DELETE never ran
    assert (statuses(answers), closed) == ([400], True)
    assert key_exists(runner, key_id)
    delete_key(runner, key_id)


def test_a_request_inside_a_well_framed_chunked_body_stays_body(runner: Runner) -> None:
    # Given a key, and a chunked POST whose one chunk carries a complete DELETE of that key
    key_id = create_key(runner)
    smuggled = head("DELETE", f"{KEYS}/{key_id}", f"Authorization: Bearer {SECRET}")
    chunked = b"%x\r\n%s\r\n0\r\n\r\n" % (len(smuggled), smuggled)
    request = head("POST", KEYS, f"Authorization: Bearer {SECRET}", "Transfer-Encoding: chunked") + chunked
    # When it is sent, followed by a request that closes the connection
    answers, _ = exchange(runner, request + head("GET", "/", "Connection: close"))
    # Then exactly two requests were answered, the POST refused as a bad body, and the key is still there
    assert len(answers) == 2
    assert 400 <= answers[0][0] < 500
    assert key_exists(runner, key_id)
    delete_key(runner, key_id)


@pytest.mark.parametrize(
    "framing",
    [
        ("Content-Length: 2", "Transfer-Encoding: chunked"),
        ("Content-Length: 2", "Content-Length: 3"),
        ("Content-Length: -1",),
        ("Content-Length: 0x10",),
        ("Transfer-Encoding: gzip, chunked",),
        ("Transfer-Encoding: identity",),
    ],
    ids=["length and chunked", "two lengths", "negative length", "hex length", "gzip then chunked", "identity"],
)
def test_an_ambiguous_body_length_is_refused_and_the_connection_closed(runner: Runner, framing: tuple[str]) -> None:
    # When a request frames its body in a way two parsers could read differently
    answers, closed = exchange(runner, head("POST", KEYS, f"Authorization: Bearer {SECRET}", *framing) + b"{}")
    # Then it is a 400 in JSON, and nothing after it is read as a request
    assert (statuses(answers), closed) == ([400], True)
    assert "message" in json.loads(answers[0][1])


def test_a_chunked_body_announcing_more_than_10_mb_is_refused_unread(runner: Runner) -> None:
    request = head("POST", KEYS, f"Authorization: Bearer {SECRET}", "Transfer-Encoding: chunked") + b"A00001\r\n"
    answers, closed = exchange(runner, request)
    assert (statuses(answers), closed) == ([TOO_LARGE.status], True)
    assert json.loads(answers[0][1]) == json.loads(TOO_LARGE.body)


# -- API Gateway's size quota on the request line and header values ---------------------------------------
def padded_head(total: int) -> bytes:
    """A GET whose request line plus header values add up to exactly `total` bytes."""
    fixed = len("GET /iam/signing-keys HTTP/1.1") + len("localhost") + len("close")
    return head("GET", "/iam/signing-keys", "Connection: close", "X-Padding: " + "p" * (total - fixed))


def test_a_head_of_exactly_the_quota_is_served(runner: Runner) -> None:
    answers, _ = exchange(runner, padded_head(QUOTA))
    assert statuses(answers) == [401]  # it reached the route's authorizer: no credential


def test_a_head_one_byte_over_the_quota_gets_the_gateways_413(runner: Runner) -> None:
    answers, closed = exchange(runner, padded_head(QUOTA + 1))
    assert (statuses(answers), closed) == ([TOO_LARGE.status], True)
    assert json.loads(answers[0][1]) == json.loads(TOO_LARGE.body)


@pytest.mark.parametrize("length", [QUOTA, 70_000], ids=["over the quota", "over http.server's 64 KB line"])
def test_a_url_over_the_quota_gets_the_gateways_413(runner: Runner, length: int) -> None:
    answers, closed = exchange(runner, head("GET", "/iam/signing-keys?q=" + "q" * length))
    assert (statuses(answers), closed) == ([TOO_LARGE.status], True)
    assert json.loads(answers[0][1]) == json.loads(TOO_LARGE.body)


def test_header_names_beyond_any_quota_are_refused_unparsed(runner: Runner) -> None:
    # 300 headers with long names and empty values: the values are small, but no gateway reads such a head
    headers = [f"X-{'n' * 100}-{n}:" for n in range(300)]
    answers, closed = exchange(runner, head("GET", "/iam/signing-keys", *headers))
    assert (statuses(answers), closed) == ([TOO_LARGE.status], True)


# -- malformed heads: a 400 and a closed connection, never a hang -----------------------------------------
@pytest.mark.parametrize(
    "request_line",
    [b"GARBAGE", b"GET /", b"GET / HTTP/1.1 extra", b"GET  / HTTP/1.1", b"GET / FTP/1.1"],
    ids=["one word", "no version", "four words", "double space", "not HTTP"],
)
def test_a_malformed_request_line_gets_400_and_a_closed_connection(runner: Runner, request_line: bytes) -> None:
    answers, closed = exchange(runner, request_line + b"\r\nHost: localhost\r\n\r\n")
    assert (statuses(answers), closed) == ([400], True)
    assert "message" in json.loads(answers[0][1])


@pytest.mark.parametrize(
    "header",
    [b"NoColon", b"Name : value", b" folded: continuation", b"X-A: one\rX-B: two", b": no name"],
    ids=["no colon", "space before colon", "obsolete folding", "bare CR", "empty name"],
)
def test_a_malformed_header_block_gets_400_and_a_closed_connection(runner: Runner, header: bytes) -> None:
    request = b"GET /iam/signing-keys HTTP/1.1\r\nHost: localhost\r\n" + header + b"\r\n\r\n"
    answers, closed = exchange(runner, request)
    assert (statuses(answers), closed) == ([400], True)


def test_http_2_is_refused_with_505(runner: Runner) -> None:
    answers, closed = exchange(runner, b"GET / HTTP/2.0\r\nHost: localhost\r\n\r\n")
    assert (statuses(answers), closed) == ([505], True)


# -- the log line -------------------------------------------------------------------------------------------
def test_control_characters_in_the_method_and_path_are_escaped_in_the_log_line(runner: Runner) -> None:
    already = len(runner.lines)
    # When the method and path carry terminal escape sequences, a backspace and DEL
    exchange(runner, head("G\x1b[2JET", "/iam/\x1b]0;pwned\x07signing-keys\x08\x7f", "Connection: close"))
    # Then the log line shows them escaped, and no control character reaches the terminal
    line = runner.wait_for_line(lambda text: "pwned" in text, after=already)
    assert line.startswith("G\\x1b[2JET /iam/\\x1b]0;pwned\\x07signing-keys\\x08\\x7f ")
    assert all(" " <= character <= "~" for character in line.rstrip("\n"))
