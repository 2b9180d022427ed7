"""Routes neither platform has (playback verification, the JWKS, the audit trail, revocations) and API Gateway's
own answers: errors carry both dialects' fields at once, so either SDK parses them."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal, Self

from aws_lambda_powertools.event_handler import Response
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictInt, StrictStr, model_validator
from pydantic.json_schema import SkipJsonSchema

from signing_keys.dialects import WireModel, body_of, json_response, model_response, omitted_when_unset
from signing_keys.dialects.fastpix import FastPixErrorDetail, error_detail
from signing_keys.dialects.livepeer import error_messages
from signing_keys.errors import FieldError
from signing_keys.limits import (
    MAX_ISSUED_BEFORE_LEAD_SECONDS,
    MAX_REVOCATION_REASON_CHARS,
    MAX_REVOCATION_VALUE_CHARS,
)
from signing_keys.models import (
    AuditAction,
    AuditEntry,
    AuditPage,
    Revocation,
    RevocationPage,
    RevocationType,
    to_millis,
)
from signing_keys.patterns import MEDIA_ID
from signing_keys.rejections import Rejection
from signing_keys.stages import Explanation, Stage


class UnionError(WireModel):
    """FastPix's `success`/`error` and Livepeer's `errors`, together."""

    success: Literal[False]
    error: FastPixErrorDetail
    errors: list[str] = Field(min_length=1)


class RefusalDetail(FastPixErrorDetail):
    reason: str = Field(description="why the token was refused (the same value as the top-level `reason`)")


class TokenRefusal(WireModel):
    """A refused playback token: the union error shape, plus its reason (also in the `X-Refusal-Reason` header)."""

    success: Literal[False]
    error: RefusalDetail
    errors: list[str] = Field(min_length=1)
    reason: Rejection = Field(description="why the token was refused: one of a fixed vocabulary (README, Playback)")


def token_refusal(status: int, reason: str, message: str) -> TokenRefusal:
    return TokenRefusal(
        success=False,
        error=RefusalDetail(code=status, message=message, reason=reason),
        errors=[message],
        reason=Rejection(reason),
    )


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


def playback_grant(workspace_id: str, key_id: str, media_id: str, claims: dict[str, Any]) -> Response[Any]:
    grant = PlaybackGrant(
        mediaId=media_id,
        workspaceId=workspace_id,
        keyId=key_id,
        sub=claims.get("sub"),
        aud=claims.get("aud"),
        groups=claims.get("groups"),
        exp=claims["exp"],
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


def _page(model: BaseModel, next_cursor: str | None) -> Response[Any]:
    body = body_of(model)
    body["nextCursor"] = next_cursor  # null on the last page, where unset fields are otherwise left out
    return json_response(200, body)


def audit_page(page: AuditPage) -> Response[Any]:
    entries = [audit_event(e) for e in page.entries]
    return _page(AuditEventPage(auditEvents=entries, nextCursor=page.next_cursor), page.next_cursor)


# -- revocations --------------------------------------------------------------------------------------------
def _unicode_text(value: str) -> str:
    # JSON lets lone surrogates through ("\\ud800"); they are no text DynamoDB or a token could hold.
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("must be Unicode text (no lone surrogates)") from None
    return value


UnicodeText = Annotated[StrictStr, AfterValidator(_unicode_text)]
_REVOKED_NAMES = tuple(revocation_type.value for revocation_type in RevocationType)


class RevocationRequest(BaseModel):
    """Exactly one of jti, viewer and issuedBefore; an explicit null is a type error, not an absent field."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"oneOf": [{"required": [name]} for name in _REVOKED_NAMES]}
    )
    jti: UnicodeText = Field(  # type: ignore[assignment]
        default=None,
        min_length=1,
        max_length=MAX_REVOCATION_VALUE_CHARS,
        description="refuse the token(s) carrying this jti claim",
    )
    viewer: UnicodeText = Field(  # type: ignore[assignment]
        default=None,
        min_length=1,
        max_length=MAX_REVOCATION_VALUE_CHARS,
        description="refuse every token carrying this viewer claim",
    )
    issuedBefore: StrictInt = Field(  # type: ignore[assignment]
        default=None,
        ge=0,
        description=(
            f"epoch seconds, at most {MAX_ISSUED_BEFORE_LEAD_SECONDS} s from now: refuse every token whose iat is "
            "earlier, and every token without iat"
        ),
    )
    reason: UnicodeText = Field(default=None, max_length=MAX_REVOCATION_REASON_CHARS)  # type: ignore[assignment]

    @model_validator(mode="after")
    def _names_exactly_one(self) -> Self:
        if len(self.model_fields_set & set(_REVOKED_NAMES)) != 1:
            raise ValueError(f"give exactly one of {', '.join(_REVOKED_NAMES)}")
        return self

    def revoked(self) -> tuple[RevocationType, str | int]:
        """The type of revocation asked for, and its value."""
        (name,) = self.model_fields_set & set(_REVOKED_NAMES)
        value: str | int = getattr(self, name)
        return RevocationType(name), value


class RevocationEntry(WireModel):
    omits_none: ClassVar[bool] = False  # expiresAt is sent as null; reason is left out when unset
    id: str
    type: Literal["jti", "viewer", "issuedBefore"]
    value: str | int = Field(description="the jti or viewer revoked, or issuedBefore's epoch seconds")
    reason: str | SkipJsonSchema[None] = omitted_when_unset()
    createdAt: int = Field(description="epoch milliseconds")
    expiresAt: None = Field(
        default=None, description="always null: a revocation stands until it is deleted, whatever the tokens it covers"
    )


class RevocationList(WireModel):
    omits_none: ClassVar[bool] = False  # its entries' null expiresAt
    revocations: list[RevocationEntry] = Field(description="newest first")
    nextCursor: str | None = Field(description="pass as `cursor` for the next page; null on the last page")


def _entry(revocation: Revocation) -> RevocationEntry:
    return RevocationEntry(
        id=revocation.revocation_id,
        type=revocation.type.value,
        value=revocation.value,
        reason=revocation.reason,
        createdAt=revocation.created_at_ms,
    )


def revocation(revoked: Revocation, *, created: bool) -> Response[Any]:
    """201 for a new entry; 200 when the same revocation was already in force (returned unchanged)."""
    return model_response(201 if created else 200, _entry(revoked))


def revocation_list(page: RevocationPage) -> Response[Any]:
    entries = [_entry(revoked) for revoked in page.revocations]
    return _page(RevocationList(revocations=entries, nextCursor=page.next_cursor), page.next_cursor)


# -- the token debugger (POST /tokens/verify) --------------------------------------------------------------------
class VerifyTokenRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    token: StrictStr = Field(min_length=1, description="a playback JWT as a viewer would present it")
    mediaId: StrictStr = Field(
        pattern=MEDIA_ID.pattern, description="the media it should open (the {mediaId} of the playback URL)"
    )


class Verdict(WireModel):
    omits_none: ClassVar[bool] = False
    status: int = Field(description="what the playback route would answer: 200, 401 or 403")
    reason: Rejection | None = Field(description="why it would be refused; null when it plays")
    message: str = Field(description="what to fix, in words")


class CheckResult(WireModel):
    stage: Stage = Field(description="the verifier's stages, in the order they run")
    result: Literal["passed", "failed", "skipped"] = Field(description="skipped: an earlier stage failed")
    reason: Rejection | None
    message: str | None


class TokenVerdict(WireModel):
    """The verdict a viewer would get at this moment, the key the token named, each check in order, and the
    token's claims. Nothing was changed: a single-use token stays unspent, lastSeen unwritten."""

    omits_none: ClassVar[bool] = False  # null says "none": no key named, no claims decoded
    verdict: Verdict
    keyId: str | None = Field(description="the key the token names in this workspace (kid, or derived from pub)")
    checks: list[CheckResult]
    claims: dict[str, Any] | None = Field(description="the token's claims as decoded (unverified unless it plays)")


def token_verdict(explanation: Explanation) -> Response[Any]:
    verdict = TokenVerdict(
        verdict=Verdict(status=explanation.status, reason=explanation.reason, message=explanation.message),
        keyId=explanation.key_id,
        checks=[
            CheckResult(stage=check.stage, result=check.outcome, reason=check.reason, message=check.message)
            for check in explanation.checks
        ],
        claims=explanation.claims,
    )
    return model_response(200, verdict)
