"""EdgeSecretRotationFunction: Secrets Manager's rotation of the edge's HMAC secret, in its four steps.

createSecret makes the new version (64 random letters and digits: over 256 bits) as AWSPENDING; setSecret writes
it into the edge's KeyValueStore (`s:<versionId>`), so the CloudFront Function can verify tokens that name it
before any exchange signs with it; testSecret reads it back; finishSecret makes it AWSCURRENT and removes from
the store every version but the current and the previous one (the exchange may sign with the previous one a few
minutes more, and its sessions last EdgeSessionSeconds, far less than the rotation interval). The secret's
value never reaches a log line.
"""

from typing import Any

import boto3

from signing_keys.config import Settings
from signing_keys.edge_store import EdgeStore
from signing_keys.observability import instrumented, logger

PENDING, CURRENT, PREVIOUS = "AWSPENDING", "AWSCURRENT", "AWSPREVIOUS"
SECRET_CHARS = 64

settings = Settings.from_env()
secrets = boto3.client("secretsmanager")
store = EdgeStore.connect(settings.edge_kvs_arn)


class RotationRefused(Exception):
    """The event cannot be acted on: an unknown step, or a pending version the store does not hold."""


def _stages(secret_id: str) -> dict[str, list[str]]:
    stages: dict[str, list[str]] = secrets.describe_secret(SecretId=secret_id).get("VersionIdsToStages", {})
    return stages


def _pending(secret_id: str, token: str) -> str:
    value: str = secrets.get_secret_value(SecretId=secret_id, VersionId=token, VersionStage=PENDING)["SecretString"]
    return value


def create_secret(secret_id: str, token: str) -> None:
    try:
        _pending(secret_id, token)
    except secrets.exceptions.ResourceNotFoundException:
        pass
    else:
        return  # a retried step: the version exists
    value = secrets.get_random_password(PasswordLength=SECRET_CHARS, ExcludePunctuation=True)["RandomPassword"]
    secrets.put_secret_value(SecretId=secret_id, ClientRequestToken=token, SecretString=value, VersionStages=[PENDING])


def set_secret(secret_id: str, token: str) -> None:
    store.put_secret(token, _pending(secret_id, token))


def test_secret(secret_id: str, token: str) -> None:
    if store.secret(token) != _pending(secret_id, token):
        raise RotationRefused("the edge's KeyValueStore does not hold the pending version")


def finish_secret(secret_id: str, token: str) -> None:
    stages = _stages(secret_id)
    current = next((version for version, names in stages.items() if CURRENT in names), None)
    if current != token:
        secrets.update_secret_version_stage(
            SecretId=secret_id, VersionStage=CURRENT, MoveToVersionId=token, RemoveFromVersionId=current
        )
    kept = {token} | ({current} if current and current != token else set())
    removed = store.keep_only_secrets(kept)
    logger.info("edge secret rotated", extra={"version_id": token, "retired_versions": removed})


STEPS = {
    "createSecret": create_secret,
    "setSecret": set_secret,
    "testSecret": test_secret,
    "finishSecret": finish_secret,
}


def rotate(event: dict[str, Any], context: Any) -> None:
    secret_id, token, step = event["SecretId"], event["ClientRequestToken"], event["Step"]
    if step not in STEPS:
        raise RotationRefused("not a rotation step")
    if CURRENT in _stages(secret_id).get(token, []):
        return  # already current: every step is done (Secrets Manager retries steps)
    STEPS[step](secret_id, token)


lambda_handler = instrumented(rotate)
