"""ListRevocationsFunction: GET /revocations?limit=100&cursor=… (newest first, opaque cursor)."""

from typing import Any

from aws_lambda_powertools.event_handler import Response

from signing_keys.api import caller, entrypoint, operation, rest_resolver
from signing_keys.config import Settings
from signing_keys.dialects import neutral
from signing_keys.limits import DEFAULT_PAGE_SIZE
from signing_keys.parameters import PageSize, RevocationCursor
from signing_keys.revocations import RevocationService

settings = Settings.from_env()
service = RevocationService.from_settings(settings)
app = rest_resolver(settings)


@operation(app, "listRevocations", response=neutral.RevocationList)
def list_revocations(
    limit: PageSize = DEFAULT_PAGE_SIZE,
    cursor: RevocationCursor = None,
) -> Response[Any]:
    return neutral.revocation_list(service.page(caller(app).workspace_id, limit=limit, cursor=cursor))


lambda_handler = entrypoint(app)
