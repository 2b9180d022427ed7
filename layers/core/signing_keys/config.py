"""Runtime configuration, parsed once per container from the environment that template.yaml sets."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass


class ConfigurationError(RuntimeError):
    """The function's environment is incomplete or malformed; the container must not serve."""


def _int(env: Mapping[str, str], name: str, default: int, minimum: int, maximum: int | None = None) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise ConfigurationError(f"{name} must be an integer, got {raw!r}") from exc
    if value < minimum:
        raise ConfigurationError(f"{name} must be at least {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise ConfigurationError(f"{name} must be at most {maximum}, got {value}")
    return value


def _list(env: Mapping[str, str], name: str) -> tuple[str, ...]:
    """A comma-separated variable (CloudFormation joins a CommaDelimitedList so)."""
    return tuple(item.strip() for item in env.get(name, "").split(",") if item.strip())


@dataclass(frozen=True)
class Settings:
    table_name: str
    key_limit: int = 10
    max_token_lifetime_seconds: int = 86_400
    clock_skew_seconds: int = 30
    allowed_issuers: tuple[str, ...] = ()
    jwks_max_age_seconds: int = 60
    last_seen_interval_seconds: int = 60
    max_body_bytes: int = 16_384
    # How long a verifier container trusts a key lookup: the revocation bound (template parameter KeyCacheMillis).
    key_cache_millis: int = 1000
    # How long audit entries are kept (template parameter AuditRetentionDays; the table's TTL removes them).
    audit_retention_days: int = 90
    # The edge (docs/edge.md): the HMAC secret edge tokens are signed with (empty: no edge in this deployment),
    # where the exchange redirects (empty: the host it was called on), how long a session lasts at most, the
    # players' CORS origins, and the KeyValueStore the deny list lives in.
    edge_secret_arn: str = ""
    edge_base_url: str = ""
    edge_session_seconds: int = 21_600
    allowed_origins: tuple[str, ...] = ("*",)
    edge_kvs_arn: str = ""

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> Settings:
        table_name = env.get("TABLE_NAME", "").strip()
        if not table_name:
            raise ConfigurationError("TABLE_NAME is not set")
        issuers = _list(env, "ALLOWED_ISSUERS")
        return cls(
            table_name=table_name,
            key_limit=_int(env, "KEY_LIMIT", cls.key_limit, 1),
            max_token_lifetime_seconds=_int(env, "MAX_TOKEN_LIFETIME_SECONDS", cls.max_token_lifetime_seconds, 1),
            clock_skew_seconds=_int(env, "CLOCK_SKEW_SECONDS", cls.clock_skew_seconds, 0),
            allowed_issuers=issuers,
            jwks_max_age_seconds=_int(env, "JWKS_MAX_AGE_SECONDS", cls.jwks_max_age_seconds, 0),
            last_seen_interval_seconds=_int(env, "LAST_SEEN_INTERVAL_SECONDS", cls.last_seen_interval_seconds, 1),
            max_body_bytes=_int(env, "MAX_BODY_BYTES", cls.max_body_bytes, 1024),
            key_cache_millis=_int(env, "KEY_CACHE_MILLIS", cls.key_cache_millis, 0, 60_000),
            audit_retention_days=_int(env, "AUDIT_RETENTION_DAYS", cls.audit_retention_days, 1, 3653),
            edge_secret_arn=env.get("EDGE_SECRET_ARN", "").strip(),
            edge_base_url=env.get("EDGE_BASE_URL", "").strip().rstrip("/"),
            edge_session_seconds=_int(env, "EDGE_SESSION_SECONDS", cls.edge_session_seconds, 60, 86_400),
            allowed_origins=_list(env, "ALLOWED_ORIGINS") or cls.allowed_origins,
            edge_kvs_arn=env.get("EDGE_KVS_ARN", "").strip(),
        )
