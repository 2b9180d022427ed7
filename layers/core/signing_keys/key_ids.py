"""Ids derived from what they name: a signing key's from the workspace and the public key, so a token's `pub`
claim resolves to its key in one read; a revocation's from the workspace, its type and its value, so verification
finds the revocation of a token's `jti` or `viewer` by computing its id.

The id is SHA-256(b"signing-key\\0" + workspace id + b"\\0" + SPKI DER), truncated to 128 bits and laid out as
an RFC 9562 UUIDv8. The workspace is part of the hash: the same public key in two workspaces is two unrelated
keys, so deleting it in one never lets the other's copy verify the first one's tokens, and registering it
never collides with (or reveals) another tenant's key. Within one workspace, a duplicate upload is a
conditional-put failure. Revocation ids are laid out the same way from SHA-256(b"revocation\\0" + workspace id +
b"\\0" + type + b"\\0" + value), in their own domain. Ids are opaque to callers.

Parsing here is linear in the input (no regular expression on attacker text), and the module is free of
`cryptography` so handlers that only read keys stay light.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import uuid

from signing_keys.limits import MAX_REVOCATION_VALUE_CHARS

# Both kinds of id are UUIDv8 of a SHA-256 digest.
KEY_ID_PATTERN = r"^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$"
KEY_ID_LENGTH = 36
REVOCATION_ID_PATTERN = KEY_ID_PATTERN
_DOMAIN = b"signing-key\0"
_REVOCATION_DOMAIN = b"revocation\0"
_BEGIN, _END = "-----BEGIN PUBLIC KEY-----", "-----END PUBLIC KEY-----"
# A 4096-bit RSA SPKI PEM, the largest key accepted, is 800 characters; room for CRLF line ends and padding.
MAX_PUBLIC_PEM_CHARS = 1024
# ...and the base64 of that PEM, as a Livepeer `pub` claim carries it.
MAX_PUB_CLAIM_CHARS = 4 * -(-MAX_PUBLIC_PEM_CHARS // 3)


def _uuid8(material: bytes) -> str:
    digest = bytearray(hashlib.sha256(material).digest()[:16])
    digest[6] = (digest[6] & 0x0F) | 0x80  # version 8
    digest[8] = (digest[8] & 0x3F) | 0x80  # RFC 9562 variant
    return str(uuid.UUID(bytes=bytes(digest)))


def key_id_for(workspace_id: str, spki_der: bytes) -> str:
    return _uuid8(_DOMAIN + workspace_id.encode("utf-8") + b"\0" + spki_der)


def revocation_id_for(workspace_id: str, revocation_type: str, value: str | int) -> str | None:
    """None for a value no revocation can hold (longer than allowed, or not encodable as UTF-8: JSON lets lone
    surrogates through). The value comes last, so one holding NUL cannot be read as another split."""
    text = str(value)
    if len(text) > MAX_REVOCATION_VALUE_CHARS:
        return None
    try:
        material = b"\0".join(part.encode("utf-8") for part in (workspace_id, revocation_type, text))
    except UnicodeEncodeError:
        return None
    return _uuid8(_REVOCATION_DOMAIN + material)


def spki_der_from_pem(pem: str) -> bytes | None:
    """DER of `pem` when it is exactly one SPKI `PUBLIC KEY` block (whitespace aside), else None."""
    text = pem.strip()
    if len(text) > MAX_PUBLIC_PEM_CHARS or not (text.startswith(_BEGIN) and text.endswith(_END)):
        return None
    body = "".join(text[len(_BEGIN) : len(text) - len(_END)].split())
    if not body:  # also covers armour lines that overlap each other
        return None
    try:
        return base64.b64decode(body, validate=True)
    except (binascii.Error, ValueError):
        return None


def spki_der_from_pub_claim(pub: str) -> bytes | None:
    """DER of a `pub` claim: the PEM itself, or its base64 (Livepeer); None when it is neither."""
    if len(pub) > MAX_PUB_CLAIM_CHARS:
        return None
    if pub.lstrip().startswith(_BEGIN):
        return spki_der_from_pem(pub)
    try:
        pem = base64.b64decode(pub, validate=True).decode("ascii")
    except (binascii.Error, ValueError):
        return None
    return spki_der_from_pem(pem)


def key_id_for_pem(workspace_id: str, pem: str) -> str | None:
    der = spki_der_from_pem(pem)
    return None if der is None else key_id_for(workspace_id, der)
