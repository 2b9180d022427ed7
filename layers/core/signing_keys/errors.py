"""Domain errors. Each carries a message that is safe to show a caller: never key material or input echoes."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class FieldError:
    field: str
    message: str


class SigningKeyError(Exception):
    """Base of every error the API answers with a 4xx/5xx in a dialect's shape."""

    status = 500
    message = "internal error"

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or self.message)

    @property
    def detail(self) -> str:
        return str(self.args[0])

    @property
    def headers(self) -> dict[str, str]:
        """HTTP headers that go with this answer (none by default)."""
        return {}


class Unauthenticated(SigningKeyError):
    status = 401
    message = "unauthorized"
    # Both schemes the management routes take (RFC 9110 §11.6.1); API Gateway's own 401 names the same.
    challenge = 'Basic realm="signing-keys", Bearer realm="signing-keys"'

    @property
    def headers(self) -> dict[str, str]:
        return {"WWW-Authenticate": self.challenge}


class TokenRefused(SigningKeyError):
    """A viewer's playback token refused (the playback route, the exchange): 401 for an invalid token, 403 for a
    valid one that may not open this media (any more). Its reason (signing_keys.rejections) travels in the body
    and in the `X-Refusal-Reason` header; the message says what to fix."""

    REASON_HEADER = "X-Refusal-Reason"
    # RFC 6750 §3: the token, not a credential, is what failed.
    challenge = 'Bearer realm="playback", error="invalid_token"'

    def __init__(self, status: int, reason: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.reason = reason

    @property
    def headers(self) -> dict[str, str]:
        headers = {self.REASON_HEADER: self.reason}
        if self.status == 401:
            headers["WWW-Authenticate"] = self.challenge
        return headers


class KeyLimitReached(SigningKeyError):
    status = 403
    message = "signing key limit reached for this workspace; delete a key to create another"


class ReadOnlyCredential(SigningKeyError):
    """A read-scoped credential asked for a change."""

    status = 403
    message = "this credential is read-only: it may list and get, but changes need a write-scoped credential"


class RevocationLimitReached(SigningKeyError):
    status = 403
    message = "too many issuedBefore revocations are active in this workspace; delete one to add another"


class NotFound(SigningKeyError):
    status = 404
    message = "not found"


class KeyNotFound(NotFound):
    """Also the answer for an id that cannot be a key and for another workspace's key: callers cannot tell."""

    message = "signing key not found"


class CredentialNotFound(NotFound):
    message = "no credential with that token id in this workspace"


class NoSuchRoute(NotFound):
    """A path no route of the API has; the answer names the nearest route (never the caller's own path)."""

    def __init__(self, method: str, path: str) -> None:
        super().__init__(f"no route matches this path; did you mean {method} {path}?")


class RevocationNotFound(NotFound):
    """Unknown, expired, of another shape, or another workspace's: callers cannot tell which."""

    message = "revocation not found"


class MethodNotAllowed(SigningKeyError):
    status = 405
    message = "method not allowed"

    def __init__(self, allowed: tuple[str, ...]) -> None:
        super().__init__()
        self.allowed = allowed

    @property
    def headers(self) -> dict[str, str]:
        return {"Allow": ", ".join(self.allowed)}


class PayloadTooLarge(SigningKeyError):
    status = 413
    message = "request body too large"


class UnsupportedMediaType(SigningKeyError):
    status = 415
    message = "Content-Type must be application/json"


class InvalidInput(SigningKeyError):
    status = 422
    message = "invalid request"

    def __init__(self, fields: list[FieldError], message: str | None = None) -> None:
        super().__init__(message or "; ".join(f"{f.field}: {f.message}" for f in fields))
        self.fields = fields


class ServiceUnavailable(SigningKeyError):
    """The store throttled, timed out or kept conflicting after bounded retries."""

    status = 503
    message = "service temporarily unavailable, retry later"
    retry_after_seconds = 1

    @property
    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after_seconds)}
