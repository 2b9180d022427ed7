"""Key generation, on the create and rotate paths only: it makes the private key that is returned once."""

from __future__ import annotations

from dataclasses import dataclass

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from signing_keys.models import Algorithm
from signing_keys.public_keys import RSA_PUBLIC_EXPONENT, public_pem

RSA_BITS = 2048


@dataclass(frozen=True, slots=True)
class KeyPair:
    algorithm: Algorithm
    private_key_pem: str
    public_key_pem: str


def generate(algorithm: Algorithm) -> KeyPair:
    private_key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey
    if algorithm is Algorithm.RS256:
        private_key = rsa.generate_private_key(public_exponent=RSA_PUBLIC_EXPONENT, key_size=RSA_BITS)
    elif algorithm is Algorithm.ES256:
        private_key = ec.generate_private_key(ec.SECP256R1())
    else:
        private_key = ed25519.Ed25519PrivateKey.generate()
    private_pem = private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode("ascii")
    return KeyPair(algorithm, private_pem, public_pem(private_key.public_key()))
