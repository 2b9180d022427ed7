"""The in-process host: a function error as Lambda reports it, and a Timeout overrun found when the handler
returns (one process cannot stop a handler midway; its result is discarded as Lambda's would be)."""

from __future__ import annotations

from pathlib import Path

import pytest

from signing_keys_local.functions import CallerGaveUp, FunctionHost, FunctionTimedOut, InvocationFailed
from signing_keys_local.template import Template

HANDLER = """
import time

def handler(event, context):
    if event.get("fail"):
        raise ValueError("no such thing")
    time.sleep(event.get("sleep", 0))
    return {"remaining": context.get_remaining_time_in_millis(), "memory": context.memory_limit_in_mb}
"""
STACK = """
Resources:
  Probe:
    Type: AWS::Serverless::Function
    Properties: {{CodeUri: fn/, Handler: app.handler, Timeout: {timeout}, MemorySize: 256}}
"""


def host(tmp_path: Path, timeout: float = 3) -> FunctionHost:
    (tmp_path / "fn").mkdir()
    (tmp_path / "fn" / "app.py").write_text(HANDLER)
    (tmp_path / "template.yaml").write_text(STACK.format(timeout=timeout))
    return FunctionHost(Template(tmp_path / "template.yaml"))


def test_the_handler_gets_its_functions_memory_and_deadline(tmp_path: Path) -> None:
    result = host(tmp_path).invoke("Probe", {})
    assert result["memory"] == 256
    assert 0 < result["remaining"] <= 3000


def test_a_handlers_error_is_reported_as_lambda_reports_it(tmp_path: Path) -> None:
    with pytest.raises(InvocationFailed) as failed:
        host(tmp_path).invoke("Probe", {"fail": True})
    assert (failed.value.error_type, failed.value.message) == ("ValueError", "no such thing")
    assert "app.py" in failed.value.stack_trace[0]  # the stack starts in the handler, not in the host


def test_a_handler_that_returns_after_its_timeout_has_timed_out(tmp_path: Path) -> None:
    # Given a function with a 10 ms Timeout, when its handler takes 50 ms
    with pytest.raises(FunctionTimedOut):
        host(tmp_path, timeout=0.01).invoke("Probe", {"sleep": 0.05})


def test_a_caller_that_stopped_waiting_gets_no_result(tmp_path: Path) -> None:
    with pytest.raises(CallerGaveUp):
        host(tmp_path).invoke("Probe", {"sleep": 0.05}, patience_seconds=0.01)
