"""samconfig.toml, the checked-in SAM CLI defaults that `make deploy` uses (issue 17)."""

from __future__ import annotations

import re
import tomllib

from tests.conftest import ROOT

SAMCONFIG = ROOT / "samconfig.toml"


def test_deploy_defaults_are_the_safe_ones() -> None:
    # Given the checked-in SAM CLI configuration
    deploy = tomllib.loads(SAMCONFIG.read_text(encoding="utf-8"))["default"]["deploy"]["parameters"]
    # Then a deploy may create the stack's unnamed IAM roles, shows the change set and waits for a yes, and
    # lets SAM manage its artifacts bucket
    assert deploy["capabilities"] == "CAPABILITY_IAM"
    assert deploy["confirm_changeset"] is True
    assert deploy["resolve_s3"] is True


def test_deploy_defaults_name_no_account() -> None:
    # Given the checked-in SAM CLI configuration, comments included
    text = SAMCONFIG.read_text(encoding="utf-8")
    # Then no AWS account id and no bucket of one account is in it
    assert re.findall(r"(?<!\d)\d{12}(?!\d)", text) == []
    assert "s3_bucket" not in text
