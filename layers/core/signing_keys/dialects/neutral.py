"""Routes neither platform has (playback verification, the JWKS, the audit trail, revocations) and API Gateway's
own answers: errors carry both dialects' fields at once, so either SDK parses them."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal, Self

from aws_lambda_powertools.event_handler import Response
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, JsonValue, StrictInt, StrictStr, model_validator
from pydantic.config import JsonDict
from pydantic.json_schema import SkipJsonSchema

from signing_keys.dialects import WireModel, body_of, examples, json_response, model_response, omitted_when_unset
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

_SUCCESS = "Always false on an error (FastPix's field)"
_ERRORS = "The same message, Livepeer's way: `<field>: <problem>` per field for invalid input"
_NEXT_CURSOR = "Pass it as `cursor` for the next page; null on the last page"


class UnionError(WireModel):
    """An error of a route neither platform has: FastPix's `success`/`error` and Livepeer's `errors` together, so
    either SDK reads it."""

    success: Literal[False] = Field(description=_SUCCESS)
    error: FastPixErrorDetail
    errors: list[str] = Field(min_length=1, description=_ERRORS, examples=[["revocation not found"]])


class RefusalDetail(FastPixErrorDetail):
    """The error of a refused token, FastPix's way, with its reason."""

    reason: str = Field(
        description="Why the token was refused (the same value as the top-level `reason`)",
        examples=[Rejection.EXPIRED.value],
    )


class TokenRefusal(WireModel):
    """A refused playback token: the union error shape, plus its reason (also in the `X-Refusal-Reason` header)."""

    success: Literal[False] = Field(description=_SUCCESS)
    error: RefusalDetail
    errors: list[str] = Field(min_length=1, description=_ERRORS, examples=[["this token's jti is revoked"]])
    reason: Rejection = Field(
        description="Why the token was refused: one of a fixed vocabulary (the operation's description lists them)"
    )


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
    mediaId: str = Field(description="The media the token opens", examples=[examples.MEDIA_ID])
    workspaceId: str = Field(description="The workspace whose key verified it", examples=[examples.WORKSPACE_ID])
    keyId: str = Field(description="The key that verified it", examples=[examples.KEY_ID])
    sub: Any = Field(description="The token's `sub`, as it had it (null when absent)", examples=[examples.MEDIA_ID])
    aud: Any = Field(
        description="The token's `aud`, as it had it (null when absent)", examples=[f"media:{examples.MEDIA_ID}"]
    )
    groups: Any = Field(description="The token's `groups`, as it had it (null when absent)", examples=[["premium"]])
    exp: int = Field(description="When the token expires, in epoch seconds", examples=[examples.TOKEN_EXPIRES_AT])


class Jwk(WireModel):
    """A public JWK (RFC 7517/7518/8037): RSA (n, e), EC P-256 (crv, x, y) or OKP Ed25519 (crv, x)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "kty": "EC",
                    "crv": "P-256",
                    "x": examples.JWK_X,
                    "y": examples.JWK_Y,
                    "kid": examples.KEY_ID,
                    "alg": "ES256",
                    "use": "sig",
                }
            ]
        }
    )
    kty: str = Field(description="The key type: RSA, EC or OKP", examples=["EC"])
    kid: str = Field(description="The key's id: a token's `kid`", examples=[examples.KEY_ID])
    alg: str = Field(description="The algorithm its tokens are signed with: RS256, ES256 or EdDSA", examples=["ES256"])
    use: str = Field(description="Always `sig`", examples=["sig"])
    key_ops: list[str] | SkipJsonSchema[None] = omitted_when_unset(
        description="What the key may do, when stated", examples=[["verify"]]
    )
    n: str | SkipJsonSchema[None] = omitted_when_unset(
        description="RSA modulus, base64url", examples=["0vx7agoebGc..."]
    )
    e: str | SkipJsonSchema[None] = omitted_when_unset(description="RSA exponent, base64url", examples=["AQAB"])
    crv: str | SkipJsonSchema[None] = omitted_when_unset(description="The curve: P-256 or Ed25519", examples=["P-256"])
    x: str | SkipJsonSchema[None] = omitted_when_unset(
        description="EC or OKP x coordinate, base64url", examples=[examples.JWK_X]
    )
    y: str | SkipJsonSchema[None] = omitted_when_unset(
        description="EC y coordinate, base64url", examples=[examples.JWK_Y]
    )


class JwkSet(WireModel):
    """An RFC 7517 JWK Set: the workspace's keys that verify right now."""

    keys: list[Jwk] = Field(description="Enabled keys not past their expiresAt; none for an unknown workspace")


class AuditEvent(WireModel):
    """One change: who (credential token id, source IP, request id), what (action and the id it acted on),
    when. Never key material, secrets or tokens."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": examples.AUDIT_EVENT_ID,
                    "createdAt": examples.CREATED_AT_MILLIS,
                    "action": AuditAction.KEY_ROTATE.value,
                    "workspaceId": examples.WORKSPACE_ID,
                    "tokenId": examples.CREDENTIAL_TOKEN_ID,
                    "keyId": examples.KEY_ID,
                    "successorKeyId": examples.SUCCESSOR_KEY_ID,
                    "sourceIp": examples.SOURCE_IP,
                    "requestId": examples.REQUEST_ID,
                }
            ]
        }
    )
    id: str = Field(description="The entry's id", examples=[examples.AUDIT_EVENT_ID])
    createdAt: int = Field(
        description="When the change was made, in epoch milliseconds", examples=[examples.CREATED_AT_MILLIS]
    )
    action: AuditAction
    workspaceId: str = Field(description="The workspace changed", examples=[examples.WORKSPACE_ID])
    tokenId: str = Field(
        description="The credential that made the change; `operator` for the admin tooling",
        examples=[examples.CREDENTIAL_TOKEN_ID],
    )
    keyId: str | SkipJsonSchema[None] = omitted_when_unset(
        description="The key a key.* action changed", examples=[examples.KEY_ID]
    )
    revocationId: str | SkipJsonSchema[None] = omitted_when_unset(
        description="The revocation a revocation.* action changed (never its value)", examples=[examples.REVOCATION_ID]
    )
    credentialTokenId: str | SkipJsonSchema[None] = omitted_when_unset(
        description="The credential a credential.* action changed", examples=["tok-ci"]
    )
    successorKeyId: str | SkipJsonSchema[None] = omitted_when_unset(
        description="The key a key.rotate action created", examples=[examples.SUCCESSOR_KEY_ID]
    )
    sourceIp: str | SkipJsonSchema[None] = omitted_when_unset(
        description="Where the request came from; absent for the admin tooling", examples=[examples.SOURCE_IP]
    )
    requestId: str = Field(description="API Gateway's request id", examples=[examples.REQUEST_ID])


class AuditEventPage(WireModel):
    """A page of the audit trail."""

    auditEvents: list[AuditEvent] = Field(description="Newest first")
    nextCursor: str | None = Field(description=_NEXT_CURSOR, examples=[examples.AUDIT_CURSOR])


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
TIME_UNITS = {"issuedBefore": "in epoch seconds"}
_REVOKED_NAMES = tuple(revocation_type.value for revocation_type in RevocationType)


class RevocationRequest(BaseModel):
    """Exactly one of jti, viewer and issuedBefore; an explicit null is a type error, not an absent field."""

    model_config = ConfigDict(
        extra="forbid",
        defer_build=True,
        json_schema_extra={
            "oneOf": [{"required": [name]} for name in _REVOKED_NAMES],
            "examples": [{"jti": examples.JTI, "reason": examples.REVOCATION_REASON}],
        },
    )
    jti: UnicodeText = Field(  # type: ignore[assignment]
        default=None,
        min_length=1,
        max_length=MAX_REVOCATION_VALUE_CHARS,
        description="Refuse the token(s) carrying this `jti` claim",
        examples=[examples.JTI],
    )
    viewer: UnicodeText = Field(  # type: ignore[assignment]
        default=None,
        min_length=1,
        max_length=MAX_REVOCATION_VALUE_CHARS,
        description="Refuse every token carrying this `viewer` claim",
        examples=[examples.VIEWER],
    )
    issuedBefore: StrictInt = Field(  # type: ignore[assignment]
        default=None,
        ge=0,
        description=(
            f"Epoch seconds, at most {MAX_ISSUED_BEFORE_LEAD_SECONDS} s from now: refuse every token whose `iat` is "
            "earlier, and every token without `iat`"
        ),
        examples=[examples.ISSUED_BEFORE],
    )
    reason: UnicodeText = Field(  # type: ignore[assignment]
        default=None,
        max_length=MAX_REVOCATION_REASON_CHARS,
        description="Why, for the audit and the listing (never shown to viewers)",
        examples=[examples.REVOCATION_REASON],
    )

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
    """A revocation in force."""

    omits_none: ClassVar[bool] = False  # expiresAt is sent as null; reason is left out when unset
    id: str = Field(description="The revocation's id: what delete takes", examples=[examples.REVOCATION_ID])
    type: Literal["jti", "viewer", "issuedBefore"] = Field(description="What it refuses by")
    value: str | int = Field(
        description="The `jti` or `viewer` revoked, or issuedBefore's epoch seconds", examples=[examples.JTI]
    )
    reason: str | SkipJsonSchema[None] = omitted_when_unset(
        description="Why, as it was given", examples=[examples.REVOCATION_REASON]
    )
    createdAt: int = Field(description="When it was made, in epoch milliseconds", examples=[examples.CREATED_AT_MILLIS])
    expiresAt: None = Field(
        default=None,
        description="Always null: a revocation stands until it is deleted, whatever the tokens it covers",
        examples=[None],
    )


class RevocationList(WireModel):
    """A page of the revocations in force."""

    omits_none: ClassVar[bool] = False  # its entries' null expiresAt
    revocations: list[RevocationEntry] = Field(description="Newest first")
    nextCursor: str | None = Field(description=_NEXT_CURSOR, examples=[examples.REVOCATION_CURSOR])


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
    """A token, and the media it should open."""

    model_config = ConfigDict(
        extra="forbid",
        defer_build=True,
        json_schema_extra={"examples": [{"token": examples.PLAYBACK_TOKEN, "mediaId": examples.MEDIA_ID}]},
    )
    token: StrictStr = Field(
        min_length=1,
        description="A playback JWT as a viewer would present it",
        examples=[examples.PLAYBACK_TOKEN],
    )
    mediaId: StrictStr = Field(
        pattern=MEDIA_ID.pattern,
        description="The media it should open (the {mediaId} of the playback URL)",
        examples=[examples.MEDIA_ID],
    )


class Verdict(WireModel):
    """What the playback route would answer."""

    omits_none: ClassVar[bool] = False
    status: int = Field(description="What the playback route would answer: 200, 401 or 403", examples=[403])
    reason: Rejection | None = Field(description="Why it would be refused; null when it plays")
    message: str = Field(description="What to fix, in words", examples=["this token's jti is revoked"])


class CheckResult(WireModel):
    """One stage of the verifier, and how the token fared in it."""

    stage: Stage = Field(description="The verifier's stage; they are listed in the order they run")
    result: Literal["passed", "failed", "skipped"] = Field(description="skipped: an earlier stage failed")
    reason: Rejection | None = Field(description="Why the stage failed; null unless it did")
    message: str | None = Field(
        description="What to fix, when the stage failed; null otherwise", examples=["this token's jti is revoked"]
    )


_CLAIMS_EXAMPLE: JsonDict = {
    "sub": examples.MEDIA_ID,
    "aud": f"media:{examples.MEDIA_ID}",
    "iat": examples.TOKEN_ISSUED_AT,
    "exp": examples.TOKEN_EXPIRES_AT,
    "jti": examples.JTI,
    "viewer": examples.VIEWER,
}
_REVOKED_AT = Stage.REVOCATIONS


def _check_example(stage: Stage) -> JsonValue:
    if stage is _REVOKED_AT:
        return {
            "stage": stage,
            "result": "failed",
            "reason": Rejection.JTI_REVOKED,
            "message": "this token's jti is revoked",
        }
    passed = list(Stage).index(stage) < list(Stage).index(_REVOKED_AT)
    return {"stage": stage, "result": "passed" if passed else "skipped", "reason": None, "message": None}


# The example token, judged after its jti was revoked.
_VERDICT_EXAMPLE: JsonDict = {
    "verdict": {"status": 403, "reason": Rejection.JTI_REVOKED, "message": "this token's jti is revoked"},
    "keyId": examples.KEY_ID,
    "checks": [_check_example(stage) for stage in Stage],
    "claims": _CLAIMS_EXAMPLE,
}


class TokenVerdict(WireModel):
    """The verdict a viewer would get at this moment, the key the token named, each check in order, and the
    token's claims. Nothing was changed: a single-use token stays unspent, lastSeen unwritten."""

    model_config = ConfigDict(json_schema_extra={"examples": [_VERDICT_EXAMPLE]})
    omits_none: ClassVar[bool] = False  # null says "none": no key named, no claims decoded
    verdict: Verdict
    keyId: str | None = Field(
        description="The key the token names in this workspace (`kid`, or derived from `pub`); null: none",
        examples=[examples.KEY_ID],
    )
    checks: list[CheckResult] = Field(description="Every stage, in the order the verifier runs them")
    claims: dict[str, Any] | None = Field(
        description="The token's claims as decoded (unverified unless it plays); null when it could not be read",
        examples=[_CLAIMS_EXAMPLE],
    )


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
