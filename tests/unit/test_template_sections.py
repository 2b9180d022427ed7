"""template.yaml's per-function sections (signing_keys_local.template_sections): `make template` writes them from
the route table and FUNCTIONS, and the runner reads back from them exactly what the table declares."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from signing_keys import routes
from signing_keys_local.cli import main
from signing_keys_local.template import Template, load_document
from signing_keys_local.template_sections import (
    FUNCTIONS,
    RESOURCE_NAMES,
    AlarmGroup,
    GenerationError,
    log_group_id,
    render,
)
from tests.conftest import TEMPLATE

TEXT = TEMPLATE.read_text(encoding="utf-8")
Event = tuple[str, str, str, str | None]  # method, path, function, authorizer (None: no authorizer)


def _served(text: str, tmp_path: Path) -> list[Event]:
    """The `Api` events of a template as the runner reads them, sorted (so a duplicate shows)."""
    path = tmp_path / "template.yaml"
    path.write_text(text, encoding="utf-8")
    return sorted((r.method, r.path, r.function_id, r.authorizer) for r in Template(path).routes())


def _declared(route: routes.Route) -> Event:
    return route.method, route.path, route.function, None if route.auth is routes.Auth.NONE else route.auth.value


def _fallback(path: str) -> Event:
    return "ANY", path, routes.METHOD_NOT_ALLOWED_FUNCTION, None


def _events_of(text: str, function: str) -> dict[str, object]:
    events: dict[str, object] = load_document(text)["Resources"][function]["Properties"]["Events"]
    return events


def _update_key_put() -> routes.Route:
    """A route the table lacks, of a function it has, on a resource it has: PUT beside FastPix's PATCH."""
    patch = next(r for r in routes.ROUTES if r.function == "UpdateKeyFunction" and r.dialect is routes.Dialect.FASTPIX)
    return dataclasses.replace(patch, method="PUT", operation_id="replace_signing_key")


# -- the checked-in template ---------------------------------------------------------------------------------------


def test_the_checked_in_sections_are_what_the_generator_writes() -> None:
    # Given the template as checked in
    # When its sections are generated from the current route table and FUNCTIONS
    # Then nothing changes (stale? `make template`)
    assert render(TEXT) == TEXT


def test_every_route_of_the_table_is_exactly_one_api_event_of_its_function(tmp_path: Path) -> None:
    # Given the template's Api events as the runner reads them, the 405 fallbacks aside
    served = [event for event in _served(TEXT, tmp_path) if event[0] != "ANY"]
    # Then they are the table's routes, each once, with its function and authorizer
    assert served == sorted(_declared(route) for route in routes.ROUTES)


def test_every_resource_and_every_unmatched_path_falls_back_to_method_not_allowed(tmp_path: Path) -> None:
    # Given the template's ANY events as the runner reads them
    fallbacks = [event for event in _served(TEXT, tmp_path) if event[0] == "ANY"]
    # Then each resource of the table, `/` and `/{proxy+}` has one, on MethodNotAllowedFunction, without authorizer
    assert fallbacks == sorted(_fallback(path) for path in (*routes.resources(), *routes.UNMATCHED_RESOURCES))


def test_every_function_logs_to_its_own_log_group_which_exists_whenever_it_does() -> None:
    # Given every function of the template and the log groups generated for them
    resources = Template(TEMPLATE).resources
    # Then each function's LoggingConfig names its own, and the log group has the function's condition
    assert {f.logical_id: resources[f.logical_id]["Properties"]["LoggingConfig"] for f in FUNCTIONS} == {
        f.logical_id: {"LogGroup": {"Ref": log_group_id(f)}} for f in FUNCTIONS
    }
    assert {log_group_id(f): resources[log_group_id(f)].get("Condition") for f in FUNCTIONS} == {
        log_group_id(f): resources[f.logical_id].get("Condition") for f in FUNCTIONS
    }


# -- what the generator makes of a changed table -------------------------------------------------------------------


def test_a_new_route_of_a_function_becomes_its_event_and_renames_none_of_the_others(tmp_path: Path) -> None:
    # Given a route added after the others of its function, on a resource that function already serves
    added = _update_key_put()
    # When the template is generated from the table with that row
    text = render(TEXT, (*routes.ROUTES, added))
    # Then the runner serves it with the function's other routes, and their events keep their names (and so their
    # Lambda permissions); the new one carries its method
    assert _declared(added) in _served(text, tmp_path)
    assert set(_events_of(text, "UpdateKeyFunction")) == set(_events_of(TEXT, "UpdateKeyFunction")) | {"FastPixPut"}


def test_a_route_on_a_new_resource_also_gets_its_method_not_allowed_fallback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a route on a resource the table did not have, named for its events
    added = dataclasses.replace(_update_key_put(), method="GET", path="/tokens/inspect", operation_id="inspectToken")
    monkeypatch.setitem(RESOURCE_NAMES, added.path, "InspectToken")
    # When the template is generated from the table with that row
    served = _served(render(TEXT, (*routes.ROUTES, added)), tmp_path)
    # Then any other method on it falls back to MethodNotAllowedFunction
    assert _fallback(added.path) in served


def test_a_route_on_a_resource_without_an_event_name_is_refused_naming_the_table() -> None:
    # Given a route on a resource RESOURCE_NAMES does not name
    added = dataclasses.replace(_update_key_put(), path="/tokens/inspect", operation_id="inspectToken")
    # When the template is generated / Then the generator says where the name goes
    with pytest.raises(GenerationError, match="RESOURCE_NAMES"):
        render(TEXT, (*routes.ROUTES, added))


def test_a_function_missing_from_the_function_table_is_refused() -> None:
    # Given FUNCTIONS without one of the template's functions
    functions = tuple(f for f in FUNCTIONS if f.logical_id != "JwksFunction")
    # When the template is generated / Then the generator names it
    with pytest.raises(GenerationError, match="missing \\['JwksFunction'\\]"):
        render(TEXT, functions=functions)


def test_an_alarm_group_beyond_the_ten_metrics_of_one_alarm_is_refused() -> None:
    # Given every function but the edge's in the management group (17 throttle metrics for one alarm)
    functions = tuple(
        f if f.alarms is AlarmGroup.EDGE else dataclasses.replace(f, alarms=AlarmGroup.MANAGEMENT) for f in FUNCTIONS
    )
    # When the template is generated / Then the generator refuses an alarm CloudWatch would refuse
    with pytest.raises(GenerationError, match="regroup FUNCTIONS"):
        render(TEXT, functions=functions)


# -- the sections in the text --------------------------------------------------------------------------------------


def _edited(old: str, new: str) -> str:
    assert old in TEXT
    return TEXT.replace(old, new, 1)


@pytest.mark.parametrize(
    "edited",
    [
        _edited('Path: "/tokens/verify", Method: POST }', 'Path: "/tokens/verify", Method: PUT }'),
        _edited("${AWS::StackName}/jwks\n", "${AWS::StackName}/jwks-renamed\n"),
        _edited("Expression: createKey + listKeys + getKey + updateKey + rotateKey + deleteKey + listAuditEvents\n",
                "Expression: createKey\n"),
        _edited('              ["...", "${CreateKeyFunction}"],\n', ""),
    ],
    ids=["api event", "log group", "alarm metrics", "dashboard row"],
)  # fmt: skip
def test_a_hand_edit_inside_a_generated_section_is_undone(edited: str) -> None:
    # Given the template with a generated part edited by hand / When it is generated / Then the edit is gone
    assert render(edited) == TEXT


def _without_section(section: str) -> str:
    """The template with one section's markers removed (its content left as hand-written text)."""
    start = TEXT.index(f"# generated by make template ({section}): do not edit\n")
    end = TEXT.index("# end generated\n", start)
    without_end = TEXT[:end] + TEXT[end:].replace("# end generated\n", "# (was the end)\n", 1)
    return without_end[:start] + without_end[start:].replace("# generated by make template", "# (was)", 1)


@pytest.mark.parametrize(
    ("malformed", "reason"),
    [
        (TEXT.replace("      # end generated\n", "", 1), "no `# end generated`"),
        (
            TEXT.replace("(Errors of the edge functions)", "(Latency of the edge functions)"),
            "unknown generated section",
        ),
        (_without_section("Errors of the public functions"), "missing \\['Errors of the public functions'\\]"),
    ],
    ids=["no end marker", "unknown section", "missing section"],
)
def test_a_malformed_or_missing_section_is_refused(malformed: str, reason: str) -> None:
    # Given the template with a section broken / When it is generated / Then the generator refuses, saying why
    with pytest.raises(GenerationError, match=reason):
        render(malformed)


def test_text_outside_the_sections_is_kept_as_written() -> None:
    # Given a comment outside any section
    commented = TEXT.replace("\nResources:\n", "\nResources:\n  # a reader's note, kept\n", 1)
    # When the template is generated / Then it is still there, as written
    assert render(commented) == commented


# -- the command `make template` runs --------------------------------------------------------------------------------


def test_the_command_rewrites_a_stale_template_in_place(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # Given a checkout whose template has a generated part edited by hand
    (tmp_path / "template.yaml").write_text(
        _edited("${AWS::StackName}/jwks\n", "${AWS::StackName}/x\n"), encoding="utf-8"
    )
    # When `signing-keys-local generate-template-sections` runs there
    status = main(["generate-template-sections", "--root", str(tmp_path)])
    # Then it succeeds, names the file it wrote, and the template is the generated one
    assert (status, capsys.readouterr().out.strip()) == (0, str(tmp_path / "template.yaml"))
    assert (tmp_path / "template.yaml").read_text(encoding="utf-8") == TEXT


def test_the_command_refuses_a_malformed_template_and_says_why(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given a checkout whose template lost an end marker
    malformed = TEXT.replace("      # end generated\n", "", 1)
    (tmp_path / "template.yaml").write_text(malformed, encoding="utf-8")
    # When the command runs there
    status = main(["generate-template-sections", "--root", str(tmp_path)])
    # Then it fails with the reason on stderr, leaving the file as it was
    assert status == 2
    assert "no `# end generated`" in capsys.readouterr().err
    assert (tmp_path / "template.yaml").read_text(encoding="utf-8") == malformed
