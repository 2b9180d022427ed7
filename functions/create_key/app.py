"""CreateKeyFunction: POST /iam/signing-keys (FastPix) and POST /access-control/signing-key (Livepeer)."""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body

from signing_keys.api import caller, entrypoint, operation, rest_resolver
from signing_keys.config import Settings
from signing_keys.dialects import fastpix, livepeer
from signing_keys.models import Algorithm
from signing_keys.service import KeyService

settings = Settings.from_env()
service = KeyService.from_settings(settings)
app = rest_resolver(settings)


@operation(app, "create_signing_key", response=fastpix.FastPixCreateKeyResponse)
def create_fastpix_key(body: Annotated[fastpix.FastPixCreateKeyRequest | None, Body()] = None) -> Response[Any]:
    created = service.create_key(
        caller(app),
        default_algorithm=Algorithm.RS256,
        public_key=body.publicKey if body else None,
        policy=body.key_policy() if body else None,
    )
    return fastpix.created(created)


@operation(app, "createSigningKey", response=livepeer.LivepeerCreatedSigningKey)
def create_livepeer_key(body: Annotated[livepeer.LivepeerCreateKeyRequest | None, Body()] = None) -> Response[Any]:
    created = service.create_key(
        caller(app),
        default_algorithm=Algorithm.ES256,
        name=body.name if body else None,
        project_id=body.projectId if body else None,
        public_key=body.publicKey if body else None,
        policy=body.key_policy() if body else None,
    )
    return livepeer.created(created)


lambda_handler = entrypoint(app)
