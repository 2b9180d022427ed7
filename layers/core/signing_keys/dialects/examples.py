"""The example values the OpenAPI document shows, one definition each, telling one story so that every
operation's examples agree: in workspace `dev` (the local runner's), key 0a3b5b46-… is created, listed, limited to
course 42 and rotated; a viewer plays movie-42 with a token whose `jti` is then revoked.

Never key material or a secret: private and public keys are abbreviated placeholders, and the playback token is
signed by no key. `tests/unit/test_openapi_examples.py` checks that the ids are ids this API hands out and that the
token and the edge location read as documented; `tests/api/test_documented_examples.py` that the listings accept
the cursors.
"""

from __future__ import annotations

from pydantic import JsonValue

WORKSPACE_ID = "dev"
KEY_ID = "0a3b5b46-ad56-8884-b864-f3d7f3136ad1"
SUCCESSOR_KEY_ID = "7c1e9f20-3b4d-8a55-9e61-0f2a8c4d6b13"
KEY_NAME = "course-42"
PROJECT_ID = "project-3f2a9c"
PRIVATE_KEY = "LS0t...(base64 of the PKCS#8 PEM, shown this once)"
PUBLIC_KEY = "LS0t...(base64 of the SPKI PEM)"
UPLOADED_PUBLIC_KEY = "LS0t...(your own public key: its PEM, or the PEM's base64)"
CREATED_AT_MILLIS = 1_768_469_400_000  # 2026-01-15T09:30:00Z
CREATED_AT_ISO = "2026-01-15T09:30:00.000Z"
LAST_SEEN_MILLIS = 1_768_473_000_000
EXPIRES_AT_MILLIS = 1_830_297_599_000  # 2027-12-31T23:59:59Z
EXPIRES_AT_ISO = "2027-12-31T23:59:59.000Z"
ALLOWED_MEDIA: list[JsonValue] = ["course-42-*", "intro"]
MAX_TOKEN_LIFETIME_SECONDS = 600
OVERLAP_SECONDS = 600

MEDIA_ID = "movie-42"
MEDIA_PATH = "720p/index.m3u8"
TOKEN_ISSUED_AT = 1_768_469_400
TOKEN_EXPIRES_AT = 1_768_470_000
JTI = "order-1234"
VIEWER = "viewer-7"
# header {"alg":"ES256","kid":KEY_ID,"typ":"JWT"}; claims {"sub":MEDIA_ID,"aud":"media:"+MEDIA_ID,"iat":
# TOKEN_ISSUED_AT,"exp":TOKEN_EXPIRES_AT,"jti":JTI,"viewer":VIEWER}; a signature of no key.
PLAYBACK_TOKEN = ".".join(
    (
        "eyJhbGciOiJFUzI1NiIsImtpZCI6IjBhM2I1YjQ2LWFkNTYtODg4NC1iODY0LWYzZDdmMzEzNmFkMSIsInR5cCI6IkpXVCJ9",
        "eyJzdWIiOiJtb3ZpZS00MiIsImF1ZCI6Im1lZGlhOm1vdmllLTQyIiwiaWF0IjoxNzY4NDY5NDAwLCJleHAiOjE3Njg0NzAwMDAsImp0aSI6"
        "Im9yZGVyLTEyMzQiLCJ2aWV3ZXIiOiJ2aWV3ZXItNyJ9",
        "LdMSrvSxjWlZ-TVLGkogeXz0ppKw3RElBDmytfOj9XORWXoms9JOptIiiCxcjw2LM27WXR_fUdghZar4ed4n-A",
    )
)
# Where the exchange redirects: an edge token for that viewer's session (its MAC made with a throwaway secret).
EDGE_LOCATION = (
    "/m/dev/movie-42/e1.5d0b8c3e-2f41-4a7b-9c6d-8e1f2a3b4c5d.0a3b5b46-ad56-8884-b864-f3d7f3136ad1.1768470000"
    ".1768469405.1768469400.b7bb7a5f-8ea5-89d6-863f-5c87b2d61c69..Nqdshe5IJhqT3MM_MPkQvaUWPrguXtisnIa5tRuGbL0"
    "/720p/index.m3u8"
)
# RFC 7517 appendix A.1's public P-256 key.
JWK_X = "MKBCTNIcKUSDii11ySs3526iDZ8AiTo7Tu6KPAqv7D4"
JWK_Y = "4Etl6SRW2YiLUrN5vfvVHuhp7x8PxltmWWlbbM4IFyM"

CREDENTIAL_TOKEN_ID = "tok-studio"  # noqa: S105 - a credential's public id, not its secret
SOURCE_IP = "203.0.113.7"
REQUEST_ID = "8d3e2c4a-1f7b-4e9a-b6c5-2a7d9e0f1b38"
AUDIT_EVENT_ID = "3f9c2a7e5b1d4e8fa06c9b2d71e4f385"
# The listings' cursors: base64url of the sort key of the last entry a page held.
AUDIT_CURSOR = "MDAxNzY4NDY5NDAwMDAwIzNmOWMyYTdlNWIxZDRlOGZhMDZjOWIyZDcxZTRmMzg1"
REVOCATION_ID = "b7bb7a5f-8ea5-89d6-863f-5c87b2d61c69"  # the revocation of JTI in WORKSPACE_ID
REVOCATION_CURSOR = "MTc2ODQ2OTQwMDAwMCNiN2JiN2E1Zi04ZWE1LTg5ZDYtODYzZi01Yzg3YjJkNjFjNjk"
REVOCATION_REASON = "leaked in a support ticket"
ISSUED_BEFORE = 1_768_469_400
