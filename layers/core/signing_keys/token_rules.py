"""What a playback token must be, and why one is refused, in words: the part of the descriptions of the operations
that judge tokens (the route table's) which they share. Built from the limits the verifier enforces and the
refusal vocabulary (`rejections`), so the document says what is enforced.

Free of heavy imports: the route table imports it, and the authorizers read the route table on every cold start.
"""

from __future__ import annotations

from signing_keys.config import Settings
from signing_keys.rejections import MEANINGS, Rejection, status_of
from signing_keys.token_screen import FORBIDDEN_HEADERS, MAX_TOKEN_BYTES

_FORBIDDEN = ", ".join(f"`{name}`" for name in sorted(FORBIDDEN_HEADERS))

TOKEN_CLAIMS = f"""**The token**: a JWS in compact form (at most {MAX_TOKEN_BYTES} bytes), signed with one of this \
workspace's keys, with the algorithm the key was stored with (RS256, ES256 or EdDSA; never `none`; no {_FORBIDDEN} \
header). Only the route's workspace's keys verify: another workspace's key is an unknown key here.

| claims | FastPix style | Livepeer style |
|---|---|---|
| the key | `kid`: the key id, in the header (or a claim) | `pub`: its public key (PEM or base64 PEM), or `kid` |
| the media | `aud: "media:<mediaId>"` (a string, or a list holding it) | `sub: "<mediaId>"` |
| expiry | `exp`: required, a JSON integer of seconds since the epoch | the same |
| optional | `iat`, `nbf` (integer seconds) | the same |

When `aud` holds a `media:` value only it binds the media; otherwise `sub` does. Either style may add `jti` and \
`viewer` (strings a revocation can name) and `single_use: true` (with a `jti`: the first successful verification \
spends it). The lifetime (`exp` - `iat`, or `exp` - now without `iat`) is at most MaxTokenLifetimeSeconds \
(default {Settings.max_token_lifetime_seconds}) and the key's own `maxTokenLifetimeSeconds`; every time is \
honoured with {Settings.clock_skew_seconds} s of clock skew."""


def _reason_row(reason: Rejection) -> str:
    return f"| `{reason.value}` | {status_of(reason)} | {MEANINGS[reason]} |"


REFUSAL_REASONS = "\n".join(
    [
        "**Refusal reasons**: 401 for a token that is not valid, 403 for a valid one that may not open this media "
        "(any more).",
        "",
        "| reason | status | meaning |",
        "|---|---|---|",
        *(_reason_row(reason) for reason in Rejection),
    ]
)
