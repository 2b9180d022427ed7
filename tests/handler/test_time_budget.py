"""A DynamoDB that accepts connections and never answers: the function answers 503 + Retry-After with time to
spare before its `Timeout`, measured by the invocation's own clock, instead of being killed by Lambda."""

from __future__ import annotations

import json
import os
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from signing_keys_local.events import LambdaContext
from signing_keys_local.examples import example_events
from signing_keys_local.functions import FunctionHost
from signing_keys_local.template import LOCAL_STACK, Template
from tests.conftest import TEMPLATE

pytestmark = pytest.mark.slow  # waits out a real DynamoDB client's timeouts, about 6 s a test

# The store keeps 1 s (signing_keys.budget.RESPONSE_MARGIN_SECONDS) between its last possible DynamoDB attempt
# and the Timeout; half of it is left for a busy machine's late timers, so the bound stays generous.
SPARE_MILLIS = 500


@contextmanager
def silent_dynamodb() -> Iterator[str]:
    """An endpoint that accepts every connection and reads, but never writes a byte back."""
    listener = socket.create_server(("127.0.0.1", 0), backlog=16)
    listener.settimeout(0.1)
    held: list[socket.socket] = []
    stopping = threading.Event()

    def accept() -> None:
        while not stopping.is_set():
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                continue
            held.append(connection)

    acceptor = threading.Thread(target=accept, daemon=True)
    acceptor.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stopping.set()
        acceptor.join()
        for connection in held:
            connection.close()
        listener.close()


@pytest.mark.timeout(60)
@pytest.mark.parametrize(
    ("function", "event_file"),
    [("GetKeyFunction", "get_key"), ("CreateKeyFunction", "create_key")],  # a read, and the create transaction
)
def test_a_dynamodb_that_never_answers_gets_503_well_before_the_timeout(function: str, event_file: str) -> None:
    template = Template(TEMPLATE)
    timeout_seconds = int(template.document["Globals"]["Function"]["Timeout"])
    with silent_dynamodb() as endpoint:
        # Given the function pointed at a DynamoDB that never answers
        os.environ["AWS_ENDPOINT_URL_DYNAMODB"] = endpoint
        handler = FunctionHost(template).handler(function)
        context = LambdaContext(function_name=f"{LOCAL_STACK}-{function}", timeout_seconds=timeout_seconds)
        # When it handles its example event
        response = handler(example_events()[event_file], context)
    # Then it answers 503 with Retry-After in its dialect, with time to spare before Lambda would kill it
    assert response["statusCode"] == 503
    assert response["multiValueHeaders"]["Retry-After"] == ["1"]
    assert json.loads(response["body"])["error"]["code"] == 503
    assert context.get_remaining_time_in_millis() >= SPARE_MILLIS
