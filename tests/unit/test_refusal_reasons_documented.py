"""The README's table of refusal reasons ("Why a token was refused") and the verifier's vocabulary agree: a reason
a viewer can get is explained there, with the status it comes with, and the table names no reason that does not
exist."""

from __future__ import annotations

import re

from signing_keys.rejections import Rejection, status_of
from tests.readme import README


def documented_reasons() -> dict[str, int]:
    """Each reason of the README's table with the status of its row."""
    section = README.read_text(encoding="utf-8").split("## Why a token was refused", 1)[1].split("\n## ", 1)[0]
    reasons: dict[str, int] = {}
    for row in re.findall(r"^\|([^|]+)\|\s*(\d{3})\s*\|", section, re.MULTILINE):
        for reason in re.findall(r"`([a-z_]+)`", row[0]):
            reasons[reason] = int(row[1])
    return reasons


def test_every_reason_a_viewer_can_get_is_in_the_readme_with_its_status() -> None:
    # Given the verifier's reasons, each with its status, and the README's table
    # When they are compared, Then the table holds exactly those reasons, each in a row of its status
    assert documented_reasons() == {reason.value: status_of(reason) for reason in Rejection}
