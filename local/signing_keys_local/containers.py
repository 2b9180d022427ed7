"""Warm Lambda containers for `start-api`: each function runs in worker processes of its own, one request at a
time per process, concurrency by more processes, each with its own module state, as Lambda's execution
environments are.

A container is forked from a forkserver that has the heavy third-party imports preloaded (boto3, Powertools,
pydantic, cryptography, PyJWT), so a new one costs a fork and the handler's own import, not a cold interpreter.
Nothing of the project is preloaded: `signing_keys` builds its Logger from the environment at import, and the
function's environment must exist before its code is imported. A container is created when every container of
its function is busy, up to `max_containers` per function (`--max-containers`; beyond it requests wait for a
free one), and kept warm afterwards. Containers write to the runner's stdout and stderr.

The function's `Timeout` is enforced: a container still running at its deadline is killed and discarded, and
the invocation fails as Lambda's does (`Sandbox.Timedout`). When the caller gives up first (API Gateway's
integration timeout), the function runs on to its end or its deadline, as it would in Lambda.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import sys
import threading
import time
import uuid
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.context import ForkServerContext, SpawnContext
from pathlib import Path
from typing import Any

from signing_keys_local import dynamodb_calls
from signing_keys_local.functions import (
    LOCAL_ENVIRONMENT,
    CallerGaveUp,
    FunctionTimedOut,
    InvocationFailed,
    context_for,
    load_handler,
)
from signing_keys_local.template import Function, Template

DEFAULT_MAX_CONTAINERS = 4
# Lambda's limit on a function's init phase (importing its code).
INIT_TIMEOUT_SECONDS = 10.0
# Imported once in the forkserver. Each reads no function setting at import: they read the environment when
# their objects are built, which the handler module does after its environment is in place.
PRELOADED = (
    "boto3",
    "botocore.client",
    "aws_lambda_powertools.logging",
    "aws_lambda_powertools.metrics",
    "aws_lambda_powertools.event_handler",
    "aws_lambda_powertools.event_handler.openapi.params",
    "aws_lambda_powertools.utilities.data_classes.api_gateway_authorizer_event",
    "pydantic",
    "cryptography.hazmat.primitives.asymmetric.ec",
    "cryptography.hazmat.primitives.asymmetric.rsa",
    "jwt",
    "signing_keys_local.containers",
)


def _encode(message: dict[str, Any]) -> bytes:
    return json.dumps(message, separators=(",", ":")).encode("utf-8")


def _serve(function: Function, template: Path, environment: dict[str, str], connection: Connection) -> None:
    """A container's life: set the environment, import the handler, then one invocation at a time."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the runner, which stops its containers
    for stream in (sys.stdout, sys.stderr):  # one write per line: other containers share the streams
        stream.reconfigure(line_buffering=True, write_through=False)  # type: ignore[union-attr]
    os.environ.clear()
    os.environ.update(environment)
    dynamodb_calls.record_process_as(function.logical_id, template)
    try:
        _, handler = load_handler(function)
    except Exception as error:
        _tell(connection, _encode({"initError": InvocationFailed.of(error).as_lambda_error()}))
        return
    if not _tell(connection, _encode({"ready": os.getpid()})):
        return
    while True:
        try:
            request = json.loads(connection.recv_bytes())
        except EOFError:
            return  # the runner is gone
        context = context_for(function, aws_request_id=request["requestId"], deadline=request["deadline"])
        try:
            reply: dict[str, Any] = {"result": handler(request["event"], context)}
        except Exception as error:
            reply = {"error": InvocationFailed.of(error).as_lambda_error()}
        try:
            payload = _encode(reply)
        except (TypeError, ValueError):
            # Lambda answers a result it cannot serialize as JSON with a function error.
            payload = _encode({"error": {"errorType": "Runtime.MarshalError", "errorMessage": "Unable to marshal"}})
        if not _tell(connection, payload):
            return


def _tell(connection: Connection, payload: bytes) -> bool:
    """Sends `payload` to the runner; False once the runner is gone (it stopped while this container worked)."""
    try:
        connection.send_bytes(payload)
    except (BrokenPipeError, ConnectionResetError):
        return False
    return True


@dataclass(eq=False)  # held in sets: identity, not value
class _Container:
    process: Any  # multiprocessing's process object for the context in use
    connection: Connection

    def send(self, message: dict[str, Any]) -> None:
        self.connection.send_bytes(_encode(message))

    def reply_within(self, seconds: float) -> dict[str, Any] | None:
        """The container's next message, or None if it has none within `seconds`."""
        if not self.connection.poll(max(0.0, seconds)):
            return None
        try:
            reply: dict[str, Any] = json.loads(self.connection.recv_bytes())
        except (EOFError, OSError):
            return {"exited": True}
        return reply

    def stop(self) -> None:
        self.process.kill()
        self.process.join()
        self.connection.close()


class _Pool:
    """The containers of one function: idle ones are reused, new ones started up to the cap."""

    def __init__(self, function: Function, host: ContainerHost, max_containers: int) -> None:
        self.function = function
        self._host = host
        self._max_containers = max_containers
        self._idle: list[_Container] = []
        self._live: set[_Container] = set()
        self._starting = 0
        self._changed = threading.Condition()

    def acquire(self) -> _Container:
        with self._changed:
            while not self._idle and len(self._live) + self._starting >= self._max_containers:
                self._changed.wait()
            if self._idle:
                return self._idle.pop()  # the most recently used: the warmest
            self._starting += 1
        try:
            container = self._host.start(self.function)
        finally:
            with self._changed:
                self._starting -= 1
                self._changed.notify()
        with self._changed:
            self._live.add(container)
        return container

    def release(self, container: _Container) -> None:
        with self._changed:
            self._idle.append(container)
            self._changed.notify()

    def discard(self, container: _Container) -> None:
        container.stop()
        with self._changed:
            self._live.discard(container)
            self._changed.notify()

    def stop_all(self) -> None:
        with self._changed:
            containers, self._idle = list(self._live), []
            self._live.clear()
        for container in containers:
            container.stop()


def _context() -> ForkServerContext | SpawnContext:
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")  # no fork on this platform: each container starts cold
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(list(PRELOADED))
    return context


class ContainerHost:
    def __init__(self, template: Template, max_containers: int = DEFAULT_MAX_CONTAINERS) -> None:
        if max_containers < 1:
            raise ValueError("max_containers must be at least 1")
        self.functions = template.functions()
        self._template_path = template.path
        self._context = _context()
        self._pools = {logical_id: _Pool(f, self, max_containers) for logical_id, f in self.functions.items()}
        # A variable the template sets for some function belongs to that function alone.
        self._function_scoped = {name for f in self.functions.values() for name in f.environment}

    def environment(self, function: Function) -> dict[str, str]:
        """The container's environment: the runner's (credentials, endpoints), the function's own variables,
        and what Lambda sets for every function."""
        inherited = {name: value for name, value in os.environ.items() if name not in self._function_scoped}
        return {
            **LOCAL_ENVIRONMENT,
            **inherited,
            **function.environment,
            "AWS_LAMBDA_FUNCTION_NAME": function.function_name,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(function.memory_mb),
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_FUNCTION_TIMEOUT": str(int(function.timeout_seconds)),
            "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{function.function_name}",
        }

    def start(self, function: Function) -> _Container:
        """A new container for `function`, its handler imported (init phase); InvocationFailed if that fails."""
        runner_end, container_end = self._context.Pipe()
        process = self._context.Process(
            target=_serve,
            args=(function, self._template_path, self.environment(function), container_end),
            name=f"container-{function.logical_id}",
            daemon=True,
        )
        process.start()
        container_end.close()
        container = _Container(process, runner_end)
        ready = container.reply_within(INIT_TIMEOUT_SECONDS)
        if ready is None or "ready" not in ready:
            container.stop()
            if ready is not None and "initError" in ready:
                raise InvocationFailed.from_lambda_error(ready["initError"])
            raise InvocationFailed("Runtime.InitError", f"init did not complete within {INIT_TIMEOUT_SECONDS:.0f} s")
        return container

    def warm_up(self) -> None:
        """One warm container per function, started side by side; the first init error is raised."""
        failures: list[InvocationFailed] = []

        def warm(pool: _Pool) -> None:
            try:
                pool.release(pool.acquire())
            except InvocationFailed as failure:
                failures.append(failure)

        threads = [threading.Thread(target=warm, args=(pool,)) for pool in self._pools.values()]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if failures:
            raise failures[0]

    def invoke(self, logical_id: str, event: dict[str, Any], *, patience_seconds: float | None = None) -> Any:
        pool = self._pools[logical_id]
        function = pool.function
        container = pool.acquire()
        started = time.monotonic()
        deadline = started + function.timeout_seconds
        # API Gateway may stop waiting before the function's own deadline (its integration timeout).
        gives_up_at = deadline if patience_seconds is None else min(deadline, started + patience_seconds)
        try:
            # The deadline travels as a monotonic instant: CLOCK_MONOTONIC is system-wide where forkserver exists.
            container.send({"event": event, "deadline": deadline, "requestId": str(uuid.uuid4())})
            reply = container.reply_within(gives_up_at - time.monotonic())
        except OSError:
            reply = {"exited": True}  # it died while idle
        if reply is None and gives_up_at < deadline:
            threading.Thread(target=self._finish, args=(pool, container, deadline), daemon=True).start()
            raise CallerGaveUp
        if reply is None:
            pool.discard(container)
            raise FunctionTimedOut(function.timeout_seconds)
        return self._outcome(pool, container, reply)

    @staticmethod
    def _outcome(pool: _Pool, container: _Container, reply: dict[str, Any]) -> Any:
        if "result" in reply:
            pool.release(container)
            return reply["result"]
        if "error" in reply:
            pool.release(container)  # the runtime survives a handler's exception; its container stays warm
            raise InvocationFailed.from_lambda_error(reply["error"])
        pool.discard(container)
        raise InvocationFailed("Runtime.ExitError", "the runtime exited before answering")

    @staticmethod
    def _finish(pool: _Pool, container: _Container, deadline: float) -> None:
        """After the caller gave up: the container is free again when the function ends, or killed at its deadline."""
        reply = container.reply_within(deadline - time.monotonic())
        if reply is None or "exited" in reply:
            pool.discard(container)
        else:
            pool.release(container)

    def close(self) -> None:
        for pool in self._pools.values():
            pool.stop_all()
