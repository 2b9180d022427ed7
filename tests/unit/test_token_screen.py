"""Every malformed token is refused (401/403 reason) in bounded work, never with another exception: the
pre-screen by example and by Hypothesis, then the whole verifier over random tokens for real keys."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from signing_keys.config import Settings
from signing_keys.models import Algorithm
from signing_keys.rejections import Rejection, TokenRejected
from signing_keys.token_screen import LATEST_NUMERIC_DATE, ScreenedToken, screen
from signing_keys.verification import TokenVerifier
from tests.unit.verification_support import (
    MEDIA,
    WORKSPACE,
    FakeClock,
    KeyInHand,
    MemoryKeys,
    key_in_hand,
    quiet_rejections,
)


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def compact(header: bytes, payload: bytes, signature: bytes = b"\0" * 64) -> str:
    return ".".join(b64url(part) for part in (header, payload, signature))


HEADER = b'{"alg":"ES256","kid":"00000000-0000-8000-8000-000000000000"}'
LATER = int(time.time()) + 300


def claims(**extra: Any) -> bytes:
    return json.dumps({"sub": MEDIA, "exp": LATER, **extra}).encode()


def reason(token: str) -> Rejection | None:
    try:
        screen(token)
    except TokenRejected as rejected:
        return rejected.reason
    return None


def test_a_well_formed_token_passes_the_screen_with_its_parts_decoded_once() -> None:
    token = compact(HEADER, claims(), b"sig")
    screened = screen(token)
    assert screened == ScreenedToken(json.loads(HEADER), json.loads(claims()), token.rsplit(".", 1)[0].encode(), b"sig")


# -- 8 KB worst cases: each answered in microseconds (before: a minute of CPU, or a RecursionError) ---------
def _pub_of_spaces() -> str:
    prefix = f'{{"exp":{LATER},"pub":"-----BEGIN PUBLIC KEY-----'
    room = (8192 - len(b64url(HEADER)) - 2 - 4) * 3 // 4 - len(prefix) - 3
    return compact(HEADER, (prefix + " " * room + 'A"}').encode(), b"\0\0\0")


WORST_CASES: dict[str, tuple[Callable[[], str], Rejection | None]] = {
    # Refused at the key lookup (its pub names no key), never by a scan of the spaces.
    "pub claim: PEM header and 6,000 spaces": (_pub_of_spaces, None),
    "header: 5,900 nested arrays": (lambda: compact(b"[" * 5900, claims(), b"\0\0\0"), Rejection.MALFORMED),
    "payload: 6,000 nested arrays": (lambda: compact(HEADER, b"[" * 6000, b"\0\0\0"), Rejection.MALFORMED),
    "payload: 1,200 nested objects": (lambda: compact(HEADER, b'{"a":' * 1200, b"\0\0\0"), Rejection.MALFORMED),
    "payload: a 6,000-digit number": (
        lambda: compact(HEADER, b'{"exp":' + b"9" * 6000 + b"}", b"\0\0\0"),
        Rejection.MALFORMED,
    ),
    "9 KB token": (lambda: compact(HEADER, claims(pad="x" * 7000)), Rejection.OVERSIZE),
}


@pytest.mark.timeout(5)
@pytest.mark.parametrize("name", sorted(WORST_CASES))
def test_worst_case_tokens_are_answered_in_bounded_work(name: str) -> None:
    build, expected = WORST_CASES[name]
    # Given an 8 KB token built to make a parser work hard
    token = build()
    assert len(token) <= 8192 or expected is Rejection.OVERSIZE
    # When it is screened, Then the answer comes well within the timeout (microseconds; 62 s before the fix)
    assert reason(token) is expected


MALFORMED: dict[str, str] = {
    "not three segments": "a.b",
    "empty signature": compact(HEADER, claims()).rsplit(".", 1)[0] + ".",
    "non-ASCII": compact(HEADER, claims()) + "é",
    "base64 of impossible length": "a." + b64url(claims()) + ".AAAA",
    "header not UTF-8": compact(b"\xff\xfe", claims()),
    "payload not UTF-8": compact(HEADER, b'{"exp":1,"sub":"\xff"}'),
    "header a list": compact(b'["alg"]', claims()),
    "payload a string": compact(HEADER, b'"exp"'),
    "payload null": compact(HEADER, b"null"),
    "duplicate claim": compact(HEADER, b'{"exp":1,"sub":"a","sub":"b"}'),
    "duplicate header": compact(b'{"alg":"ES256","alg":"none"}', claims()),
    "NaN": compact(HEADER, b'{"exp":NaN}'),
    "Infinity": compact(HEADER, b'{"exp":Infinity}'),
    "alg missing": compact(b'{"kid":"x"}', claims()),
    "alg none": compact(b'{"alg":"nOnE"}', claims()),
    "alg not a string": compact(b'{"alg":256}', claims()),
    "kid not a string": compact(b'{"alg":"ES256","kid":7}', claims()),
}


@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_malformed_tokens_are_refused_before_any_lookup(name: str) -> None:
    assert reason(MALFORMED[name]) is Rejection.MALFORMED


INVALID_CLAIMS: dict[str, dict[str, Any]] = {
    "exp a string": {"exp": str(LATER)},
    "exp a float": {"exp": LATER + 0.5},
    "exp a whole float": {"exp": float(LATER)},
    "exp a boolean": {"exp": True},
    "exp negative": {"exp": -1},
    "exp past year 9999": {"exp": 10**12 * 1000},
    "iat a string": {"iat": "0"},
    "nbf a list": {"nbf": [0]},
    "sub a number": {"sub": 42},
    "iss an object": {"iss": {}},
    "kid claim a number": {"kid": 1},
    "pub claim a list": {"pub": ["-----BEGIN PUBLIC KEY-----"]},
    "aud a number": {"aud": 1},
    "aud a list holding a number": {"aud": ["media:x", 1]},
}


@pytest.mark.parametrize("name", sorted(INVALID_CLAIMS))
def test_claims_of_the_wrong_type_are_refused_before_any_lookup(name: str) -> None:
    assert reason(compact(HEADER, claims(**INVALID_CLAIMS[name]))) is Rejection.INVALID_CLAIMS


@pytest.mark.parametrize(("name", "moment"), [("nbf", 0), ("iat", 0), ("exp", LATEST_NUMERIC_DATE)])
def test_the_first_and_the_last_second_a_numeric_date_can_name_pass_the_screen(name: str, moment: int) -> None:
    # Given a token whose date claim is the epoch itself, or the last second of year 9999
    # When it is screened / Then it is a date like any other (later stages judge whether it is in time)
    assert reason(compact(HEADER, claims(**{name: moment}))) is None


def test_a_token_without_exp_is_refused_before_any_lookup() -> None:
    assert reason(compact(HEADER, b'{"sub":"m"}')) is Rejection.MISSING_EXP


@pytest.mark.parametrize("header", ["jku", "jwk", "x5u", "x5c", "crit"])
def test_key_carrying_and_critical_headers_are_refused(header: str) -> None:
    token = compact(json.dumps({"alg": "ES256", header: "x"}).encode(), claims())
    assert reason(token) is Rejection.FORBIDDEN_HEADER


# -- Hypothesis: whatever arrives, the answer is a rejection ----------------------------------------------
JSON_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=10**300, max_value=10**320),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=40),
)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)
CLAIM_NAMES = st.sampled_from(["exp", "iat", "nbf", "sub", "aud", "iss", "kid", "pub", "jti", "groups"])
HEADER_NAMES = st.sampled_from(["alg", "kid", "typ", "jku", "crit", "b64", "cty"])


def json_objects(names: st.SearchStrategy[str]) -> st.SearchStrategy[bytes]:
    members = st.dictionaries(names | st.text(max_size=8), JSON_VALUES, max_size=6)
    return members.map(lambda obj: json.dumps(obj).encode())


SEGMENTS = st.one_of(st.binary(max_size=200), json_objects(HEADER_NAMES), json_objects(CLAIM_NAMES))
TOKENS = st.one_of(
    st.text(max_size=300),
    st.tuples(SEGMENTS, SEGMENTS, st.binary(max_size=600)).map(lambda parts: compact(*parts)),
    st.tuples(json_objects(HEADER_NAMES), json_objects(CLAIM_NAMES), st.binary(max_size=600)).map(
        lambda parts: compact(*parts)
    ),
)


@pytest.mark.slow
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(TOKENS)
def test_the_screen_answers_any_input_with_parts_or_a_rejection(token: str) -> None:
    try:
        screened = screen(token)
    except TokenRejected as rejected:
        assert rejected.status in {401, 403}
    else:
        assert isinstance(screened, ScreenedToken)


@pytest.fixture(scope="module")
def keys_in_table() -> list[KeyInHand]:
    return [key_in_hand(algorithm) for algorithm in Algorithm]


ALGORITHMS = st.sampled_from(["RS256", "ES256", "EdDSA", "HS256", "none", "PS256"])


@pytest.mark.slow
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    which=st.integers(min_value=0, max_value=2),
    alg=ALGORITHMS,
    extra_header=st.dictionaries(HEADER_NAMES, JSON_VALUES, max_size=2),
    payload=st.dictionaries(CLAIM_NAMES, JSON_VALUES, max_size=3),
    signature=st.binary(max_size=600),
)
def test_the_verifier_refuses_random_tokens_naming_real_keys_with_a_reason(
    keys_in_table: list[KeyInHand],
    *,
    which: int,
    alg: str,
    extra_header: dict[str, Any],
    payload: dict[str, Any],
    signature: bytes,
) -> None:
    # Given an in-memory table with an RSA, a P-256 and an Ed25519 key, and a random token naming one of them
    store = MemoryKeys()
    for key in keys_in_table:
        store.put(key.key)
    named = keys_in_table[which].key
    header = json.dumps({"alg": alg, **extra_header, "kid": named.key_id}).encode()
    # (valid claims underneath, so many get as far as the signature check)
    token = compact(header, json.dumps({"sub": MEDIA, "exp": LATER, **payload}).encode(), signature)
    # When it is verified
    verifier = TokenVerifier(store, Settings(table_name="unused"), clock=FakeClock())
    # Then it is refused with a bounded reason (no random signature is valid), and nothing else escapes
    with quiet_rejections(), pytest.raises(TokenRejected) as refused:
        verifier.verify(token, WORKSPACE, MEDIA)
    assert refused.value.reason in set(Rejection)
