"""Public keys safe to verify with (finding 3 of the adversarial review): uploads are refused with 422, never
echoed, and the verifier refuses such a key even if one was stored before the checks existed."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from signing_keys.config import Settings
from signing_keys.errors import InvalidInput
from signing_keys.key_ids import key_id_for_pem
from signing_keys.models import Algorithm, SigningKey
from signing_keys.public_keys import parse_public_key
from signing_keys.rejections import Rejection, TokenRejected
from signing_keys.verification import TokenVerifier
from tests.unit.verification_support import MEDIA, WORKSPACE, FakeClock, MemoryKeys

P = 2**255 - 19
D = -121665 * pow(121666, -1, P) % P
SPKI_ED25519 = bytes.fromhex("302a300506032b6570032100")
# libsodium's published blocklist of small-order encodings (crypto_sign/ed25519/ref10/open.c), as the oracle.
LIBSODIUM_ORDER_8 = [
    "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
    "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
]


# -- an independent Edwards-curve oracle (RFC 8032 section 5.1.3 decoding, affine addition) ----------------
def decode(encoded: bytes) -> tuple[int, int] | None:
    value = int.from_bytes(encoded, "little")
    y, sign = value & ((1 << 255) - 1), value >> 255
    if y >= P:
        return None
    x2 = (y * y - 1) * pow(D * y * y + 1, -1, P) % P
    x = pow(x2, (P + 3) // 8, P)
    if (x * x - x2) % P:
        x = x * pow(2, (P - 1) // 4, P) % P
    if (x * x - x2) % P or (x == 0 and sign):
        return None
    return (P - x if x & 1 != sign else x), y


def add(a: tuple[int, int], b: tuple[int, int]) -> tuple[int, int]:
    t = D * a[0] * b[0] * a[1] * b[1] % P
    return (a[0] * b[1] + b[0] * a[1]) * pow(1 + t, -1, P) % P, (a[1] * b[1] + a[0] * b[0]) * pow(1 - t, -1, P) % P


def order_at_most_8(point: tuple[int, int]) -> bool:
    multiple = point
    for _ in range(8):
        if multiple == (0, 1):
            return True
        multiple = add(multiple, point)
    return False


def encode(x: int, y: int) -> bytes:
    return (y | (x & 1) << 255).to_bytes(32, "little")


def small_order_encodings() -> list[bytes]:
    """The eight canonical encodings of points of order 1, 2, 4 and 8, found and checked by the oracle."""
    points = set()
    for y in (0, 1, P - 1, *(int.from_bytes(bytes.fromhex(h), "little") for h in LIBSODIUM_ORDER_8)):
        for sign in (0, 1):
            point = decode((y | sign << 255).to_bytes(32, "little"))
            if point is not None and order_at_most_8(point):
                points.add(point)
    return sorted(encode(*point) for point in points)


def ed25519_pem(encoded: bytes) -> str:
    key = serialization.load_der_public_key(SPKI_ED25519 + encoded)
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def refusal(pem: str) -> str | None:
    try:
        parse_public_key(pem)
    except InvalidInput as refused:
        assert pem.splitlines()[1] not in refused.detail  # never echoed
        return refused.fields[0].message
    return None


def test_the_oracle_finds_exactly_eight_small_order_points() -> None:
    assert len(small_order_encodings()) == 8


@pytest.mark.parametrize("encoded", small_order_encodings(), ids=lambda e: e.hex()[:8] + "…" + e.hex()[-2:])
def test_every_small_order_ed25519_point_is_refused(encoded: bytes) -> None:
    assert refusal(ed25519_pem(encoded)) == "Ed25519 key is a small-order point"


NON_CANONICAL = [y + P for y in range(19)]  # y >= p still fits in 255 bits for y < 19


@pytest.mark.parametrize("y", NON_CANONICAL, ids=lambda y: f"p+{y - P}")
@pytest.mark.parametrize("sign", [0, 1])
def test_every_non_canonical_ed25519_encoding_is_refused(y: int, sign: int) -> None:
    assert refusal(ed25519_pem((y | sign << 255).to_bytes(32, "little"))) == "Ed25519 key is not canonically encoded"


def test_an_ed25519_encoding_that_is_no_curve_point_is_refused() -> None:
    off_curve = next(y for y in range(2, 100) if decode(y.to_bytes(32, "little")) is None)
    assert refusal(ed25519_pem(off_curve.to_bytes(32, "little"))) == "Ed25519 key is not a point on the curve"


def test_a_generated_ed25519_key_is_accepted() -> None:
    key = ed25519.Ed25519PrivateKey.generate().public_key()
    assert (
        refusal(key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode())
        is None
    )


def rsa_pem(modulus: int, exponent: int = 65537) -> str:
    key = rsa.RSAPublicNumbers(exponent, modulus).public_key()
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


SOUND_MODULUS = rsa.generate_private_key(65537, 2048).public_key().public_numbers().n


@pytest.mark.parametrize("exponent", [3, 17, 65535, 65539, 2**100 + 1])
def test_rsa_exponents_other_than_65537_are_refused(exponent: int) -> None:
    assert refusal(rsa_pem(SOUND_MODULUS, exponent)) == "RSA keys must use the public exponent 65537"


@pytest.mark.parametrize("factor", [2, 3, 7919, 9973])
def test_rsa_moduli_with_a_factor_below_10000_are_refused(factor: int) -> None:
    # Given a 2048-bit modulus divisible by `factor` (the smallest, a prime in between, the largest below 10,000)
    cofactor = (1 << (2048 - factor.bit_length())) + 1
    assert refusal(rsa_pem(cofactor * factor)) == "RSA modulus must be odd and without small prime factors"


@pytest.mark.parametrize("bits", [2047, 4097])
def test_rsa_moduli_outside_2048_to_4096_bits_are_refused(bits: int) -> None:
    assert refusal(rsa_pem((1 << (bits - 1)) | 1)) == "RSA keys must have 2048 to 4096 bits"


def test_a_p256_point_off_the_curve_is_refused() -> None:
    der = bytearray(
        ec.generate_private_key(ec.SECP256R1())
        .public_key()
        .public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    der[-1] ^= 1  # y no longer matches x
    pem = "-----BEGIN PUBLIC KEY-----\n" + base64.b64encode(bytes(der)).decode() + "\n-----END PUBLIC KEY-----\n"
    assert refusal(pem) == "is not a valid public key"


def test_a_forgeable_key_stored_before_the_checks_never_verifies_the_forgery() -> None:
    # Given the review's identity-point Ed25519 key already in the table (registered before uploads were checked)
    pem = ed25519_pem(bytes([1]) + bytes(31))
    key_id = key_id_for_pem(WORKSPACE, pem)
    assert key_id is not None
    store = MemoryKeys()
    store.put(SigningKey(key_id, WORKSPACE, Algorithm.EDDSA, pem, datetime.now(UTC)))
    # And the forgery: R = identity, S = 0, which such a key accepts for any message
    header = base64.urlsafe_b64encode(json.dumps({"alg": "EdDSA", "kid": key_id}).encode()).rstrip(b"=").decode()
    claims = base64.urlsafe_b64encode(json.dumps({"sub": MEDIA, "exp": 1_900_000_000}).encode()).rstrip(b"=")
    signature = base64.urlsafe_b64encode(bytes([1]) + bytes(63)).rstrip(b"=").decode()
    # When it is verified, Then the stored key is treated as no key at all
    verifier = TokenVerifier(store, Settings(table_name="unused"), clock=FakeClock(), now=lambda: 1_800_000_000)
    with pytest.raises(TokenRejected) as refused:
        verifier.verify(f"{header}.{claims.decode()}.{signature}", WORKSPACE, MEDIA)
    assert refused.value.reason is Rejection.UNKNOWN_KEY
