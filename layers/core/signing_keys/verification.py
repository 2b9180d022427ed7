"""Playback token verification, as an ordered list of named stages: the order is the security contract.

    screen → key → signature → times → media → policy → revocations → spend

`screen` refuses what needs no key (signing_keys.token_screen); `key` finds the key in the route's workspace only
(signing_keys.key_loader, cached KeyCacheMillis); `signature` verifies with the stored key's algorithm, never the
token's; `times`, `media`, `policy` and `revocations` are checked only on a token whose signature holds, so a
forgery learns nothing about the key's policy or its revocations; `spend` consumes a single-use token last, so a
token refused for any other reason is never spent. Each refusal carries a reason (signing_keys.rejections) and a
message saying what to fix.

`verify` is what a viewer gets (the playback route, the exchange, the authorizer); `explain` runs the same stages
for the key's owner (`POST /tokens/verify`) and reports each one, without spending a single-use token or writing
lastSeen. (Minting: `python -m signing_keys_tools.tokens`.)
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from signing_keys.cache import Clock
from signing_keys.config import Settings
from signing_keys.key_ids import KEY_ID_LENGTH, KEY_ID_PATTERN, key_id_for, revocation_id_for, spki_der_from_pub_claim
from signing_keys.key_loader import KeyLoader, UnsafeKey, UsableKey, VerifierStore
from signing_keys.models import Revocation, RevocationType, SigningKey
from signing_keys.observability import count, logger
from signing_keys.patterns import media_allowed
from signing_keys.rejections import Rejection, TokenRejected
from signing_keys.stages import Explanation, Stage, StageResult
from signing_keys.store.keys import KeyRepository
from signing_keys.token_screen import ScreenedToken, screen

_KEY_ID = re.compile(KEY_ID_PATTERN)
# The claims a revocation can name, in the order they are checked.
_REVOCABLE_CLAIMS = (RevocationType.JTI, RevocationType.VIEWER)
_REVOKED = {RevocationType.JTI: Rejection.JTI_REVOKED, RevocationType.VIEWER: Rejection.VIEWER_REVOKED}
_MEDIA_AUDIENCE = "media:"


class Mode(Enum):
    PLAY = "play"  # a viewer's request: spends a single-use token, writes lastSeen, counts metrics
    EXPLAIN = "explain"  # the owner's question: changes nothing


@dataclass(frozen=True, slots=True)
class VerifiedToken:
    key: SigningKey
    claims: dict[str, Any]


@dataclass(slots=True)
class Attempt:
    """One verification: what the stages were given, and what each found for the next."""

    token: str
    workspace_id: str
    media_id: str
    now: float
    mode: Mode
    screened: ScreenedToken | None = None
    key_id: str | None = None
    usable: UsableKey | None = None
    revocations: tuple[Revocation, ...] = ()

    @property
    def claims(self) -> dict[str, Any]:
        assert self.screened is not None  # every stage after `screen` runs only once it passed
        return self.screened.claims

    @property
    def key(self) -> UsableKey:
        assert self.usable is not None  # every stage after `key` runs only once it passed
        return self.usable


def revocation_ids_of(workspace_id: str, claims: Mapping[str, Any]) -> dict[RevocationType, str]:
    """The ids of the revocations that would name this token's jti and viewer (a value no revocation can hold
    has none)."""
    ids = {}
    for revocation_type in _REVOCABLE_CLAIMS:
        value = claims.get(revocation_type.value)
        revocation_id = None if value is None else revocation_id_for(workspace_id, revocation_type.value, value)
        if revocation_id is not None:
            ids[revocation_type] = revocation_id
    return ids


def _iso(epoch_seconds: float) -> str:
    return datetime.fromtimestamp(epoch_seconds, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _media_binding_problem(claims: Mapping[str, Any], media_id: str) -> str | None:
    """Why the token is not for `media_id`, or None. A `media:` audience alone binds when the token has one
    (FastPix); otherwise `sub` does (Livepeer). Disagreeing claims never open two media."""
    audience = claims.get("aud")
    audiences = audience if isinstance(audience, list) else [] if audience is None else [audience]
    media_audiences = [item for item in audiences if item.startswith(_MEDIA_AUDIENCE)]
    wanted = _MEDIA_AUDIENCE + media_id
    if media_audiences:
        if wanted in media_audiences:
            return None
        return f"aud names {', '.join(media_audiences)}, not {wanted}"
    subject = claims.get("sub")
    if subject == media_id:
        return None
    if media_id in audiences:
        return f'aud "{media_id}" needs the media: prefix: "aud": "{wanted}" (or "sub": "{media_id}")'
    if subject is None:
        return f'the token names no media: set "aud": "{wanted}" (FastPix style) or "sub": "{media_id}" (Livepeer)'
    return f'sub "{subject}" is another media than "{media_id}"'


class TokenVerifier:
    def __init__(
        self,
        store: VerifierStore,
        settings: Settings,
        *,
        clock: Clock = time.monotonic,
        now: Callable[[], float] = time.time,
    ) -> None:
        """`clock` (monotonic seconds) ages the caches; `now` (epoch seconds) judges the token's times."""
        self._settings = settings
        self._now = now
        self.loader = KeyLoader(store, settings.key_cache_millis, clock=clock)
        # The contract, in order: each stage runs only if every one before it passed.
        self.stages: tuple[tuple[Stage, Callable[[Attempt], None]], ...] = (
            (Stage.SCREEN, self._screen),
            (Stage.KEY, self._find_key),
            (Stage.SIGNATURE, self._check_signature),
            (Stage.TIMES, self._check_times),
            (Stage.MEDIA, self._check_media),
            (Stage.POLICY, self._check_policy),
            (Stage.REVOCATIONS, self._check_revocations),
            (Stage.SPEND, self._spend),
        )

    @classmethod
    def from_settings(cls, settings: Settings) -> TokenVerifier:
        return cls(KeyRepository.connect(settings.table_name), settings)

    # -- the two ways in ---------------------------------------------------------------------------------------
    def verify(self, token: str, workspace_id: str, media_id: str) -> VerifiedToken:
        """The token's claims if one of `workspace_id`'s usable keys signed it for `media_id`; TokenRejected
        otherwise. A single-use token is spent; lastSeen is recorded."""
        attempt = Attempt(token, workspace_id, media_id, self._now(), Mode.PLAY)
        try:
            for _, check in self.stages:
                check(attempt)
        except TokenRejected as rejected:
            count("TokensRejected", reason=rejected.reason.value)
            logger.info("playback token rejected", extra={"reason": rejected.reason.value})
            raise
        count("TokensVerified")
        self._record_use(attempt.key, attempt.now)
        return VerifiedToken(key=attempt.key.key, claims=attempt.claims)

    def explain(self, token: str, workspace_id: str, media_id: str) -> Explanation:
        """What `verify` would answer at this moment, stage by stage, changing nothing: a single-use token is
        looked up, never spent, and lastSeen is not written."""
        attempt = Attempt(token, workspace_id, media_id, self._now(), Mode.EXPLAIN)
        results: list[StageResult] = []
        refusal: TokenRejected | None = None
        for stage, check in self.stages:
            if refusal is not None:
                results.append(StageResult(stage, "skipped"))
                continue
            try:
                check(attempt)
            except TokenRejected as rejected:
                refusal = rejected
                results.append(StageResult(stage, "failed", rejected.reason, rejected.message))
            else:
                results.append(StageResult(stage, "passed"))
        claims = None if attempt.screened is None else attempt.screened.claims
        if refusal is None:
            return Explanation(200, None, "the token plays this media", attempt.key_id, tuple(results), claims)
        return Explanation(refusal.status, refusal.reason, refusal.message, attempt.key_id, tuple(results), claims)

    # -- the stages --------------------------------------------------------------------------------------------
    @staticmethod
    def _screen(attempt: Attempt) -> None:
        attempt.screened = screen(attempt.token)

    def _find_key(self, attempt: Attempt) -> None:
        """`kid` from the header or the claims (FastPix), else the id the `pub` claim's key has in this workspace;
        then the key, from this workspace only: another tenant's key is no key here."""
        screened = attempt.screened
        assert screened is not None
        kid = screened.header.get("kid", screened.claims.get("kid"))
        if kid is not None:
            if len(kid) != KEY_ID_LENGTH or not _KEY_ID.fullmatch(kid):
                raise TokenRejected(Rejection.UNKNOWN_KEY, "kid is not a signing key id (a 36-character UUID)")
            attempt.key_id = kid
        else:
            pub = screened.claims.get("pub")
            if pub is None:
                raise TokenRejected(
                    Rejection.UNKNOWN_KEY, "the token names no key: put its id in kid (header or claim), or pub"
                )
            der = spki_der_from_pub_claim(pub)
            if der is None:
                raise TokenRejected(Rejection.UNKNOWN_KEY, "pub is not a public key (PEM, or its base64)")
            attempt.key_id = key_id_for(attempt.workspace_id, der)
        revocation_ids = list(revocation_ids_of(attempt.workspace_id, screened.claims).values())
        loaded = self.loader.load(attempt.workspace_id, attempt.key_id, revocation_ids)
        if isinstance(loaded.key, UnsafeKey):
            raise TokenRejected(
                Rejection.UNKNOWN_KEY,
                f"key {attempt.key_id} was stored before keys were checked and signatures for it could be forged: "
                "it verifies nothing; rotate it",
            )
        if not isinstance(loaded.key, UsableKey):
            raise TokenRejected(
                Rejection.UNKNOWN_KEY, f"workspace {attempt.workspace_id} has no signing key {attempt.key_id}"
            )
        attempt.usable = loaded.key
        attempt.revocations = loaded.revocations

    @staticmethod
    def _check_signature(attempt: Attempt) -> None:
        """With the stored key's algorithm, never the token's."""
        screened, usable = attempt.screened, attempt.key
        assert screened is not None
        algorithm = usable.key.algorithm.value
        if screened.header["alg"] != algorithm:
            raise TokenRejected(
                Rejection.ALGORITHM_MISMATCH,
                f"the token's alg is {screened.header['alg']}, but key {usable.key.key_id} signs with {algorithm}",
            )
        if not usable.algorithm.verify(screened.signing_input, usable.verifying_key, screened.signature):
            raise TokenRejected(Rejection.BAD_SIGNATURE, f"the signature does not verify with key {usable.key.key_id}")

    def _check_times(self, attempt: Attempt) -> None:
        claims, now, skew = attempt.claims, attempt.now, self._settings.clock_skew_seconds
        expires, issued, not_before = claims["exp"], claims.get("iat"), claims.get("nbf")
        if expires <= now - skew:
            raise TokenRejected(
                Rejection.EXPIRED,
                f"expired at {_iso(expires)} ({now - expires:.0f} s ago; {skew} s of clock skew allowed)",
            )
        for name, moment in (("nbf", not_before), ("iat", issued)):
            if moment is not None and moment > now + skew:
                raise TokenRejected(
                    Rejection.NOT_YET_VALID,
                    f"{name} {_iso(moment)} lies {moment - now:.0f} s in the future ({skew} s of clock skew allowed)",
                )
        # A key's own cap only lowers the deployment's (which may have been lowered since the key's was set).
        longest, whose = self._settings.max_token_lifetime_seconds, "the deployment's MaxTokenLifetimeSeconds"
        key_cap = attempt.key.key.policy.max_token_lifetime_seconds
        if key_cap is not None and key_cap < longest:
            longest, whose = key_cap, f"key {attempt.key.key.key_id}'s maxTokenLifetimeSeconds"
        lifetime = expires - (now if issued is None else issued)
        if lifetime > longest + skew:
            basis = "exp - iat" if issued is not None else "exp - now, as it has no iat"
            raise TokenRejected(
                Rejection.LIFETIME_TOO_LONG,
                f"lives {lifetime:.0f} s ({basis}); at most {longest} s are allowed ({whose})",
            )

    def _check_media(self, attempt: Attempt) -> None:
        issuers = self._settings.allowed_issuers
        if issuers and attempt.claims.get("iss") not in issuers:
            raise TokenRejected(Rejection.WRONG_ISSUER, "iss is not one of this deployment's accepted issuers")
        problem = _media_binding_problem(attempt.claims, attempt.media_id)
        if problem is not None:
            raise TokenRejected(Rejection.WRONG_MEDIA, problem)

    @staticmethod
    def _check_policy(attempt: Attempt) -> None:
        """The key's state and policy, judged now: a cached key expires exactly on time."""
        key = attempt.key.key
        if key.disabled:
            raise TokenRejected(Rejection.DISABLED_KEY, f"key {key.key_id} is disabled")
        if key.policy.expired(attempt.now):
            assert key.policy.expires_at is not None
            moment = key.policy.expires_at.timestamp()
            raise TokenRejected(Rejection.KEY_EXPIRED, f"key {key.key_id} expired at {_iso(moment)}")
        if key.policy.allowed_media is not None and not media_allowed(key.policy.allowed_media, attempt.media_id):
            raise TokenRejected(
                Rejection.MEDIA_NOT_ALLOWED,
                f"key {key.key_id} may not open this media: its allowedMedia does not include it",
            )

    @staticmethod
    def _check_revocations(attempt: Attempt) -> None:
        """The token's jti and viewer are not revoked, and it was issued after the latest issuedBefore. Entries
        never lapse (signing_keys.revocations): one that exists refuses."""
        if attempt.revocations:
            revoked = attempt.revocations[0].type
            raise TokenRejected(_REVOKED[revoked], f"this token's {revoked.value} is revoked")
        cutoffs = attempt.key.cutoffs
        if cutoffs:
            latest = max(cutoff.issued_before for cutoff in cutoffs)
            issued = attempt.claims.get("iat")
            # Without iat, nothing tells the token was issued after the cut-off.
            if issued is None:
                raise TokenRejected(
                    Rejection.ISSUED_BEFORE,
                    f"the token has no iat, and the workspace refuses every token issued before {_iso(latest)}",
                )
            if issued < latest:
                raise TokenRejected(
                    Rejection.ISSUED_BEFORE,
                    f"issued at {_iso(issued)}, before the workspace's cut-off {_iso(latest)}: mint a new token",
                )

    def _spend(self, attempt: Attempt) -> None:
        """One conditional write: the first verification of a single-use token spends it, any later one is
        refused. The mark is kept until the token could no longer verify anyway (exp + skew). Explaining only
        looks."""
        claims = attempt.claims
        if claims.get("single_use") is not True:
            return
        store = self.loader.store
        if attempt.mode is Mode.EXPLAIN:
            spent = store.single_use_spent(attempt.workspace_id, claims["jti"])
        else:
            keep_until = claims["exp"] + self._settings.clock_skew_seconds
            spent = not store.consume_single_use(attempt.workspace_id, claims["jti"], keep_until=keep_until)
        if spent:
            raise TokenRejected(Rejection.SINGLE_USE_REPLAYED, "this single-use token was already used")

    # -- after a verification --------------------------------------------------------------------------------
    def _record_use(self, usable: UsableKey, now: float) -> None:
        """lastSeen at most once per interval per key and container, never failing verification: a failed write
        (throttling, a denied permission) is logged with its error code and counted (`LastSeenWriteFailures`),
        so it cannot stop silently. The cache entry remembers the last write (attempted, too), so warm hits
        never write."""
        now_ms = int(now * 1000)
        interval_seconds = self._settings.last_seen_interval_seconds
        if now_ms - usable.last_seen_ms < interval_seconds * 1000:
            return
        usable.last_seen_ms = now_ms
        try:
            self.loader.store.record_last_seen(usable.key.key_id, now_ms, interval_seconds)
        except (ClientError, BotoCoreError) as error:
            code = error.response.get("Error", {}).get("Code", "") if isinstance(error, ClientError) else ""
            count("LastSeenWriteFailures")
            logger.warning(
                "lastSeen write failed",
                extra={"key_id": usable.key.key_id, "error_type": type(error).__name__, "error_code": code},
            )
