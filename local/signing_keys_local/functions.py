"""Invoking the template's functions as Lambda does, behind one interface (`FunctionInvoker`).

Two hosts implement it:
- `ContainerHost` (containers.py), for `start-api`: warm containers in worker processes, one request at a time
  each, concurrency by more containers, each with its own module state.
- `FunctionHost` (here): every function in this process, for `invoke`, the in-process API tier (moto's
  `mock_aws` cannot cross processes) and the bench. Functions in one process share Powertools' per-request
  state (`BaseRouter.current_event` is a class attribute, Logger keys and the Metrics buffer are global), so it
  runs one invocation at a time, whatever the function: no request can see another's state.
"""

from __future__ import annotations

import importlib.util
import os
import threading
import time
import traceback
from collections.abc import Callable
from types import ModuleType
from typing import Any, Protocol

from signing_keys_local import dynamodb_calls
from signing_keys_local.events import LambdaContext
from signing_keys_local.template import Function, Template

LambdaHandler = Callable[[dict[str, Any], Any], Any]

# What `sam local` sets, so Powertools behaves as it does there (no X-Ray daemon to send traces to).
LOCAL_ENVIRONMENT = {"AWS_SAM_LOCAL": "true", "POWERTOOLS_TRACE_DISABLED": "true"}


class InvocationFailed(Exception):
    """The invocation ended in a function error, reported as Lambda reports one."""

    def __init__(self, error_type: str, message: str, stack_trace: list[str] | None = None) -> None:
        super().__init__(message)
        self.error_type = error_type
        self.message = message
        self.stack_trace = stack_trace or []

    @classmethod
    def of(cls, error: BaseException) -> InvocationFailed:
        """From what the handler raised; its stack starts below the host's own frame, which called it."""
        frames = error.__traceback__.tb_next if error.__traceback__ is not None else None
        return cls(type(error).__name__, str(error), traceback.format_tb(frames))

    @classmethod
    def from_lambda_error(cls, error: dict[str, Any]) -> InvocationFailed:
        return cls(str(error.get("errorType")), str(error.get("errorMessage")), list(error.get("stackTrace") or []))

    def as_lambda_error(self) -> dict[str, Any]:
        return {"errorType": self.error_type, "errorMessage": self.message, "stackTrace": self.stack_trace}

    def log_text(self) -> str:
        """What Lambda writes to the function's log for it."""
        return f"[ERROR] {self.error_type}: {self.message}\n{''.join(self.stack_trace)}"


class FunctionTimedOut(InvocationFailed):
    """The function ran past its `Timeout`: Lambda stopped it and discarded its container."""

    def __init__(self, timeout_seconds: float) -> None:
        super().__init__("Sandbox.Timedout", f"Task timed out after {timeout_seconds:.2f} seconds")


class CallerGaveUp(Exception):
    """The caller stopped waiting (API Gateway's integration timeout) before the function answered."""


class FunctionInvoker(Protocol):
    functions: dict[str, Function]

    def invoke(self, logical_id: str, event: dict[str, Any], *, patience_seconds: float | None = None) -> Any:
        """The function's result; raises InvocationFailed, or CallerGaveUp after `patience_seconds`."""

    def close(self) -> None:
        """Release what the host holds (processes)."""


def load_handler(function: Function) -> tuple[ModuleType, LambdaHandler]:
    """Import the function's module (its environment must already be set, as Lambda sets it) and its handler."""
    spec = importlib.util.spec_from_file_location(f"lambda_{function.logical_id}", function.module_path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {function.module_path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    handler: LambdaHandler = getattr(module, function.handler_name)
    return module, handler


def context_for(
    function: Function, *, aws_request_id: str | None = None, deadline: float | None = None
) -> LambdaContext:
    context = LambdaContext(
        function.function_name,
        memory_limit_in_mb=function.memory_mb,
        timeout_seconds=function.timeout_seconds,
        deadline=deadline,
    )
    if aws_request_id:
        context.aws_request_id = aws_request_id
    return context


# One process-wide lock: two hosts in one process (a test builds one per test) share Powertools' globals too.
_SHARED_PROCESS_STATE = threading.RLock()


class FunctionHost:
    """Every function in this process, loaded once as a warm container keeps it, invoked one at a time."""

    def __init__(self, template: Template) -> None:
        self.functions = template.functions()
        self._template_path = template.path
        # As in Lambda, the environment exists before any of the functions' code is imported.
        os.environ.update(template.global_environment())
        for name, value in LOCAL_ENVIRONMENT.items():
            os.environ.setdefault(name, value)
        self._loaded: dict[str, tuple[ModuleType, LambdaHandler]] = {}

    def _function(self, logical_id: str) -> Function:
        if logical_id not in self.functions:
            raise KeyError(f"no function {logical_id} in the template")
        return self.functions[logical_id]

    def _load(self, logical_id: str) -> tuple[ModuleType, LambdaHandler]:
        with _SHARED_PROCESS_STATE:
            if logical_id not in self._loaded:
                function = self._function(logical_id)
                # Every function shares one process, so the environment is the union of theirs; the template
                # keeps shared settings in Globals, which makes that union equal to each function's own.
                os.environ.update(function.environment)
                with dynamodb_calls.recorded_clients(logical_id, self._template_path):
                    self._loaded[logical_id] = load_handler(function)
            return self._loaded[logical_id]

    def module(self, logical_id: str) -> ModuleType:
        """The function's handler module, imported once, as a warm container keeps it."""
        return self._load(logical_id)[0]

    def handler(self, logical_id: str) -> LambdaHandler:
        """The function's handler, serialized with every other invocation in this process."""
        loaded = self._load(logical_id)[1]

        def serialized(event: dict[str, Any], context: Any) -> Any:
            with _SHARED_PROCESS_STATE, dynamodb_calls.running(logical_id):
                return loaded(event, context)

        return serialized

    def load_all(self) -> None:
        for logical_id in self.functions:
            self._load(logical_id)

    def invoke(self, logical_id: str, event: dict[str, Any], *, patience_seconds: float | None = None) -> Any:
        function = self._function(logical_id)
        handler = self._load(logical_id)[1]
        with _SHARED_PROCESS_STATE, dynamodb_calls.running(logical_id):
            started = time.monotonic()
            try:
                result = handler(event, context_for(function))
            except Exception as error:
                raise InvocationFailed.of(error) from error
            elapsed = time.monotonic() - started
        # One process cannot stop a handler midway: an overrun shows when it returns, and its result is
        # discarded, as Lambda (which would have stopped it) and API Gateway would.
        if elapsed > function.timeout_seconds:
            raise FunctionTimedOut(function.timeout_seconds)
        if patience_seconds is not None and elapsed > patience_seconds:
            raise CallerGaveUp
        return result

    def close(self) -> None:
        """Nothing to release: the modules live as long as the process."""
