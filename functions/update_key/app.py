"""UpdateKeyFunction: PATCH /access-control/signing-key/{keyId} with {name?, disabled?} (Livepeer)."""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Path

from signing_keys.api import entrypoint, rest_resolver, workspace_id
from signing_keys.config import Settings
from signing_keys.dialects import livepeer
from signing_keys.errors import FieldError, InvalidInput
from signing_keys.key_ids import KEY_ID_PATTERN
from signing_keys.service import KeyService

settings = Settings.from_env()
service = KeyService.from_settings(settings)
app = rest_resolver()


@app.patch("/access-control/signing-key/<keyId>")
def update_livepeer_key(
    keyId: Annotated[str, Path(pattern=KEY_ID_PATTERN)],  # noqa: N803
    body: Annotated[livepeer.UpdateKeyBody, Body()],
) -> Response[Any]:
    if not body.model_fields_set:
        raise InvalidInput([FieldError("body", "give at least one of name, disabled")])
    service.update_key(
        workspace_id(app),
        keyId,
        name=body.name if "name" in body.model_fields_set else None,
        disabled=body.disabled if "disabled" in body.model_fields_set else None,
    )
    return livepeer.no_content()


lambda_handler = entrypoint(app, settings)
