"""`python -m signing_keys_tools.tokens sign`: mint a playback token with a key this API returned (for tests,
demos and the README's round trips; production backends sign with their own JWT library)."""

from __future__ import annotations

import argparse
import base64
import sys
import time
import uuid
from collections.abc import Sequence
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa


def _signing_algorithm(private_key: Any) -> str:
    if isinstance(private_key, rsa.RSAPrivateKey):
        return "RS256"
    if isinstance(private_key, ec.EllipticCurvePrivateKey) and isinstance(private_key.curve, ec.SECP256R1):
        return "ES256"
    if isinstance(private_key, ed25519.Ed25519PrivateKey):
        return "EdDSA"
    raise ValueError("unsupported private key: use the RSA, P-256 or Ed25519 key this API returned")


def sign(
    private_key_text: str,
    key_id: str,
    media_id: str,
    lifetime_seconds: int,
    now: float | None = None,
    *,
    jti: str | None = None,
    viewer: str | None = None,
    single_use: bool = False,
) -> str:
    """A playback token for `media_id` that both bindings accept: `sub` (Livepeer) and `aud` (FastPix).

    `jti` and `viewer` are claims a revocation can name; a single-use token needs a jti and gets a random one
    when none is given.
    """
    text = private_key_text.strip()
    pem = text if "-----BEGIN" in text else base64.b64decode(text, validate=True).decode("ascii")
    private_key = serialization.load_pem_private_key(pem.encode("ascii"), password=None)
    issued = int(time.time() if now is None else now)
    claims: dict[str, Any] = {
        "sub": media_id,
        "aud": f"media:{media_id}",
        "iat": issued,
        "exp": issued + lifetime_seconds,
    }
    if single_use:
        claims["single_use"] = True
        jti = jti or str(uuid.uuid4())
    if jti is not None:
        claims["jti"] = jti
    if viewer is not None:
        claims["viewer"] = viewer
    algorithm = _signing_algorithm(private_key)
    return jwt.encode(claims, private_key, algorithm=algorithm, headers={"kid": key_id})  # type: ignore[arg-type]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m signing_keys_tools.tokens", description="Mint a playback token.")
    commands = parser.add_subparsers(dest="command", required=True)
    mint = commands.add_parser("sign", help="print a signed playback token")
    mint.add_argument(
        "--key", required=True, help="private key file (PEM, or the API's base64 privateKey); - for stdin"
    )
    mint.add_argument("--kid", required=True, help="the signing key id")
    mint.add_argument("--media", required=True, help="the media (playback) id the token is for")
    mint.add_argument("--lifetime", type=int, default=3600, help="seconds until it expires (default 3600)")
    mint.add_argument("--jti", help='the token\'s id (jti claim): what POST /revocations {"jti"} revokes')
    mint.add_argument("--viewer", help='the viewer claim: what POST /revocations {"viewer"} revokes')
    mint.add_argument(
        "--single-use", action="store_true", help="verifies once only (single_use claim; a random jti unless --jti)"
    )
    args = parser.parse_args(argv)
    try:
        with sys.stdin if args.key == "-" else open(args.key, encoding="ascii") as source:
            key_text = source.read()
        print(
            sign(
                key_text,
                args.kid,
                args.media,
                args.lifetime,
                jti=args.jti,
                viewer=args.viewer,
                single_use=args.single_use,
            )
        )
    except (OSError, ValueError, TypeError) as error:
        # Never the key itself: only what kind of problem it was.
        print(f"error: cannot sign with that key: {type(error).__name__}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
