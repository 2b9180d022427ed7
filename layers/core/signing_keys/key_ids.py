"""Key ids derived from the public key, so a token's `pub` claim resolves to its key in one read.

The id is the SHA-256 of the SPKI DER, truncated to 128 bits and laid out as an RFC 9562 UUIDv8. The same
public key always maps to the same id, which also makes a duplicate upload a conditional-put failure.
This module is deliberately free of `cryptography` so handlers that only read keys stay light.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import uuid

KEY_ID_PATTERN = r"^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$"
_PUBLIC_PEM = re.compile(r"-----BEGIN PUBLIC KEY-----\s*([A-Za-z0-9+/=\s]+?)\s*-----END PUBLIC KEY-----", re.ASCII)


def key_id_for_der(spki_der: bytes) -> str:
    digest = bytearray(hashlib.sha256(spki_der).digest()[:16])
    digest[6] = (digest[6] & 0x0F) | 0x80  # version 8
    digest[8] = (digest[8] & 0x3F) | 0x80  # RFC 9562 variant
    return str(uuid.UUID(bytes=bytes(digest)))


def spki_der_from_pem(pem: str) -> bytes | None:
    """DER of the one SPKI `PUBLIC KEY` block in `pem`, or None when it holds no such block."""
    match = _PUBLIC_PEM.fullmatch(pem.strip())
    if match is None:
        return None
    try:
        return base64.b64decode("".join(match.group(1).split()), validate=True)
    except (binascii.Error, ValueError):
        return None


def key_id_for_pem(pem: str) -> str | None:
    der = spki_der_from_pem(pem)
    return None if der is None else key_id_for_der(der)
