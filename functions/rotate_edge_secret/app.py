"""EdgeSecretRotationFunction: a placeholder, so that template.yaml's CodeUri exists for sam build and the runner;
the handler comes with the edge functions' implementation."""

from typing import Any, NoReturn


def lambda_handler(event: dict[str, Any], context: Any) -> NoReturn:
    raise NotImplementedError("EdgeSecretRotationFunction is not implemented yet")
