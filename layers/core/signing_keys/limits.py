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
# Revocations: a jti or viewer value, and the reason a caller may note.
MAX_REVOCATION_VALUE_CHARS = 256
MAX_REVOCATION_REASON_CHARS = 256
# How far ahead of now an issuedBefore may lie (epoch seconds): room for the caller's clock, not a schedule.
MAX_ISSUED_BEFORE_LEAD_SECONDS = 60
# issuedBefore revocations live on the workspace item, which every cold verification reads and every key create
# updates: a bound keeps that item small (DynamoDB refuses items over 400 KB).
MAX_ACTIVE_CUTOFFS = 100
