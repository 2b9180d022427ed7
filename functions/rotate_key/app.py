"""RotateKeyFunction: POST /access-control/signing-key/{keyId}/rotate (200, Livepeer create shape) and
POST /iam/signing-keys/{signingKeyId}/rotate (201, FastPix create shape), body {overlapSeconds?, publicKey?}.

One transaction adds the successor (within the key limit) and sets the old key's expiry; the successor's private
key is in the answer, once, unless a public key was sent.
"""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body

from signing_keys.api import caller, entrypoint, operation, rest_resolver
from signing_keys.config import Settings
from signing_keys.dialects import RotateKeyRequest, fastpix, livepeer
from signing_keys.models import CreatedKey
from signing_keys.parameters import KeyId, SigningKeyId
from signing_keys.service import KeyService

settings = Settings.from_env()
service = KeyService.from_settings(settings)
app = rest_resolver(settings)


def _rotate(key_id: str, body: RotateKeyRequest | None) -> CreatedKey:
    request = body or RotateKeyRequest()
    return service.rotate_key(caller(app), key_id, overlap_seconds=request.overlapSeconds, public_key=request.publicKey)


@operation(app, "rotate_signing_key", response=fastpix.FastPixCreateKeyResponse)
def rotate_fastpix_key(
    signingKeyId: SigningKeyId,  # noqa: N803
    body: Annotated[RotateKeyRequest | None, Body()] = None,
) -> Response[Any]:
    return fastpix.created(_rotate(signingKeyId, body))


@operation(app, "rotateSigningKey", response=livepeer.LivepeerCreatedSigningKey)
def rotate_livepeer_key(
    keyId: KeyId,  # noqa: N803
    body: Annotated[RotateKeyRequest | None, Body()] = None,
) -> Response[Any]:
    return livepeer.created(_rotate(keyId, body))


lambda_handler = entrypoint(app)
