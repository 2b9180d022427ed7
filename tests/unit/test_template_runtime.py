"""What the runner reads from template.yaml to run functions as Lambda does: timeouts, memory, the
integration timeout of each route, and the stage's throttling."""

from __future__ import annotations

from pathlib import Path

import pytest

from signing_keys_local.template import Template, TemplateError
from signing_keys_local.throttling import ThrottleLimit
from tests.conftest import TEMPLATE

STACK = """
Globals:
  Function: {{Timeout: 7, MemorySize: 256}}
Resources:
  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: test
      MethodSettings: {settings}
  Fast:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: fn/
      Handler: app.handler
      Timeout: 2
      Events:
        Get:
          Type: Api
          Properties: {{RestApiId: !Ref Api, Path: /items, Method: GET, TimeoutInMillis: 500}}
  Slow:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: fn/
      Handler: app.handler
      Events:
        Post:
          Type: Api
          Properties: {{RestApiId: !Ref Api, Path: /items, Method: POST}}
"""


def stack(tmp_path: Path, settings: str = "[]") -> Template:
    (tmp_path / "fn").mkdir()
    (tmp_path / "fn" / "app.py").write_text("def handler(event, context):\n    return {}\n")
    (tmp_path / "template.yaml").write_text(STACK.format(settings=settings))
    return Template(tmp_path / "template.yaml")


def test_a_functions_timeout_and_memory_come_from_it_or_from_globals(tmp_path: Path) -> None:
    functions = stack(tmp_path).functions()
    assert (functions["Fast"].timeout_seconds, functions["Fast"].memory_mb) == (2, 256)
    assert (functions["Slow"].timeout_seconds, functions["Slow"].memory_mb) == (7, 256)


def test_a_routes_integration_timeout_is_its_timeout_in_millis_or_29_s(tmp_path: Path) -> None:
    timeouts = {route.method: route.integration_timeout_seconds for route in stack(tmp_path).routes()}
    assert timeouts == {"GET": 0.5, "POST": 29.0}


def test_method_settings_give_each_method_its_limit(tmp_path: Path) -> None:
    settings = (
        "[{ResourcePath: '/*', HttpMethod: '*', ThrottlingRateLimit: 10, ThrottlingBurstLimit: 20},"
        " {ResourcePath: '/~1items', HttpMethod: POST, ThrottlingRateLimit: 1.5, ThrottlingBurstLimit: 2},"
        " {ResourcePath: '/*', HttpMethod: '*', LoggingLevel: ERROR}]"
    )
    assert stack(tmp_path, settings).throttle_limits() == {
        ("/*", "*"): ThrottleLimit(10, 20),
        ("/items", "POST"): ThrottleLimit(1.5, 2),
    }


@pytest.mark.parametrize(
    "settings",
    [
        "[{ResourcePath: '/~1itemz', HttpMethod: POST, ThrottlingRateLimit: 1, ThrottlingBurstLimit: 2}]",
        "[{ResourcePath: '/~1items', HttpMethod: POST, ThrottlingRateLimit: 1}]",
    ],
    ids=["no such resource", "rate without burst"],
)
def test_a_throttling_setting_the_runner_cannot_honour_is_refused(tmp_path: Path, settings: str) -> None:
    with pytest.raises(TemplateError):
        stack(tmp_path, settings).throttle_limits()


CONDITIONAL_STACK = """
Parameters:
  Bucket: {Type: String, Default: ""}
Conditions:
  HasBucket: !Not [!Equals [!Ref Bucket, ""]]
Resources:
  Secret:
    Type: AWS::SecretsManager::Secret
    Condition: HasBucket
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: fn/
      Handler: app.handler
      Environment:
        Variables:
          SECRET_ARN: !If [HasBucket, !Ref Secret, ""]
"""


@pytest.mark.parametrize(("bucket", "secret"), [("", ""), ("media", "signing-keys-local-Secret")])
def test_a_functions_environment_takes_the_branch_its_condition_picks(tmp_path: Path, bucket: str, secret: str) -> None:
    # Given a function whose variable depends on a condition, deployed with or without the parameter behind it
    (tmp_path / "fn").mkdir()
    (tmp_path / "fn" / "app.py").write_text("def handler(event, context):\n    return {}\n")
    (tmp_path / "template.yaml").write_text(CONDITIONAL_STACK)
    # When the runner reads the function's environment
    environment = Template(tmp_path / "template.yaml", {"Bucket": bucket}).functions()["Fn"].environment
    # Then the variable is the branch CloudFormation would take, not the Fn::If itself (a secret's Ref: the name the
    # runner gives the one it creates)
    assert environment["SECRET_ARN"] == secret


def test_the_templates_create_routes_have_their_own_tighter_limits() -> None:
    limits = Template(TEMPLATE).throttle_limits()
    default = limits[("/*", "*")]
    for path in ("/iam/signing-keys", "/access-control/signing-key"):
        create = limits[(path, "POST")]
        assert create.rate_per_second < default.rate_per_second
        assert create.burst < default.burst
