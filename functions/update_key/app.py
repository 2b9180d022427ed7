"""UpdateKeyFunction: PATCH /access-control/signing-key/{keyId} with {name?, disabled?} (Livepeer)."""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body

from signing_keys.api import caller, entrypoint, operation, rest_resolver
from signing_keys.config import Settings
from signing_keys.dialects import livepeer, no_content
from signing_keys.errors import FieldError, InvalidInput
from signing_keys.service import KeyService

settings = Settings.from_env()
service = KeyService.from_settings(settings)
app = rest_resolver()


@operation(app, "updateSigningKey")
def update_livepeer_key(
    keyId: str,  # noqa: N803
    body: Annotated[livepeer.LivepeerUpdateKeyRequest, Body()],
) -> Response[Any]:
    if not body.model_fields_set:
        raise InvalidInput([FieldError("body", "give at least one of name, disabled")])
    service.update_key(
        caller(app),
        keyId,
        name=body.name if "name" in body.model_fields_set else None,
        disabled=body.disabled if "disabled" in body.model_fields_set else None,
    )
    return no_content()


lambda_handler = entrypoint(app, settings)
