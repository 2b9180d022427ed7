"""FastPix dialect: /iam/signing-keys, RSA-2048 by default, `{"success":…,"data":…}` envelopes."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response
from pydantic import BaseModel, ConfigDict, Field, StrictStr

from signing_keys.dialects import json_response, pem_to_wire
from signing_keys.errors import FieldError
from signing_keys.models import CreatedKey, KeyPage, SigningKey, iso8601

WORKSPACE_TYPE = "production"


class CreateKeyBody(BaseModel):
    """Optional body: FastPix creates without one; `publicKey` registers the caller's own key."""

    model_config = ConfigDict(extra="forbid")
    publicKey: StrictStr | None = Field(default=None, max_length=8192)


def created(result: CreatedKey) -> Response[Any]:
    data: dict[str, Any] = {"id": result.key.key_id, "createdAt": iso8601(result.key.created_at)}
    if result.private_key_pem is not None:
        data["privateKey"] = pem_to_wire(result.private_key_pem)
    return json_response(201, {"success": True, "data": data})


def key_page(page: KeyPage) -> Response[Any]:
    return json_response(
        200,
        {
            "success": True,
            "data": [
                {
                    "id": key.key_id,
                    "createdAt": iso8601(key.created_at),
                    "workspace": [
                        # We hold no workspace directory, so the id doubles as its name.
                        {"id": key.workspace_id, "name": key.workspace_id, "workspaceType": WORKSPACE_TYPE}
                    ],
                }
                for key in page.keys
            ],
            "pagination": {
                "totalRecords": page.total,
                "currentOffset": page.page,
                "offsetCount": page.page_count,
            },
        },
    )


def key_detail(key: SigningKey) -> Response[Any]:
    return json_response(
        200,
        {
            "success": True,
            "data": {
                "workspaceId": key.workspace_id,
                "signingKeyId": key.key_id,
                "publicKey": pem_to_wire(key.public_key_pem),
            },
        },
    )


def deleted() -> Response[Any]:
    return json_response(200, {"success": True, "data": {"message": "Signing key deleted successfully"}})


def error_body(status: int, message: str, fields: list[FieldError]) -> dict[str, Any]:
    error: dict[str, Any] = {"code": status, "message": message}
    if fields:
        error["fields"] = [{"field": f.field, "message": f.message} for f in fields]
    return {"success": False, "error": error}
