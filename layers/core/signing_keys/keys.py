"""Key generation and public-key parsing. Imported only on the create and verify paths: it loads OpenSSL."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from signing_keys.errors import FieldError, InvalidInput
from signing_keys.limits import MAX_PUBLIC_KEY_CHARS
from signing_keys.models import Algorithm

RSA_BITS = 2048
RSA_MIN_BITS, RSA_MAX_BITS = 2048, 4096


@dataclass(frozen=True, slots=True)
class KeyPair:
    algorithm: Algorithm
    private_key_pem: str
    public_key_pem: str


@dataclass(frozen=True, slots=True)
class PublicKey:
    algorithm: Algorithm
    public_key_pem: str


def generate(algorithm: Algorithm) -> KeyPair:
    private_key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey
    if algorithm is Algorithm.RS256:
        private_key = rsa.generate_private_key(public_exponent=65537, key_size=RSA_BITS)
    elif algorithm is Algorithm.ES256:
        private_key = ec.generate_private_key(ec.SECP256R1())
    else:
        private_key = ed25519.Ed25519PrivateKey.generate()
    private_pem = private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode("ascii")
    return KeyPair(algorithm, private_pem, _public_pem(private_key.public_key()))


def _public_pem(public_key: rsa.RSAPublicKey | ec.EllipticCurvePublicKey | ed25519.Ed25519PublicKey) -> str:
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


def parse_public_key(supplied: str) -> PublicKey:
    """Validate a caller's own public key; the error never echoes what was sent."""
    if len(supplied) > MAX_PUBLIC_KEY_CHARS:
        raise _reject(f"must be at most {MAX_PUBLIC_KEY_CHARS} characters")
    pem = _as_pem_text(supplied)
    if "PRIVATE KEY" in pem:
        raise _reject(
            "a private key was sent; it was not stored. Send only the public key, and treat that private key as exposed"
        )
    if not pem.startswith("-----BEGIN PUBLIC KEY-----"):
        raise _reject("must be an SPKI public key (-----BEGIN PUBLIC KEY-----)")
    try:
        key = serialization.load_pem_public_key(pem.encode("ascii"))
    except (ValueError, UnsupportedAlgorithm, UnicodeEncodeError):
        raise _reject("is not a valid public key") from None
    if isinstance(key, rsa.RSAPublicKey):
        if not RSA_MIN_BITS <= key.key_size <= RSA_MAX_BITS:
            raise _reject(f"RSA keys must have {RSA_MIN_BITS} to {RSA_MAX_BITS} bits")
        return PublicKey(Algorithm.RS256, _public_pem(key))
    if isinstance(key, ec.EllipticCurvePublicKey):
        if not isinstance(key.curve, ec.SECP256R1):
            raise _reject("EC keys must use the P-256 curve")
        return PublicKey(Algorithm.ES256, _public_pem(key))
    if isinstance(key, ed25519.Ed25519PublicKey):
        return PublicKey(Algorithm.EDDSA, _public_pem(key))
    raise _reject("must be an RSA, P-256 or Ed25519 public key")
