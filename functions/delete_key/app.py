"""DeleteKeyFunction: DELETE /iam/signing-keys/{signingKeyId} and DELETE /access-control/signing-key/{keyId}."""

from typing import Any

from aws_lambda_powertools.event_handler import Response

from signing_keys.api import caller, entrypoint, operation, rest_resolver
from signing_keys.config import Settings
from signing_keys.dialects import fastpix, no_content
from signing_keys.parameters import KeyId, SigningKeyId
from signing_keys.service import KeyService

settings = Settings.from_env()
service = KeyService.from_settings(settings)
app = rest_resolver(settings)


@operation(app, "delete_signing_key", response=fastpix.FastPixDeleteKeyResponse)
def delete_fastpix_key(signingKeyId: SigningKeyId) -> Response[Any]:  # noqa: N803
    service.delete_key(caller(app), signingKeyId)
    return fastpix.deleted()


@operation(app, "deleteSigningKey")
def delete_livepeer_key(keyId: KeyId) -> Response[Any]:  # noqa: N803
    service.delete_key(caller(app), keyId)
    return no_content()


lambda_handler = entrypoint(app)
