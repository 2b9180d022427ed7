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
