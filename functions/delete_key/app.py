"""DeleteKeyFunction: DELETE /iam/signing-keys/{signingKeyId} and DELETE /access-control/signing-key/{keyId}."""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path

from signing_keys.api import entrypoint, rest_resolver, workspace_id
from signing_keys.config import Settings
from signing_keys.dialects import fastpix, livepeer
from signing_keys.key_ids import KEY_ID_PATTERN
from signing_keys.service import KeyService

settings = Settings.from_env()
service = KeyService.from_settings(settings)
app = rest_resolver()


@app.delete("/iam/signing-keys/<signingKeyId>")
def delete_fastpix_key(signingKeyId: Annotated[str, Path(pattern=KEY_ID_PATTERN)]) -> Response[Any]:  # noqa: N803
    service.delete_key(workspace_id(app), signingKeyId)
    return fastpix.deleted()


@app.delete("/access-control/signing-key/<keyId>")
def delete_livepeer_key(keyId: Annotated[str, Path(pattern=KEY_ID_PATTERN)]) -> Response[Any]:  # noqa: N803
    service.delete_key(workspace_id(app), keyId)
    return livepeer.no_content()


lambda_handler = entrypoint(app, settings)
