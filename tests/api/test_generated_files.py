"""Generated files stay in step with their sources: events/ with the event factory, openapi.json with the handlers."""

from __future__ import annotations

import json
import re

import pytest

from signing_keys.routes import UNMATCHED_RESOURCES
from signing_keys_local.examples import example_events, render
from signing_keys_local.template import Template
from tests.conftest import ROOT, TEMPLATE

# Every function the template can deploy: the edge's exist only with a media bucket.
FUNCTIONS = Template(TEMPLATE, {"EdgeMediaBucketName": "media-bucket"}).functions()


def test_every_function_has_an_event_file() -> None:
    stems = {function.code_uri.name for function in FUNCTIONS.values()}
    assert stems == {path.stem for path in (ROOT / "events").glob("*.json")}


@pytest.mark.parametrize("stem", sorted(example_events()))
def test_event_file_matches_the_factory(stem: str) -> None:
    # Regenerate with: signing-keys-local generate-event-files
    on_disk = (ROOT / "events" / f"{stem}.json").read_text(encoding="utf-8")
    assert on_disk == render(example_events()[stem])
    event = json.loads(on_disk)
    if "requestContext" in event:  # an API Gateway event (the others: a stream batch, a rotation step, a schedule)
        assert event["requestContext"]["stage"] == Template(TEMPLATE).stage()


def test_openapi_json_is_generated_from_the_handlers() -> None:
    # Regenerate with: make openapi
    from signing_keys_local import openapi
    from signing_keys_local.functions import FunctionHost

    generated = openapi.render(openapi.build(FunctionHost(Template(TEMPLATE))))
    assert (ROOT / "openapi.json").read_text(encoding="utf-8") == generated
    document = json.loads(generated)
    assert document["openapi"].startswith("3.1")
    # A greedy `{path+}` is spelled `{path}` in OpenAPI (signing_keys.routes.Route.document_path).
    served = {route.path for route in Template(TEMPLATE).routes()} - set(UNMATCHED_RESOURCES)  # 404s, undocumented
    documented = {re.sub(r"\{(\w+)\+\}", r"{\1}", path) for path in served}
    assert set(document["paths"]) == documented
