"""Alarms and the dashboard in template.yaml (issue 17): what they watch, and that it is what the stack emits."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from signing_keys.observability import count
from signing_keys_local.template import Template
from tests.conftest import TEMPLATE
from tests.unit.conditions import NO_VALUE, condition_holds, effective_value

AUTHORIZERS = {"ManagementAuthorizerFunction", "PlaybackAuthorizerFunction"}
SNS_TOPIC = "arn:aws:sns:eu-west-1:123456789012:signing-keys-alarms"
# CloudWatch's hard limit for metric math alarms.
MAX_METRICS_PER_ALARM = 10


@pytest.fixture(scope="module")
def template() -> Template:
    return Template(TEMPLATE)


def _of_type(template: Template, kind: str) -> dict[str, dict[str, Any]]:
    return {rid: r for rid, r in template.resources.items() if r.get("Type") == kind}


def _functions(template: Template) -> set[str]:
    return set(_of_type(template, "AWS::Serverless::Function"))


def _watched_functions(template: Template, metric_name: str) -> list[str]:
    """Functions whose Lambda metric of that name some alarm reads (a function twice if two alarms read it)."""
    watched = []
    for alarm in _of_type(template, "AWS::CloudWatch::Alarm").values():
        for query in alarm["Properties"].get("Metrics", []):
            metric = query.get("MetricStat", {}).get("Metric", {})
            if metric.get("Namespace") == "AWS/Lambda" and metric.get("MetricName") == metric_name:
                watched += [d["Value"]["Ref"] for d in metric["Dimensions"] if d["Name"] == "FunctionName"]
    return watched


def test_every_function_is_watched_for_throttles_once(template: Template) -> None:
    # Given the alarms' Lambda Throttles metrics
    watched = _watched_functions(template, "Throttles")
    # Then every function of the stack is among them, once
    assert sorted(watched) == sorted(_functions(template))


def test_every_function_but_the_authorizers_is_watched_for_errors_once(template: Template) -> None:
    # Given the alarms' Lambda Errors metrics
    watched = _watched_functions(template, "Errors")
    # Then every function is among them once, except the authorizers: they fail on purpose to answer 401
    assert sorted(watched) == sorted(_functions(template) - AUTHORIZERS)


def test_authorizer_failures_are_counted_from_fields_the_access_log_writes(template: Template) -> None:
    # Given the metric filter on the access log and the access log's format
    log_fields = json.loads(template.resources["SigningKeysApi"]["Properties"]["AccessLogSetting"]["Format"])
    metric_filter = template.resources["AuthorizerFailuresMetricFilter"]["Properties"]
    (transformation,) = metric_filter["MetricTransformations"]
    # Then the filter reads the access log, on fields the log writes, for both authorizer failure types
    assert metric_filter["LogGroupName"] == {"Ref": "ApiAccessLogGroup"}
    read_fields = set(re.findall(r"\$\.(\w+)", metric_filter["FilterPattern"]))
    read_fields |= {dimension["Value"].removeprefix("$.") for dimension in transformation["Dimensions"]}
    assert read_fields <= set(log_fields)
    assert {"AUTHORIZER_FAILURE", "AUTHORIZER_CONFIGURATION_ERROR"} <= set(
        re.findall(r'"(AUTHORIZER_\w+)"', metric_filter["FilterPattern"])
    )
    # And the alarm reads the metric the filter writes, for this API
    alarm = template.resources["AuthorizerFailuresAlarm"]["Properties"]
    assert (alarm["Namespace"], alarm["MetricName"]) == (
        transformation["MetricNamespace"],
        transformation["MetricName"],
    )
    assert alarm["Dimensions"] == [{"Name": "ApiId", "Value": {"Ref": "SigningKeysApi"}}]


def test_metric_math_alarms_read_at_most_ten_metrics(template: Template) -> None:
    # Given every alarm built from metric math
    sizes = {
        rid: sum("MetricStat" in query for query in alarm["Properties"].get("Metrics", []))
        for rid, alarm in _of_type(template, "AWS::CloudWatch::Alarm").items()
    }
    # Then each stays within CloudWatch's limit (a new function joins a group, or starts a new alarm)
    assert {rid: size for rid, size in sizes.items() if size > MAX_METRICS_PER_ALARM} == {}


def test_api_5xx_alarm_reads_this_api_stage(template: Template) -> None:
    # Given the 5xx-rate alarm's metrics
    alarm = template.resources["ApiServerErrorRateAlarm"]["Properties"]
    dimensions = [query["MetricStat"]["Metric"]["Dimensions"] for query in alarm["Metrics"] if "MetricStat" in query]
    # Then they name the API as API Gateway does (its Name) and its stage
    api_name = template.resources["SigningKeysApi"]["Properties"]["Name"]
    expected = [{"Name": "ApiName", "Value": api_name}, {"Name": "Stage", "Value": {"Ref": "StageName"}}]
    assert dimensions == [expected, expected]


@pytest.mark.parametrize(("topic", "actions"), [("", NO_VALUE), (SNS_TOPIC, [SNS_TOPIC])])
def test_alarms_notify_the_topic_only_when_one_is_given(topic: str, actions: object) -> None:
    # Given a stack deployed with or without AlarmTopicArn
    template = Template(TEMPLATE, {"AlarmTopicArn": topic})
    # When CloudFormation decides each alarm's actions
    decided = {
        (rid, kind): effective_value(template, alarm["Properties"].get(kind))
        for rid, alarm in _of_type(template, "AWS::CloudWatch::Alarm").items()
        for kind in ("AlarmActions", "OKActions")
    }
    # Then every alarm notifies that topic on alarm and recovery, or has no action at all
    assert decided
    assert all(value == actions for value in decided.values())
    assert condition_holds(template, "HasAlarmTopic") is bool(topic)


def test_token_rejection_alarm_reads_the_metric_the_verifier_emits(
    template: Template, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given the EMF document the verifier writes when it rejects a token, in the functions' environment
    for name, value in template.global_environment().items():
        monkeypatch.setenv(name, value)
    count("TokensRejected", reason="expired")
    (emitted,) = [json.loads(line) for line in capsys.readouterr().out.splitlines() if "TokensRejected" in line]
    (directive,) = emitted["_aws"]["CloudWatchMetrics"]
    (dimension_set,) = directive["Dimensions"]
    # When the alarm's Metrics Insights query is read
    (query,) = template.resources["TokenRejectionSpikeAlarm"]["Properties"]["Metrics"]
    match = re.fullmatch(
        r"SELECT SUM\(TokensRejected\) FROM SCHEMA\((\w+), ([\w, ]+)\) WHERE service = '([\w-]+)'",
        query["Expression"],
    )
    # Then it sums that metric over every reason: same namespace, same dimension set, same service, no GROUP BY
    assert match is not None
    namespace, schema_dimensions, service = match.groups()
    assert namespace == directive["Namespace"]
    assert sorted(schema_dimensions.split(", ")) == sorted(dimension_set)
    assert service == emitted["service"]
    assert query["ReturnData"] is True


def _dashboard_widgets(template: Template) -> list[dict[str, Any]]:
    """Every dashboard's widgets, CloudFormation's ${...} substitutions left as names."""
    bodies = [
        d["Properties"]["DashboardBody"]["Fn::Sub"] for d in _of_type(template, "AWS::CloudWatch::Dashboard").values()
    ]
    return [
        widget["properties"]
        for body in bodies
        for widget in json.loads(re.sub(r"\$\{([^}]+)\}", r"\1", body))["widgets"]
    ]


def test_dashboards_show_every_alarm_and_every_function(template: Template) -> None:
    # Given the widgets of every dashboard of the stack
    widgets = _dashboard_widgets(template)
    shown_alarms = {alarm for widget in widgets for alarm in widget.get("alarms", [])}
    charted = {
        kind: {row[-1] for w in widgets if w["title"].startswith(f"Lambda {kind} by function") for row in w["metrics"]}
        for kind in ("errors", "throttles")
    }
    # Then together they list every alarm of the stack and chart every function's errors and throttles
    assert shown_alarms == {f"{rid}.Arn" for rid in _of_type(template, "AWS::CloudWatch::Alarm")}
    assert charted == {"errors": _functions(template), "throttles": _functions(template)}


def test_a_dashboard_names_only_resources_that_exist_whenever_it_does(template: Template) -> None:
    # Given each dashboard's condition and the resources its body names
    for rid, dashboard in _of_type(template, "AWS::CloudWatch::Dashboard").items():
        body = dashboard["Properties"]["DashboardBody"]["Fn::Sub"]
        named = {name.split(".")[0] for name in re.findall(r"\$\{([^}]+)\}", body)} & set(template.resources)
        # Then none of them exists under another condition (a deploy without it would fail on the dashboard)
        conditions = {name: template.resources[name].get("Condition") for name in named}
        assert {name: c for name, c in conditions.items() if c not in (None, dashboard.get("Condition"))} == {}, rid
