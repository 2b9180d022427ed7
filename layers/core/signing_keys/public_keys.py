"""Public keys: parsing and checking a caller's upload, and loading a stored key for verification.

Only keys no one can forge signatures for pass (RSA 2048-4096 with e = 65537 and no small factors, P-256 on the
curve, Ed25519 canonical and not of small order). The verifier uses this module, never key generation (`keys`).
"""

from __future__ import annotations

import base64
import binascii
import math
from dataclasses import dataclass

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from signing_keys.errors import FieldError, InvalidInput
from signing_keys.key_ids import spki_der_from_pem
from signing_keys.limits import MAX_PUBLIC_KEY_CHARS
from signing_keys.models import Algorithm, SigningKey

RSA_MIN_BITS, RSA_MAX_BITS = 2048, 4096
RSA_PUBLIC_EXPONENT = 65537
VerifyingKey = rsa.RSAPublicKey | ec.EllipticCurvePublicKey | ed25519.Ed25519PublicKey


@dataclass(frozen=True, slots=True)
class PublicKey:
    algorithm: Algorithm
    public_key_pem: str


def public_pem(public_key: VerifyingKey) -> str:
    return public_key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode(
        "ascii"
    )


def _reject(message: str) -> InvalidInput:
    return InvalidInput([FieldError("publicKey", message)])


def _as_pem_text(supplied: str) -> str:
    text = supplied.strip()
    if "-----BEGIN" in text:
        return text
    try:
        return base64.b64decode("".join(text.split()), validate=True).decode("ascii").strip()
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise _reject("must be a PEM public key or its base64 encoding") from None


def _product_of_primes_below(limit: int) -> int:
    sieve = bytearray([1]) * limit
    sieve[:2] = b"\0\0"
    for n in range(2, math.isqrt(limit) + 1):
        if sieve[n]:
            sieve[n * n :: n] = bytes(len(range(n * n, limit, n)))
    return math.prod(n for n in range(limit) if sieve[n])


# One gcd with the product of the primes below 10,000 finds an even modulus or any small factor at once.
_SMALL_PRIMES_PRODUCT = _product_of_primes_below(10_000)


def _check_rsa(key: rsa.RSAPublicKey) -> None:
    """Refuse RSA keys with which signatures can be forged without the private key."""
    if not RSA_MIN_BITS <= key.key_size <= RSA_MAX_BITS:
        raise _reject(f"RSA keys must have {RSA_MIN_BITS} to {RSA_MAX_BITS} bits")
    numbers = key.public_numbers()
    if numbers.e != RSA_PUBLIC_EXPONENT:
        raise _reject(f"RSA keys must use the public exponent {RSA_PUBLIC_EXPONENT}")
    if math.gcd(numbers.n, _SMALL_PRIMES_PRODUCT) != 1:
        raise _reject("RSA modulus must be odd and without small prime factors")


_ED25519_P = 2**255 - 19
_ED25519_D = -121665 * pow(121666, -1, _ED25519_P) % _ED25519_P
# The y-coordinates of Ed25519's eight small-order points (each y but +-1 holds two, x and -x): the identity
# (1), order 2 (p - 1), order 4 (0) and order 8 (the two below). A signature can be forged for any of them.
_ED25519_SMALL_ORDER_Y = frozenset(
    {
        0,
        1,
        _ED25519_P - 1,
        2707385501144840649318225287225658788936804267575313519463743609750303402022,
        55188659117513257062467267217118295137698188065244968500265048394206261417927,
    }
)


def _check_ed25519(key: ed25519.Ed25519PublicKey) -> None:
    """Refuse encodings that are not a canonical point of large order (RFC 8032 section 5.1.3)."""
    encoded = int.from_bytes(key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw), "little")
    y = encoded & ((1 << 255) - 1)
    if y >= _ED25519_P:
        raise _reject("Ed25519 key is not canonically encoded")
    if y in _ED25519_SMALL_ORDER_Y:
        raise _reject("Ed25519 key is a small-order point")
    # x^2 = (y^2 - 1) / (d y^2 + 1) must have a root (Euler's criterion), or the encoding is no curve point.
    y2 = y * y % _ED25519_P
    x2 = (y2 - 1) * pow(_ED25519_D * y2 + 1, -1, _ED25519_P) % _ED25519_P
    if pow(x2, (_ED25519_P - 1) // 2, _ED25519_P) != 1:
        raise _reject("Ed25519 key is not a point on the curve")


def check_verifying_key(key: VerifyingKey) -> Algorithm:
    """The algorithm of a public key that is safe to verify with; InvalidInput (never echoing it) otherwise."""
    if isinstance(key, rsa.RSAPublicKey):
        _check_rsa(key)
        return Algorithm.RS256
    if isinstance(key, ec.EllipticCurvePublicKey):
        # `cryptography` refuses points off the curve when it loads them.
        if not isinstance(key.curve, ec.SECP256R1):
            raise _reject("EC keys must use the P-256 curve")
        return Algorithm.ES256
    _check_ed25519(key)
    return Algorithm.EDDSA


def load_spki(der: bytes) -> tuple[Algorithm, VerifyingKey]:
    """A public key from SPKI DER that is safe to verify with, and its algorithm.

    Registration checks uploads with it, and the verifier checks stored keys again when it loads them.
    """
    try:
        key = serialization.load_der_public_key(der)
    except (ValueError, UnsupportedAlgorithm):
        raise _reject("is not a valid public key") from None
    if not isinstance(key, VerifyingKey):
        raise _reject("must be an RSA, P-256 or Ed25519 public key")
    return check_verifying_key(key), key


def stored_verifying_key(key: SigningKey) -> VerifyingKey | None:
    """The verifying key of a stored key, or None when it must verify nothing: it does not parse, it is unsafe to
    verify with (stored before uploads were checked as they are now), or it is not of the algorithm stored with
    it. The verifier and the public JWKS both ask this, so a key one refuses the other never publishes."""
    der = spki_der_from_pem(key.public_key_pem)
    if der is None:
        return None
    try:
        algorithm, verifying_key = load_spki(der)
    except InvalidInput:
        return None
    return verifying_key if algorithm is key.algorithm else None


def parse_public_key(supplied: str) -> PublicKey:
    """Validate a caller's own public key; the error never echoes what was sent."""
    if len(supplied) > MAX_PUBLIC_KEY_CHARS:
        raise _reject(f"must be at most {MAX_PUBLIC_KEY_CHARS} characters")
    pem = _as_pem_text(supplied)
    if "PRIVATE KEY" in pem:
        raise _reject(
            "a private key was sent; it was not stored. Send only the public key, and treat that private key as exposed"
        )
    der = spki_der_from_pem(pem)
    if der is None:
        raise _reject("must be an SPKI public key (-----BEGIN PUBLIC KEY-----)")
    algorithm, key = load_spki(der)
    return PublicKey(algorithm, public_pem(key))
