"""UpdateKeyFunction: PATCH /access-control/signing-key/{keyId} with {name?, disabled?, policies?} (Livepeer, 204)
and PATCH /iam/signing-keys/{signingKeyId} with {expiresAt?, allowedMedia?, maxTokenLifetimeSeconds?} (FastPix
style, beyond FastPix: 200 with the key as get shows it)."""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body
from pydantic import BaseModel

from signing_keys.api import caller, entrypoint, operation, rest_resolver
from signing_keys.config import Settings
from signing_keys.dialects import fastpix, livepeer, no_content
from signing_keys.errors import FieldError, InvalidInput
from signing_keys.parameters import KeyId, SigningKeyId
from signing_keys.service import KeyService

settings = Settings.from_env()
service = KeyService.from_settings(settings)
app = rest_resolver(settings)


def _require_a_field(body: BaseModel) -> None:
    if not body.model_fields_set:
        raise InvalidInput([FieldError("body", "give at least one of " + ", ".join(type(body).model_fields))])


@operation(app, "updateSigningKey")
def update_livepeer_key(
    keyId: KeyId,  # noqa: N803
    body: Annotated[livepeer.LivepeerUpdateKeyRequest, Body()],
) -> Response[Any]:
    _require_a_field(body)
    service.update_key(caller(app), keyId, livepeer.key_update(body))
    return no_content()


@operation(app, "update_signing_key", response=fastpix.FastPixGetKeyResponse)
def update_fastpix_key(
    signingKeyId: SigningKeyId,  # noqa: N803
    body: Annotated[fastpix.FastPixUpdateKeyRequest, Body()],
) -> Response[Any]:
    _require_a_field(body)
    actor = caller(app)
    service.update_key(actor, signingKeyId, body.key_update())
    # The transaction returns nothing: the key as it now is takes one read (a later write may show in it).
    return fastpix.key_detail(service.get_key(actor.workspace_id, signingKeyId))


lambda_handler = entrypoint(app)
