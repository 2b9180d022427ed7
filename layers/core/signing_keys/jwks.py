"""RFC 7517 JWK Set of a workspace's usable keys, so customers can verify tokens at their own edge."""

from __future__ import annotations

from typing import Any

from jwt.algorithms import ECAlgorithm, OKPAlgorithm, RSAAlgorithm

from signing_keys.models import Algorithm, SigningKey
from signing_keys.public_keys import VerifyingKey, stored_verifying_key

_JWK_WRITERS = {Algorithm.RS256: RSAAlgorithm, Algorithm.ES256: ECAlgorithm, Algorithm.EDDSA: OKPAlgorithm}


def jwk(key: SigningKey, verifying_key: VerifyingKey) -> dict[str, Any]:
    fields: dict[str, Any] = _JWK_WRITERS[key.algorithm].to_jwk(verifying_key, as_dict=True)  # type: ignore[attr-defined]
    return {**fields, "kid": key.key_id, "alg": key.algorithm.value, "use": "sig"}


def jwk_set(keys: list[SigningKey], now: float) -> dict[str, Any]:
    """The keys that verify at `now` (epoch seconds): neither disabled nor expired, and passing the checks the
    verifier applies to a stored key (a key it refuses, e.g. one stored before uploads were checked, must not be
    published: a partner verifying from this set would accept forgeries)."""
    published = []
    for key in keys:
        if key.disabled or key.policy.expired(now):
            continue
        verifying_key = stored_verifying_key(key)
        if verifying_key is not None:
            published.append(jwk(key, verifying_key))
    return {"keys": published}
