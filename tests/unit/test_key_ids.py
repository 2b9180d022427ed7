"""Key ids per workspace (UUIDv8 of SHA-256 over the workspace and the SPKI DER), and the linear PEM parsing
both uploads and `pub` claims go through."""

from __future__ import annotations

import base64
import hashlib
import re
import uuid

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from signing_keys import keys
from signing_keys.key_ids import (
    KEY_ID_PATTERN,
    MAX_PUB_CLAIM_CHARS,
    key_id_for,
    key_id_for_pem,
    spki_der_from_pem,
    spki_der_from_pub_claim,
)
from signing_keys.models import Algorithm

PEM = keys.generate(Algorithm.ES256).public_key_pem
DER = base64.b64decode("".join(PEM.splitlines()[1:-1]))


def test_a_key_id_is_the_documented_uuidv8_of_the_workspace_and_the_public_key() -> None:
    # Given the layout from the design (shared decision 3)
    digest = hashlib.sha256(b"signing-key\0" + b"ws-a" + b"\0" + DER).digest()
    # When the id of that key in that workspace is made
    key_id = uuid.UUID(key_id_for("ws-a", DER))
    # Then it is the digest's first 128 bits with the version and variant set
    assert (key_id.version, key_id.variant) == (8, uuid.RFC_4122)
    masked = bytearray(digest[:16])
    masked[6] = (masked[6] & 0x0F) | 0x80
    masked[8] = (masked[8] & 0x3F) | 0x80
    assert key_id.bytes == bytes(masked)
    assert re.fullmatch(KEY_ID_PATTERN, str(key_id))


def test_the_same_public_key_in_two_workspaces_has_two_unrelated_ids() -> None:
    assert key_id_for("ws-a", DER) != key_id_for("ws-b", DER)
    assert key_id_for("ws-a", DER) == key_id_for_pem("ws-a", PEM)


def test_the_workspace_and_the_key_cannot_be_shifted_into_each_other() -> None:
    # The separator keeps "ws" + "-a…" and "ws-" + "a…" apart.
    assert key_id_for("ws", b"-a" + DER) != key_id_for("ws-a", DER)


@pytest.mark.parametrize(
    "variant",
    [
        pytest.param(PEM, id="as written"),
        pytest.param(PEM.replace("\n", "\r\n"), id="CRLF"),
        pytest.param("\n\n  " + PEM.replace("\n", "\n  ") + "\n\n", id="indented"),
        pytest.param(PEM.splitlines()[0] + "".join(PEM.splitlines()[1:-1]) + PEM.splitlines()[-1], id="one line"),
    ],
)
def test_whitespace_around_and_inside_the_pem_does_not_matter(variant: str) -> None:
    assert spki_der_from_pem(variant) == DER


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("", id="empty"),
        pytest.param("-----BEGIN PUBLIC KEY-----END PUBLIC KEY-----", id="overlapping armour"),
        pytest.param("-----BEGIN PUBLIC KEY-----\n-----END PUBLIC KEY-----", id="no body"),
        pytest.param(PEM + PEM, id="two blocks"),
        pytest.param(PEM.replace("PUBLIC KEY", "RSA PUBLIC KEY"), id="PKCS#1 armour"),
        pytest.param(PEM.replace("PUBLIC KEY", "PRIVATE KEY"), id="private armour"),
        pytest.param(PEM.strip() + "\ntrailing", id="trailing text"),
        pytest.param("-----BEGIN PUBLIC KEY-----\nA*==\n-----END PUBLIC KEY-----", id="not base64"),
        pytest.param("-----BEGIN PUBLIC KEY-----\n\u00e9\n-----END PUBLIC KEY-----", id="not ASCII"),
    ],
)
def test_anything_but_one_spki_block_has_no_der(text: str) -> None:
    assert spki_der_from_pem(text) is None


@pytest.mark.timeout(5)
@pytest.mark.parametrize("run", [" ", "\n", "\t", "A", "= "])
def test_an_8_kb_run_inside_the_armour_is_refused_in_bounded_work(run: str) -> None:
    # Given the adversarial review's shape: armour, then 8 KB of one repeated run (62 s of regex before)
    text = "-----BEGIN PUBLIC KEY-----" + run * (8192 // len(run)) + "A"
    # When it is parsed, Then it is refused, within the timeout
    assert spki_der_from_pem(text) is None
    assert spki_der_from_pub_claim(text) is None


def test_a_pub_claim_is_the_pem_or_its_base64() -> None:
    assert spki_der_from_pub_claim(PEM) == DER
    assert spki_der_from_pub_claim(base64.b64encode(PEM.encode()).decode()) == DER


def test_a_pub_claim_longer_than_any_accepted_key_needs_is_refused_unparsed() -> None:
    padded = base64.b64encode((PEM + " " * MAX_PUB_CLAIM_CHARS).encode()).decode()
    assert spki_der_from_pub_claim(padded) is None


def test_the_largest_accepted_key_fits_in_a_pub_claim() -> None:
    # Given a 4096-bit RSA public key (the largest accepted) written with CRLF line ends
    modulus = (1 << 4095) | (1 << 2000) | 1  # only its size matters here
    pem = (
        rsa.RSAPublicNumbers(65537, modulus)
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
        .replace("\n", "\r\n")
    )
    # When it travels base64-encoded in a pub claim, Then it is still parsed
    assert spki_der_from_pub_claim(base64.b64encode(pem.encode()).decode()) is not None
