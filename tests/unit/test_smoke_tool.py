"""`python -m signing_keys_tools.smoke --stack NAME --region R`: where the check finds the API (the stack's ApiUrl
output), on moto's CloudFormation. The check itself runs against the runner: tests/integration/test_smoke.py."""

from __future__ import annotations

import json
from collections.abc import Iterator

import boto3
import pytest
from moto import mock_aws

from signing_keys_tools.smoke import main, stack_url

API_URL = "https://abc123.execute-api.eu-west-1.amazonaws.com/v1"


@pytest.fixture
def cloudformation() -> Iterator[None]:
    with mock_aws():
        yield


def deploy(name: str, outputs: dict[str, str]) -> None:
    template = {
        "Resources": {"Queue": {"Type": "AWS::SQS::Queue"}},
        "Outputs": {key: {"Value": value} for key, value in outputs.items()},
    }
    boto3.client("cloudformation", region_name="eu-west-1").create_stack(
        StackName=name, TemplateBody=json.dumps(template)
    )


def test_the_api_url_is_read_from_the_stacks_outputs(cloudformation: None) -> None:
    deploy("signing-keys", {"ApiUrl": API_URL, "TableName": "t"})
    assert stack_url("signing-keys", "eu-west-1") == API_URL


def test_a_stack_without_the_output_is_refused_saying_so(cloudformation: None) -> None:
    deploy("other", {"Something": "else"})
    with pytest.raises(SystemExit, match="no ApiUrl output"):
        stack_url("other", "eu-west-1")


def test_an_unknown_stack_is_refused_without_a_traceback(cloudformation: None) -> None:
    with pytest.raises(SystemExit, match="cannot read stack missing in eu-west-1"):
        stack_url("missing", "eu-west-1")


def test_the_secret_is_required(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("SIGNING_KEYS_SMOKE_SECRET", raising=False)
    with pytest.raises(SystemExit):
        main(["--url", API_URL, "--workspace", "ws", "--token-id", "t"])
    assert "SIGNING_KEYS_SMOKE_SECRET" in capsys.readouterr().err
