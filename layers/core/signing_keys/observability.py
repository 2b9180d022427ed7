"""Logger, Metrics and Tracer, configured once per container from POWERTOOLS_* variables."""

from __future__ import annotations

import os
import sys
import warnings
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit, single_metric

Handler = Callable[[dict[str, Any], Any], Any]


class _CurrentStdout:
    """Writes to whatever sys.stdout is now, so redirections made after import (invoke, tests) apply."""

    def write(self, text: str) -> int:
        return sys.stdout.write(text)

    def flush(self) -> None:
        sys.stdout.flush()


# Defaults for code imported before the function's environment exists (tools, tests, the local runner).
SERVICE_NAME = os.environ.get("POWERTOOLS_SERVICE_NAME", "signing-keys")
METRICS_NAMESPACE = os.environ.get("POWERTOOLS_METRICS_NAMESPACE", "SigningKeys")

logger = Logger(service=SERVICE_NAME, stream=_CurrentStdout())  # type: ignore[arg-type]
metrics = Metrics(namespace=METRICS_NAMESPACE, service=SERVICE_NAME)
# Reads and denials publish no metric by design; Powertools would warn about that on every such request.
warnings.filterwarnings("ignore", message="No application metrics to publish", category=UserWarning)


def count(metric: str, **dimensions: str) -> None:
    if not dimensions:
        metrics.add_metric(name=metric, unit=MetricUnit.Count, value=1)
        return
    if os.environ.get("POWERTOOLS_METRICS_DISABLED", "").lower() == "true":
        return  # single_metric flushes on its own and does not honour the switch
    # Dimensions apply to a whole EMF blob, so a dimensioned metric goes out in one of its own.
    with single_metric(name=metric, unit=MetricUnit.Count, value=1, namespace=metrics.namespace) as single:
        for name, value in dimensions.items():
            single.add_dimension(name=name, value=value)


def measure(metric: str, value: float, unit: MetricUnit) -> None:
    """A measured value (a lag, a size), in the invocation's metrics."""
    metrics.add_metric(name=metric, unit=unit, value=value)


def _tracing_enabled() -> bool:
    # Building a Tracer imports the X-Ray SDK (~0.5 s of cold start), so only do it where traces go somewhere.
    disabled = os.environ.get("POWERTOOLS_TRACE_DISABLED", "").lower() in {"1", "true", "yes"}
    in_lambda = "AWS_LAMBDA_FUNCTION_NAME" in os.environ and "AWS_SAM_LOCAL" not in os.environ
    return in_lambda and not disabled


def traced(handler: Handler) -> Handler:
    """Trace the invocation but never its response, which may carry a private key."""
    if not _tracing_enabled():
        return handler
    from aws_lambda_powertools import Tracer

    return Tracer().capture_lambda_handler(handler, capture_response=False)


def instrumented(handler: Handler) -> Handler:
    """Correlation-id logging (never the event), EMF metrics flush, and response-free tracing."""
    with_logging = logger.inject_lambda_context(
        handler, correlation_id_path=correlation_paths.API_GATEWAY_REST, log_event=False
    )
    return traced(metrics.log_metrics(with_logging))
