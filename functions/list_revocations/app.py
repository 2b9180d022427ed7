"""ListRevocationsFunction: GET /revocations?limit=100&cursor=… (newest first, opaque cursor)."""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Query

from signing_keys.api import caller, entrypoint, operation, rest_resolver
from signing_keys.config import Settings
from signing_keys.dialects import neutral
from signing_keys.limits import DEFAULT_REVOCATIONS_PAGE, MAX_REVOCATIONS_PAGE
from signing_keys.revocations import MAX_CURSOR_CHARS, RevocationService

settings = Settings.from_env()
service = RevocationService.from_settings(settings)
app = rest_resolver()


@operation(app, "listRevocations", response=neutral.RevocationList)
def list_revocations(
    limit: Annotated[int, Query(ge=1, le=MAX_REVOCATIONS_PAGE)] = DEFAULT_REVOCATIONS_PAGE,
    cursor: Annotated[str | None, Query(max_length=MAX_CURSOR_CHARS)] = None,
) -> Response[Any]:
    return neutral.revocation_list(service.page(caller(app).workspace_id, limit=limit, cursor=cursor))


lambda_handler = entrypoint(app, settings)
