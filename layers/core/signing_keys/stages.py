"""The verifier's stages by name, and what explaining a token reports of them: a leaf the dialects render, free of
the verifier's own (heavy) imports. The order of `Stage` is the order the verifier runs them (verification.py)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Literal

from signing_keys.rejections import Rejection


class Stage(StrEnum):
    """A stage of the verifier: screen (size, shape, claim types, header; no key needed), key (the key the token
    names, in the route's workspace), signature, times (exp, nbf, iat, lifetime), media (issuer, media binding),
    policy (the key's state and allowedMedia), revocations, spend (a single-use token)."""

    SCREEN = "screen"  # size, shape, strict JSON, claim types, alg, forbidden headers: no key needed
    KEY = "key"  # the key the token names, in the route's workspace only, safe to verify with
    SIGNATURE = "signature"  # with the stored key's algorithm, never the token's
    TIMES = "times"  # exp, nbf and iat with clock skew, the lifetime cap (deployment's and key's)
    MEDIA = "media"  # the accepted issuers, then the media binding (aud media:<id>, else sub)
    POLICY = "policy"  # the key's state and policy: disabled, expired, allowedMedia
    REVOCATIONS = "revocations"  # jti, viewer, issuedBefore
    SPEND = "spend"  # a single-use token is spent, last of all


Outcome = Literal["passed", "failed", "skipped"]


@dataclass(frozen=True, slots=True)
class StageResult:
    stage: Stage
    outcome: Outcome  # "skipped": an earlier stage failed
    reason: Rejection | None = None
    message: str | None = None


@dataclass(frozen=True, slots=True)
class Explanation:
    """The verdict a viewer would get, the key the token named, each stage's result in order, and the claims."""

    status: int
    reason: Rejection | None
    message: str
    key_id: str | None
    checks: tuple[StageResult, ...]
    claims: dict[str, Any] | None = None
