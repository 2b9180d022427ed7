"""The HMAC secret the exchange signs edge tokens with: Secrets Manager's current version of the edge secret,
named by its VersionId (the token's `sid`), so a rotation overlaps: the CloudFront Function keeps every live
version in its KeyValueStore (`s:<sid>`), written there by the rotation function before the version becomes
current.

Read once per container and kept `CACHE_SECONDS`: a container may sign with the previous version that long after a
rotation, which the KeyValueStore still holds (the rotation removes a version only once a later one is current
and the one before it retired). The secret never reaches a log line, an error, or a response.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from signing_keys.errors import ServiceUnavailable

CACHE_SECONDS = 300
_CLIENT_CONFIG = Config(retries={"mode": "standard", "max_attempts": 3}, connect_timeout=1, read_timeout=2)


@dataclass(frozen=True, slots=True)
class EdgeSecret:
    secret_id: str  # the version's id: what an edge token names
    value: str = field(repr=False)


class EdgeSecrets:
    def __init__(self, client: Any, secret_arn: str, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._client = client
        self._secret_arn = secret_arn
        self._clock = clock
        self._cached: tuple[float, EdgeSecret] | None = None

    @classmethod
    def connect(cls, secret_arn: str) -> EdgeSecrets:
        """Endpoint overrides come from AWS_ENDPOINT_URL(_SECRETS_MANAGER), as boto3 reads them."""
        return cls(boto3.client("secretsmanager", config=_CLIENT_CONFIG), secret_arn)

    def current(self) -> EdgeSecret:
        """The version to sign with; ServiceUnavailable (503) when Secrets Manager cannot be read."""
        now = self._clock()
        if self._cached is not None and now < self._cached[0]:
            return self._cached[1]
        try:
            answer = self._client.get_secret_value(SecretId=self._secret_arn, VersionStage="AWSCURRENT")
        except (ClientError, BotoCoreError) as error:
            # The error's type only: its message could name the secret.
            raise ServiceUnavailable(f"the edge secret cannot be read ({type(error).__name__})") from None
        secret = EdgeSecret(answer["VersionId"], answer["SecretString"])
        self._cached = (now + CACHE_SECONDS, secret)
        return secret
