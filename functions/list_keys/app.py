"""ListKeysFunction: GET /iam/signing-keys (paged) and GET /access-control/signing-key (all)."""

from typing import Any

from aws_lambda_powertools.event_handler import Response

from signing_keys.api import caller, entrypoint, operation, rest_resolver
from signing_keys.config import Settings
from signing_keys.dialects import fastpix, livepeer
from signing_keys.parameters import FastPixPage, FastPixPageSize
from signing_keys.service import KeyService

settings = Settings.from_env()
service = KeyService.from_settings(settings)
app = rest_resolver(settings)


@operation(app, "list_signing_keys", response=fastpix.FastPixListKeysResponse)
def list_fastpix_keys(
    limit: FastPixPageSize = 10,
    offset: FastPixPage = 1,
) -> Response[Any]:
    page = service.page_of_keys(caller(app).workspace_id, page_size=int(limit), page=int(offset))
    return fastpix.key_page(page)


@operation(app, "getSigningKeys", response=livepeer.LivepeerSigningKeyList)
def list_livepeer_keys() -> Response[Any]:
    return livepeer.key_list(service.list_keys(caller(app).workspace_id))


lambda_handler = entrypoint(app)
