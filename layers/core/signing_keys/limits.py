"""Size limits of what callers send, one definition each: the dialects' request models, the OpenAPI document
and the key parser all read them from here, so what is documented is what is enforced.

Free of heavy imports: handlers that only read keys import it too.
"""

from __future__ import annotations

# A 4096-bit RSA SPKI PEM (the largest key accepted) is about 800 characters, its base64 about 1,100.
MAX_PUBLIC_KEY_CHARS = 4096
MAX_NAME_CHARS = 256
MAX_PROJECT_ID_CHARS = 128
# Paged listings (audit events, revocations): entries per page, and a cursor's length (ours are 64 to 67).
MAX_PAGE_SIZE = 1000
DEFAULT_PAGE_SIZE = 100
MAX_CURSOR_CHARS = 128

# Key policies (README "Key policies and rotation"): how many media patterns a key may name, the shortest
# per-key token lifetime (the longest is the deployment's MaxTokenLifetimeSeconds), and how long a rotated key
# may keep verifying.
MAX_ALLOWED_MEDIA = 50
MIN_KEY_TOKEN_LIFETIME_SECONDS = 60
MAX_ROTATION_OVERLAP_SECONDS = 604_800  # a week
DEFAULT_ROTATION_OVERLAP_SECONDS = 3_600
# Epoch milliseconds of the last moment of year 9999: no later expiry is a date.
LATEST_EPOCH_MILLIS = 253_402_300_799_999

# Revocations: a jti or viewer value, and the reason a caller may note.
MAX_REVOCATION_VALUE_CHARS = 256
MAX_REVOCATION_REASON_CHARS = 256
# How far ahead of now an issuedBefore may lie (epoch seconds): room for the caller's clock, not a schedule.
MAX_ISSUED_BEFORE_LEAD_SECONDS = 60
# issuedBefore revocations live on the workspace item, which every cold verification reads and every key create
# updates: a bound keeps that item small (DynamoDB refuses items over 400 KB).
MAX_ACTIVE_CUTOFFS = 100
