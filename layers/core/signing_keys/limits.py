"""Size limits of what callers send, one definition each: the dialects' request models, the OpenAPI document
and the key parser all read them from here, so what is documented is what is enforced.

Free of heavy imports: handlers that only read keys import it too.
"""

from __future__ import annotations

# A 4096-bit RSA SPKI PEM (the largest key accepted) is about 800 characters, its base64 about 1,100.
MAX_PUBLIC_KEY_CHARS = 4096
MAX_NAME_CHARS = 256
MAX_PROJECT_ID_CHARS = 128
# Paged listings (audit events): entries per page, and a cursor's length (ours are 64 characters).
MAX_PAGE_SIZE = 1000
DEFAULT_PAGE_SIZE = 100
MAX_CURSOR_CHARS = 128

# Key policies (design.md §8): how many media patterns a key may name, the shortest per-key token lifetime
# (the longest is the deployment's MaxTokenLifetimeSeconds), and how long a rotated key may keep verifying.
MAX_ALLOWED_MEDIA = 50
MIN_KEY_TOKEN_LIFETIME_SECONDS = 60
MAX_ROTATION_OVERLAP_SECONDS = 604_800  # a week
DEFAULT_ROTATION_OVERLAP_SECONDS = 3_600
# Epoch milliseconds of the last moment of year 9999: no later expiry is a date.
LATEST_EPOCH_MILLIS = 253_402_300_799_999
