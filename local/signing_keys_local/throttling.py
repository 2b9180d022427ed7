"""Stage throttling as API Gateway applies it: a token bucket per method, with the method's own
`MethodSettings` limits or else the stage default (`ResourcePath: /*`, `HttpMethod: *`).

AWS: "Per-API, per-stage throttling limits are applied at the API method level for a stage" (API Gateway
developer guide, "Throttle requests to your REST APIs"): every method gets its own bucket, holding at most
`ThrottlingBurstLimit` tokens and refilled at `ThrottlingRateLimit` tokens a second. A request takes one token,
or is answered THROTTLED (429). The account- and Region-level limits are not emulated.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

Clock = Callable[[], float]

ANY_RESOURCE = "/*"
ANY_METHOD = "*"


@dataclass(frozen=True)
class ThrottleLimit:
    rate_per_second: float
    burst: int


class TokenBucket:
    def __init__(self, limit: ThrottleLimit, clock: Clock) -> None:
        self._limit = limit
        self._clock = clock
        self._tokens = float(limit.burst)  # a fresh stage accepts a full burst at once
        self._refilled_at = clock()
        self._lock = threading.Lock()

    def take(self) -> bool:
        """One request's token, if the bucket has one."""
        with self._lock:
            now = self._clock()
            earned = (now - self._refilled_at) * self._limit.rate_per_second
            self._tokens = min(float(self._limit.burst), self._tokens + earned)
            self._refilled_at = now
            if self._tokens < 1:
                return False
            self._tokens -= 1
            return True


def decode_resource_path(encoded: str) -> str:
    """CloudFormation's `ResourcePath` spelling back to the path: after the leading slash every `/` of the path
    is `~1`, so `/~1iam~1signing-keys` is `/iam/signing-keys`; `/` is the root and `/*` every resource."""
    if encoded in ("/", ANY_RESOURCE):
        return encoded
    return encoded.removeprefix("/").replace("~1", "/")


class StageThrottle:
    """The buckets of one stage: `limits` maps (resource path, HTTP method or `*`) to that method's limit."""

    def __init__(self, limits: dict[tuple[str, str], ThrottleLimit], clock: Clock = time.monotonic) -> None:
        self._limits = limits
        self._clock = clock
        self._buckets: dict[tuple[str, str], TokenBucket] = {}
        self._lock = threading.Lock()

    def limit_for(self, resource: str, method: str) -> ThrottleLimit | None:
        for key in ((resource, method), (resource, ANY_METHOD), (ANY_RESOURCE, ANY_METHOD)):
            if key in self._limits:
                return self._limits[key]
        return None

    def admits(self, resource: str, method: str) -> bool:
        """Whether a request to this method may pass now (taking its token); unlimited methods always pass."""
        limit = self.limit_for(resource, method)
        if limit is None:
            return True
        with self._lock:
            bucket = self._buckets.get((resource, method))
            if bucket is None:
                bucket = self._buckets[(resource, method)] = TokenBucket(limit, self._clock)
        return bucket.take()
