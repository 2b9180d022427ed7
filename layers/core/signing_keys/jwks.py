"""RFC 7517 JWK Set of a workspace's usable keys, so customers can verify tokens at their own edge."""

from __future__ import annotations

from typing import Any

from cryptography.hazmat.primitives import serialization
from jwt.algorithms import ECAlgorithm, OKPAlgorithm, RSAAlgorithm

from signing_keys.models import Algorithm, SigningKey

_JWK_WRITERS = {Algorithm.RS256: RSAAlgorithm, Algorithm.ES256: ECAlgorithm, Algorithm.EDDSA: OKPAlgorithm}


def jwk(key: SigningKey) -> dict[str, Any]:
    public_key = serialization.load_pem_public_key(key.public_key_pem.encode("ascii"))
    fields: dict[str, Any] = _JWK_WRITERS[key.algorithm].to_jwk(public_key, as_dict=True)  # type: ignore[attr-defined]
    return {**fields, "kid": key.key_id, "alg": key.algorithm.value, "use": "sig"}


def jwk_set(keys: list[SigningKey], now: float) -> dict[str, Any]:
    """The keys that verify at `now` (epoch seconds): neither disabled nor expired."""
    return {"keys": [jwk(key) for key in keys if not key.disabled and not key.policy.expired(now)]}
