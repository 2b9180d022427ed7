"""HTTP glue every handler imports: the resolver with the request pipeline every request passes, the Lambda
entrypoint, reading the authorizer's context, and registering operations (`operations.operation`).

The parts live by concern: the error mapping in `http_errors`, the request guards in `guards`, operation
registration and documented answers in `operations`.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, CORSConfig
from aws_lambda_powertools.event_handler.middlewares.openapi_validation import (
    OpenAPIRequestValidationMiddleware,
    OpenAPIResponseValidationMiddleware,
)

from signing_keys import guards, http_errors
from signing_keys.authorizer_context import ManagementContext
from signing_keys.budget import budgeted
from signing_keys.config import Settings
from signing_keys.models import Actor
from signing_keys.observability import Handler, instrumented
from signing_keys.operations import operation

__all__ = ["caller", "entrypoint", "operation", "rest_resolver"]


def rest_resolver(settings: Settings, cors: CORSConfig | None = None) -> APIGatewayRestResolver:
    """The resolver every function routes with; `cors` for routes a browser calls from another origin (the
    exchange): its headers then go with every answer, refusals included."""
    # Not `enable_validation=True`: Powertools would then validate before every other middleware, reading the
    # body before the guards have judged it. Its validation takes its place in the pipeline below instead.
    app = APIGatewayRestResolver(cors=cors)
    http_errors.answer_errors(app)
    # What every request passes, in this order; the first to refuse answers (in the route's dialect), and
    # nothing after it runs.
    app.use(
        [
            guards.refuse_read_only_writes,  # 403: a read-only credential on a route that writes
            guards.refuse_bodies_over(settings.max_body_bytes),  # 413
            guards.refuse_other_media_types,  # 415
            guards.refuse_malformed_json,  # 422: not UTF-8, not strict JSON, too deep, not an object
            guards.label_body_as_json,  # as Powertools' validation expects it: exactly application/json
            OpenAPIRequestValidationMiddleware(),  # type: ignore[no-untyped-call]  # 422: parameters and body
            OpenAPIResponseValidationMiddleware(),  # the handler's answer against its declared type
        ]
    )
    return app


def entrypoint(app: APIGatewayRestResolver) -> Handler:
    """The Lambda handler of a function: routing through `app`'s pipeline, with logging, metrics, tracing and the
    invocation's time budget."""

    def handle(event: dict[str, Any], context: Any) -> dict[str, Any]:
        # The resolver's own copy: a guard relabels the body's media type in it (guards.label_body_as_json).
        return app.resolve(dict(event), context)

    return instrumented(budgeted(handle))


def caller(app: APIGatewayRestResolver) -> Actor:
    """Who is calling: the credential as the management authorizer resolved it, and where the request came from
    (what an audit entry records)."""
    event = app.current_event
    granted = ManagementContext.decode(event.request_context.authorizer.get_context())
    return Actor(
        workspace_id=granted.workspace_id,
        token_id=granted.token_id,
        scope=granted.scope,
        source_ip=event.request_context.identity.source_ip,
        request_id=event.request_context.request_id,
    )
