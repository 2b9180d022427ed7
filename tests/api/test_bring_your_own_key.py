"""Bring your own key: register a public key (RSA 2048-4096, P-256, Ed25519); no private key ever exists here."""

from __future__ import annotations

import base64

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes

from tests.support import LocalApi, basic, bearer


def public_pem(private_key: PrivateKeyTypes) -> str:
    return (
        private_key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def private_pem(private_key: PrivateKeyTypes) -> str:
    return private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


SUPPORTED = {
    "rsa-2048": lambda: rsa.generate_private_key(65537, 2048),
    "rsa-4096": lambda: rsa.generate_private_key(65537, 4096),
    "p-256": lambda: ec.generate_private_key(ec.SECP256R1()),
    "ed25519": ed25519.Ed25519PrivateKey.generate,
}


@pytest.mark.parametrize("kind", sorted(SUPPORTED))
@pytest.mark.parametrize("encoding", ["pem", "base64"])
def test_fastpix_registers_a_supported_public_key(api: LocalApi, kind: str, encoding: str) -> None:
    # Given a key pair made by the customer
    pem = public_pem(SUPPORTED[kind]())
    supplied = pem if encoding == "pem" else base64.b64encode(pem.encode()).decode()
    auth = basic(api.credential())
    # When only its public half is registered
    reply = api.request("POST", "/iam/signing-keys", authorization=auth, body={"publicKey": supplied})
    # Then it is stored, no private key is returned, and the stored public key is the one given
    assert reply.status == 201, reply.body
    assert "privateKey" not in reply.json()["data"]
    key_id = reply.json()["data"]["id"]
    detail = api.request("GET", f"/iam/signing-keys/{key_id}", authorization=auth).json()["data"]
    assert base64.b64decode(detail["publicKey"]).decode() == pem


def test_livepeer_registers_a_public_key_with_a_name(api: LocalApi) -> None:
    pem = public_pem(ec.generate_private_key(ec.SECP256R1()))
    reply = api.request(
        "POST",
        "/access-control/signing-key",
        authorization=bearer(api.credential()),
        body={"name": "mine", "publicKey": pem},
    )
    assert reply.status == 200
    assert "privateKey" not in reply.json()
    assert reply.json()["name"] == "mine"


@pytest.mark.parametrize(
    "key",
    [
        pytest.param(lambda: rsa.generate_private_key(65537, 1024), id="rsa-1024"),  # noqa: S505 - must be refused
        pytest.param(lambda: ec.generate_private_key(ec.SECP384R1()), id="p-384"),
        pytest.param(lambda: ec.generate_private_key(ec.SECP256K1()), id="secp256k1"),
    ],
)
def test_unsupported_public_keys_are_422(api: LocalApi, key: object) -> None:
    pem = public_pem(key())  # type: ignore[operator]
    reply = api.request(
        "POST", "/iam/signing-keys", authorization=basic(api.credential("ws-a")), body={"publicKey": pem}
    )
    assert reply.status == 422
    assert api.key_count("ws-a") == 0


@pytest.mark.parametrize(
    "supplied",
    [
        "",
        "garbage",
        "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n",
        base64.b64encode(b"\xff" * 90).decode(),
    ],
)
def test_malformed_public_keys_are_422(api: LocalApi, supplied: str) -> None:
    reply = api.request(
        "POST",
        "/access-control/signing-key",
        authorization=bearer(api.credential("ws-a")),
        body={"publicKey": supplied},
    )
    assert reply.status == 422
    assert set(reply.json()) == {"errors"}
    assert api.key_count("ws-a") == 0


@pytest.mark.parametrize("encoding", ["pem", "base64"])
def test_a_private_key_sent_by_mistake_is_422_and_never_echoed(api: LocalApi, encoding: str) -> None:
    pem = private_pem(ec.generate_private_key(ec.SECP256R1()))
    supplied = pem if encoding == "pem" else base64.b64encode(pem.encode()).decode()
    reply = api.request(
        "POST", "/iam/signing-keys", authorization=basic(api.credential("ws-a")), body={"publicKey": supplied}
    )
    assert reply.status == 422
    assert "private key" in reply.json()["error"]["message"]
    body = reply.body.decode()
    assert pem.splitlines()[1] not in body
    assert supplied[40:80] not in body
    assert api.key_count("ws-a") == 0
    assert "PRIVATE" not in str(api.table_items())


def test_registering_the_same_public_key_twice_is_422(api: LocalApi) -> None:
    pem = public_pem(ec.generate_private_key(ec.SECP256R1()))
    auth = basic(api.credential("ws-a"))
    assert api.request("POST", "/iam/signing-keys", authorization=auth, body={"publicKey": pem}).status == 201
    again = api.request("POST", "/iam/signing-keys", authorization=auth, body={"publicKey": pem})
    assert again.status == 422
    assert api.key_count("ws-a") == 1


# -- keys that would let anyone sign (issue 18, finding 3) ----------------------------------------------
ED25519_SPKI_PREFIX = bytes.fromhex("302a300506032b6570032100")
ED25519_P = 2**255 - 19


def ed25519_pem(encoded_point: bytes) -> str:
    der = ED25519_SPKI_PREFIX + encoded_point
    return (
        serialization.load_der_public_key(der)
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def rsa_pem(modulus: int, exponent: int = 65537) -> str:
    return (
        rsa.RSAPublicNumbers(exponent, modulus)
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def _odd_modulus_with_factor(factor: int, bits: int = 2048) -> int:
    # The cofactor's top bit set and odd: the product is odd, `bits` long, and divisible by `factor`.
    cofactor = (1 << (bits - factor.bit_length())) | 1
    while (cofactor * factor).bit_length() < bits:
        cofactor = cofactor * 2 + 1
    return cofactor * factor


def _sound_modulus() -> int:
    return rsa.generate_private_key(65537, 2048).public_key().public_numbers().n


WEAK_KEYS = {
    # The finding's key: the identity point (order 1), with which an all-zero signature verifies anything.
    "ed25519 identity (small order)": lambda: ed25519_pem(bytes([1]) + bytes(31)),
    "ed25519 order-2 point": lambda: ed25519_pem((ED25519_P - 1).to_bytes(32, "little")),
    "ed25519 non-canonical y = p": lambda: ed25519_pem(ED25519_P.to_bytes(32, "little")),
    "ed25519 non-canonical y = p + 1 (the identity again)": lambda: ed25519_pem((ED25519_P + 1).to_bytes(32, "little")),
    "rsa e = 3": lambda: public_pem(rsa.generate_private_key(3, 2048)),
    "rsa even modulus": lambda: rsa_pem(_sound_modulus() + 1),
    "rsa modulus with a small factor": lambda: rsa_pem(_odd_modulus_with_factor(7919)),
    "rsa over 4096 bits": lambda: rsa_pem(_odd_modulus_with_factor(104729, 4200)),
}


@pytest.mark.parametrize("name", sorted(WEAK_KEYS))
def test_public_keys_that_let_anyone_sign_are_422_and_never_echoed(api: LocalApi, name: str) -> None:
    # Given a public key with which signatures can be forged (or cannot be trusted)
    pem = WEAK_KEYS[name]()
    # When it is registered
    reply = api.request(
        "POST", "/iam/signing-keys", authorization=basic(api.credential("ws-a")), body={"publicKey": pem}
    )
    # Then it is refused, nothing is stored, and the answer does not echo it
    assert reply.status == 422, reply.body
    assert api.key_count("ws-a") == 0
    assert pem.splitlines()[1] not in reply.body.decode()
