"""GetKeyFunction: GET /iam/signing-keys/{signingKeyId} and GET /access-control/signing-key/{keyId}.

Key ids are opaque: any value is looked up (an id of another shape is a 404 like any missing key).
"""

from typing import Any

from aws_lambda_powertools.event_handler import Response

from signing_keys.api import caller, entrypoint, operation, rest_resolver
from signing_keys.config import Settings
from signing_keys.dialects import fastpix, livepeer
from signing_keys.parameters import KeyId, SigningKeyId
from signing_keys.service import KeyService

settings = Settings.from_env()
service = KeyService.from_settings(settings)
app = rest_resolver(settings)


@operation(app, "get-signing_key_by_id", response=fastpix.FastPixGetKeyResponse)
def get_fastpix_key(signingKeyId: SigningKeyId) -> Response[Any]:  # noqa: N803
    return fastpix.key_detail(service.get_key(caller(app).workspace_id, signingKeyId))


@operation(app, "getSigningKey", response=livepeer.LivepeerSigningKey)
def get_livepeer_key(keyId: KeyId) -> Response[Any]:  # noqa: N803
    return livepeer.key_detail(service.get_key(caller(app).workspace_id, keyId))


lambda_handler = entrypoint(app)
