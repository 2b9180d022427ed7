"""The first stage of verification: everything that can be refused without a key, in work linear in the token.

A token is decoded once (capped at 8 KB): three base64url segments of strict JSON objects (no duplicate names,
no NaN), an `alg` that is not `none`, no key-carrying or critical headers, and the claims the verifier reads of
the types it expects. No regular expression with overlapping quantifiers ever touches it.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from signing_keys.rejections import Rejection, TokenRejected

MAX_TOKEN_BYTES = 8192
FORBIDDEN_HEADERS = frozenset({"jku", "jwk", "x5u", "x5c", "crit"})
# Character classes disjoint from the separators, so matching is linear in the token.
_COMPACT_JWS = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+", re.ASCII)
# NumericDate claims are whole seconds from the epoch to the end of year 9999; anything else is no date.
LATEST_NUMERIC_DATE = 253_402_300_799
_DATE_CLAIMS = ("exp", "iat", "nbf")
_STRING_CLAIMS = ("sub", "iss", "kid", "pub", "jti", "viewer")


@dataclass(frozen=True, slots=True)
class ScreenedToken:
    """A token that passed every check needing no key, its parts decoded once."""

    header: dict[str, Any]
    claims: dict[str, Any]
    signing_input: bytes
    signature: bytes


def _object_without_duplicates(members: list[tuple[str, Any]]) -> dict[str, Any]:
    # Parsers disagree on which duplicate wins; a token that depends on it is no token.
    obj = dict(members)
    if len(obj) != len(members):
        raise ValueError("duplicate member")
    return obj


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


_STRICT_JSON = json.JSONDecoder(object_pairs_hook=_object_without_duplicates, parse_constant=_refuse_constant)


def _b64url(segment: str, part: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
    except (binascii.Error, ValueError):
        raise TokenRejected(Rejection.MALFORMED, f"the {part} is not base64url") from None


def _json_object(segment: str, part: str) -> dict[str, Any]:
    try:
        value = _STRICT_JSON.decode(_b64url(segment, part).decode("utf-8"))
    # Invalid UTF-8 and JSON are ValueErrors; nesting deeper than the interpreter's limit is a RecursionError
    # (8 KB of brackets reaches it in microseconds); integers over 4,300 digits are refused by int() itself.
    except (ValueError, RecursionError):
        raise TokenRejected(
            Rejection.MALFORMED, f"the {part} is not strict JSON (UTF-8, no repeated names, no NaN)"
        ) from None
    if not isinstance(value, dict):
        raise TokenRejected(Rejection.MALFORMED, f"the {part} is not a JSON object")
    return value


def _check_header(header: Mapping[str, Any]) -> None:
    alg = header.get("alg")
    if not isinstance(alg, str) or alg.lower() == "none":
        raise TokenRejected(Rejection.MALFORMED, "the header's alg must name a signature algorithm (never none)")
    if not isinstance(header.get("kid", ""), str):
        raise TokenRejected(Rejection.MALFORMED, "the header's kid must be a string")
    carried = sorted(FORBIDDEN_HEADERS & header.keys())
    if carried:
        raise TokenRejected(
            Rejection.FORBIDDEN_HEADER,
            f"the header carries {', '.join(carried)}: keys come from this service, never from the token",
        )


def _date_problem(name: str, value: Any) -> str | None:
    """Why a NumericDate claim is not one, in words a developer can act on; None when it is."""
    if type(value) is int and 0 <= value <= LATEST_NUMERIC_DATE:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
        return f"{name} must be a JSON integer of seconds since the epoch, not {value}.0"
    if isinstance(value, float):
        return f"{name} must be whole seconds since the epoch (a JSON integer), not a fraction"
    if type(value) is int and value > LATEST_NUMERIC_DATE:
        return (
            f"{name} {value} lies past year 9999: NumericDate claims are seconds since the epoch; this looks like "
            "milliseconds (JavaScript's Date.now()): divide by 1000"
        )
    if type(value) is int:
        return f"{name} must not be negative"
    return f"{name} must be a JSON integer of seconds since the epoch, not a {type(value).__name__}"


def _check_claim_types(claims: Mapping[str, Any]) -> None:
    """Claims the verifier reads have the types it expects, so no later stage meets a surprise."""
    if "exp" not in claims:
        raise TokenRejected(Rejection.MISSING_EXP, "exp (seconds since the epoch) is required")
    for name in _DATE_CLAIMS:
        problem = _date_problem(name, claims[name]) if name in claims else None
        if problem is not None:
            raise TokenRejected(Rejection.INVALID_CLAIMS, problem)
    for name in _STRING_CLAIMS:
        if name in claims and not isinstance(claims[name], str):
            raise TokenRejected(Rejection.INVALID_CLAIMS, f"{name} must be a string")
    audience = claims.get("aud", "")
    if not isinstance(audience, str) and not (
        isinstance(audience, list) and all(isinstance(item, str) for item in audience)
    ):
        raise TokenRejected(Rejection.INVALID_CLAIMS, "aud must be a string or a list of strings")
    # A single-use token is consumed by its jti: without one there is nothing to mark used.
    single_use = claims.get("single_use", False)
    if not isinstance(single_use, bool):
        raise TokenRejected(Rejection.INVALID_CLAIMS, "single_use must be true or false")
    if single_use and "jti" not in claims:
        raise TokenRejected(Rejection.INVALID_CLAIMS, "a single_use token needs a jti, by which it is spent")


def screen(token: str) -> ScreenedToken:
    """The token's decoded parts, or TokenRejected for anything refusable without a key."""
    if len(token) > MAX_TOKEN_BYTES:
        raise TokenRejected(Rejection.OVERSIZE, f"the token is longer than {MAX_TOKEN_BYTES} bytes")
    if not token.isascii() or not _COMPACT_JWS.fullmatch(token):
        raise TokenRejected(Rejection.MALFORMED, "not a JWS in compact form: three base64url segments joined by dots")
    header_segment, payload_segment, signature_segment = token.split(".")
    header = _json_object(header_segment, "header")
    _check_header(header)
    claims = _json_object(payload_segment, "payload")
    _check_claim_types(claims)
    signing_input = token[: len(header_segment) + 1 + len(payload_segment)].encode("ascii")
    return ScreenedToken(header, claims, signing_input, _b64url(signature_segment, "signature"))
