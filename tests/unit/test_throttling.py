"""Stage throttling: token buckets per method, the method's own limit or the stage default (a fake clock)."""

from __future__ import annotations

import pytest

from signing_keys_local.throttling import StageThrottle, ThrottleLimit, TokenBucket, decode_resource_path


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def admitted(bucket: TokenBucket, requests: int) -> int:
    return sum(bucket.take() for _ in range(requests))


def spent_bucket(clock: FakeClock, rate_per_second: float, burst: int) -> TokenBucket:
    bucket = TokenBucket(ThrottleLimit(rate_per_second, burst), clock)
    assert admitted(bucket, burst) == burst
    return bucket


def test_a_fresh_bucket_admits_a_full_burst_and_no_more() -> None:
    bucket = TokenBucket(ThrottleLimit(rate_per_second=10, burst=5), FakeClock())
    assert admitted(bucket, 8) == 5


def test_a_spent_bucket_refills_at_the_rate() -> None:
    # Given a spent bucket refilling 4 tokens a second
    clock = FakeClock()
    bucket = spent_bucket(clock, rate_per_second=4, burst=5)
    # When 0.75 s pass, then 3 more requests pass
    clock.now += 0.75
    assert admitted(bucket, 5) == 3


def test_a_bucket_never_holds_more_than_its_burst() -> None:
    clock = FakeClock()
    bucket = spent_bucket(clock, rate_per_second=10, burst=5)
    clock.now += 60
    assert admitted(bucket, 20) == 5


def test_a_zero_rate_never_refills() -> None:
    clock = FakeClock()
    bucket = spent_bucket(clock, rate_per_second=0, burst=1)
    clock.now += 3600
    assert admitted(bucket, 1) == 0


STAGE = {
    ("/*", "*"): ThrottleLimit(100, 2),
    ("/iam/signing-keys", "POST"): ThrottleLimit(100, 1),
}


def test_a_method_with_its_own_setting_uses_it() -> None:
    assert StageThrottle(STAGE).limit_for("/iam/signing-keys", "POST") == ThrottleLimit(100, 1)


def test_other_methods_of_the_same_resource_use_the_stage_default() -> None:
    assert StageThrottle(STAGE).limit_for("/iam/signing-keys", "GET") == ThrottleLimit(100, 2)


def test_each_method_has_its_own_bucket() -> None:
    # Given the stage default burst of 2 spent on one method
    throttle = StageThrottle(STAGE, FakeClock())
    assert [throttle.admits("/a", "GET") for _ in range(3)] == [True, True, False]
    # Then another method still has its own 2
    assert [throttle.admits("/b", "GET") for _ in range(2)] == [True, True]


def test_without_settings_nothing_is_throttled() -> None:
    throttle = StageThrottle({}, FakeClock())
    assert all(throttle.admits("/a", "GET") for _ in range(10_000))


@pytest.mark.parametrize(
    ("encoded", "path"),
    [
        ("/~1iam~1signing-keys", "/iam/signing-keys"),
        ("/~1access-control~1signing-key~1{keyId}", "/access-control/signing-key/{keyId}"),
        ("/*", "/*"),
        ("/", "/"),
    ],
)
def test_cloudformation_resource_paths_decode(encoded: str, path: str) -> None:
    assert decode_resource_path(encoded) == path
