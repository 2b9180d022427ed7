"""Routes neither platform has (playback verification, the JWKS) and API Gateway's own answers: errors carry
both dialects' fields at once, so either SDK parses them."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from aws_lambda_powertools.event_handler import Response
from pydantic import Field
from pydantic.json_schema import SkipJsonSchema

from signing_keys.authorizer_context import PlaybackContext
from signing_keys.dialects import WireModel, body_of, json_response, model_response, omitted_when_unset
from signing_keys.dialects.fastpix import FastPixErrorDetail, error_detail
from signing_keys.dialects.livepeer import error_messages
from signing_keys.errors import FieldError
from signing_keys.models import AuditAction, AuditEntry, AuditPage, to_millis


class UnionError(WireModel):
    """FastPix's `success`/`error` and Livepeer's `errors`, together."""

    success: Literal[False]
    error: FastPixErrorDetail
    errors: list[str] = Field(min_length=1)


class PlaybackGrant(WireModel):
    """The verified token's claims that matter to a player."""

    omits_none: ClassVar[bool] = False  # sub, aud and groups are sent as the token had them, null included
    mediaId: str
    workspaceId: str
    keyId: str
    sub: Any
    aud: Any
    groups: Any
    exp: int = Field(description="epoch seconds")


class Jwk(WireModel):
    """A public JWK (RFC 7517/7518/8037): RSA (n, e), EC P-256 (crv, x, y) or OKP Ed25519 (crv, x)."""

    kty: str
    kid: str
    alg: str
    use: str
    key_ops: list[str] | SkipJsonSchema[None] = omitted_when_unset()
    n: str | SkipJsonSchema[None] = omitted_when_unset()
    e: str | SkipJsonSchema[None] = omitted_when_unset()
    crv: str | SkipJsonSchema[None] = omitted_when_unset()
    x: str | SkipJsonSchema[None] = omitted_when_unset()
    y: str | SkipJsonSchema[None] = omitted_when_unset()


class JwkSet(WireModel):
    keys: list[Jwk]


class AuditEvent(WireModel):
    """One change: who (credential token id, source IP, request id), what (action and the id it acted on),
    when. Never key material, secrets or tokens."""

    id: str
    createdAt: int = Field(description="epoch milliseconds")
    action: AuditAction
    workspaceId: str
    tokenId: str = Field(description="the credential that made the change; `operator` for the admin tooling")
    keyId: str | SkipJsonSchema[None] = omitted_when_unset()
    revocationId: str | SkipJsonSchema[None] = omitted_when_unset()
    credentialTokenId: str | SkipJsonSchema[None] = omitted_when_unset(
        description="the credential a credential.* action changed"
    )
    successorKeyId: str | SkipJsonSchema[None] = omitted_when_unset(description="the key a key.rotate action created")
    sourceIp: str | SkipJsonSchema[None] = omitted_when_unset(description="absent for the admin tooling")
    requestId: str


class AuditEventPage(WireModel):
    auditEvents: list[AuditEvent] = Field(description="newest first")
    nextCursor: str | None = Field(description="pass as `cursor` for the next page; null on the last page")


def error(status: int, message: str, fields: list[FieldError]) -> UnionError:
    detail = error_detail(status, message, fields)
    return UnionError(success=False, error=detail, errors=error_messages(message, fields))


def playback_grant(verified: PlaybackContext) -> Response[Any]:
    grant = PlaybackGrant(
        mediaId=verified.media_id,
        workspaceId=verified.workspace_id,
        keyId=verified.key_id,
        sub=verified.sub,
        aud=verified.aud,
        groups=verified.groups,
        exp=verified.exp,
    )
    return model_response(200, grant)


def jwk_set(jwks: dict[str, Any], max_age_seconds: int) -> Response[Any]:
    return model_response(200, JwkSet.model_validate(jwks), {"Cache-Control": f"public, max-age={max_age_seconds}"})


def audit_event(entry: AuditEntry) -> AuditEvent:
    return AuditEvent(
        id=entry.event_id,
        createdAt=to_millis(entry.created_at),
        action=entry.action,
        workspaceId=entry.workspace_id,
        tokenId=entry.token_id,
        keyId=entry.key_id,
        revocationId=entry.revocation_id,
        credentialTokenId=entry.credential_token_id,
        successorKeyId=entry.successor_key_id,
        sourceIp=entry.source_ip,
        requestId=entry.request_id,
    )


def audit_page(page: AuditPage) -> Response[Any]:
    body = body_of(AuditEventPage(auditEvents=[audit_event(e) for e in page.entries], nextCursor=page.next_cursor))
    body["nextCursor"] = page.next_cursor  # null on the last page, where unset fields are otherwise left out
    return json_response(200, body)
