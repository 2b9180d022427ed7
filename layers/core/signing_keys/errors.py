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


class Unauthenticated(SigningKeyError):
    status = 401
    message = "unauthorized"


class KeyLimitReached(SigningKeyError):
    status = 403
    message = "signing key limit reached for this workspace; delete a key to create another"


class KeyNotFound(SigningKeyError):
    status = 404
    message = "signing key not found"


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
