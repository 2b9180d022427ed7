"""DeleteRevocationFunction: DELETE /revocations/{revocationId}; what it refused verifies again.

Revocation ids are opaque: any unknown one (another shape, another workspace's, expired) is the same 404.
"""

from typing import Any

from aws_lambda_powertools.event_handler import Response

from signing_keys.api import caller, entrypoint, operation, rest_resolver
from signing_keys.config import Settings
from signing_keys.dialects import no_content
from signing_keys.parameters import RevocationId
from signing_keys.revocations import RevocationService

settings = Settings.from_env()
service = RevocationService.from_settings(settings)
app = rest_resolver(settings)


@operation(app, "deleteRevocation")
def delete_revocation(revocationId: RevocationId) -> Response[Any]:  # noqa: N803
    service.delete(caller(app), revocationId)
    return no_content()


lambda_handler = entrypoint(app)
