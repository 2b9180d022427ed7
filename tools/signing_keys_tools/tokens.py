"""`python -m signing_keys_tools.tokens sign`: mint a playback token with a key this API returned (for tests,
demos and the README's round trips; production backends sign with their own JWT library)."""

from __future__ import annotations

import argparse
import base64
import json
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


# What the server accepts by default (MaxTokenLifetimeSeconds): a longer-lived token is refused, lifetime_too_long.
DEFAULT_MAX_LIFETIME_SECONDS = 86_400
KEY_FORMATS = (
    "a PEM private key, its base64 (the API's privateKey), or the JSON a create call answered "
    "(Livepeer: {id, privateKey}; FastPix: {success, data: {id, privateKey}})"
)


class UnusableKey(ValueError):
    """The key file is none of the formats the tool reads (the message says which, never the file's content)."""


def read_key(text: str) -> tuple[str, str | None]:
    """The private key text of a key file, and the key id when the file is a create call's JSON answer."""
    stripped = text.strip()
    if not stripped.startswith("{"):
        return stripped, None
    try:
        document = json.loads(stripped)
    except ValueError:
        raise UnusableKey(f"the file is not JSON; expected {KEY_FORMATS}") from None
    created = document.get("data", document) if isinstance(document, dict) else None
    if not isinstance(created, dict) or not isinstance(created.get("privateKey"), str):
        raise UnusableKey(
            f"the JSON has no privateKey (a key registered with its public key has none); expected {KEY_FORMATS}"
        )
    key_id = created.get("id")
    return created["privateKey"], key_id if isinstance(key_id, str) else None


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m signing_keys_tools.tokens", description="Mint a playback token.")
    commands = parser.add_subparsers(dest="command", required=True)
    mint = commands.add_parser("sign", help="print a signed playback token")
    mint.add_argument("--key", required=True, help=f"the key file: {KEY_FORMATS}; - for stdin")
    mint.add_argument("--kid", help="the signing key id (read from the key file when it is a create call's JSON)")
    mint.add_argument("--media", required=True, help="the media (playback) id the token is for")
    mint.add_argument("--lifetime", type=int, default=3600, help="seconds until it expires (default 3600)")
    mint.add_argument(
        "--max-lifetime",
        type=int,
        default=DEFAULT_MAX_LIFETIME_SECONDS,
        help="the deployment's MaxTokenLifetimeSeconds (default 86400): a longer --lifetime is refused here, as the "
        "server would refuse the token",
    )
    mint.add_argument("--jti", help='the token\'s id (jti claim): what POST /revocations {"jti"} revokes')
    mint.add_argument("--viewer", help='the viewer claim: what POST /revocations {"viewer"} revokes')
    mint.add_argument(
        "--single-use", action="store_true", help="verifies once only (single_use claim; a random jti unless --jti)"
    )
    args = parser.parse_args(argv)
    if not 0 < args.lifetime <= args.max_lifetime:
        print(
            f"error: --lifetime {args.lifetime} s: the server accepts 1 to {args.max_lifetime} s "
            "(MaxTokenLifetimeSeconds; refused as lifetime_too_long). A deployment that allows more: --max-lifetime",
            file=sys.stderr,
        )
        return 2
    try:
        with sys.stdin if args.key == "-" else open(args.key, encoding="utf-8") as source:
            key_text, file_key_id = read_key(source.read())
        key_id = args.kid or file_key_id
        if key_id is None:
            print("error: --kid is needed: the key file does not name its key", file=sys.stderr)
            return 2
        print(
            sign(
                key_text,
                key_id,
                args.media,
                args.lifetime,
                jti=args.jti,
                viewer=args.viewer,
                single_use=args.single_use,
            )
        )
    except UnusableKey as error:
        print(f"error: cannot sign with that key: {error}", file=sys.stderr)
        return 2
    except OSError as error:
        print(f"error: cannot read {args.key}: {error.strerror}", file=sys.stderr)
        return 2
    except (ValueError, TypeError, UnicodeDecodeError):
        # Never the key itself: only what was expected.
        print(f"error: cannot sign with that key: expected {KEY_FORMATS}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
