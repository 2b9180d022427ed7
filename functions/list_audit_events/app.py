"""ListAuditEventsFunction: GET /audit-events?limit=&cursor= — the caller's workspace's audit trail, newest first.

The cursor carries a position only; the workspace always comes from the credential, so no cursor reaches
another workspace's entries.
"""

from typing import Any

from aws_lambda_powertools.event_handler import Response

from signing_keys.api import caller, entrypoint, operation, rest_resolver
from signing_keys.audit import AuditLog
from signing_keys.config import Settings
from signing_keys.dialects import neutral
from signing_keys.limits import DEFAULT_PAGE_SIZE
from signing_keys.parameters import AuditCursor, PageSize

settings = Settings.from_env()
audit_log = AuditLog.connect(settings.table_name)
app = rest_resolver(settings)


@operation(app, "listAuditEvents", response=neutral.AuditEventPage)
def list_audit_events(
    limit: PageSize = DEFAULT_PAGE_SIZE,
    cursor: AuditCursor = None,
) -> Response[Any]:
    return neutral.audit_page(audit_log.page(caller(app).workspace_id, limit=limit, cursor=cursor))


lambda_handler = entrypoint(app)
