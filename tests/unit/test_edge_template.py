"""The edge in template.yaml (docs/edge.md, "Deploy"): optional by EdgeMediaBucketName, the CloudFront Function's
inlined code, the distribution's behaviours, the bucket policy, the secret's rotation and the stream sync."""

from __future__ import annotations

import json
import math
import re
from typing import Any

import pytest

from signing_keys_local.edge_function_code import FUNCTION_RESOURCE, InlineError, inline, read_source
from signing_keys_local.template import Template, load_document
from tests.conftest import ROOT, TEMPLATE
from tests.unit.conditions import NO_VALUE, condition_holds, effective_value

BUCKET = "media-bucket"
EDGE = {"EdgeMediaBucketName": BUCKET}
# CloudFront's managed policies, by the ids its documentation gives
# (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/using-managed-cache-policies.html,
# https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/using-managed-origin-request-policies.html).
CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
ALL_VIEWER_EXCEPT_HOST_HEADER = "b689b0a8-53d0-40ab-baf2-68738e2966ac"
KVS_FUNCTIONS = {"EdgeSyncFunction", "EdgeSecretRotationFunction", "EdgeSweepFunction"}
STACK_UUID = {"StackUuid": {"Fn::Select": [2, {"Fn::Split": ["/", {"Ref": "AWS::StackId"}]}]}}


def _exists(template: Template, rid: str) -> bool:
    condition = template.resources[rid].get("Condition")
    return condition is None or condition_holds(template, condition)


def _properties(template: Template, rid: str) -> dict[str, Any]:
    properties: dict[str, Any] = template.resources[rid]["Properties"]
    return properties


def _distribution(template: Template) -> dict[str, Any]:
    config: dict[str, Any] = _properties(template, "EdgeDistribution")["DistributionConfig"]
    return config


def _origin(template: Template, origin_id: str) -> dict[str, Any]:
    origins: list[dict[str, Any]] = _distribution(template)["Origins"]
    (origin,) = [o for o in origins if o["Id"] == origin_id]
    return origin


def _media_behaviour(template: Template) -> dict[str, Any]:
    behaviours: list[dict[str, Any]] = _distribution(template)["CacheBehaviors"]
    (behaviour,) = [b for b in behaviours if b["PathPattern"] == "/m/*"]
    return behaviour


# -- the CloudFront Function's code is edge/viewer_request.js, verbatim ------------------------------------------


def test_the_templates_function_code_is_the_edge_function_file() -> None:
    # Given the CloudFront Function's code as CloudFormation will read it
    code = Template(TEMPLATE).resources[FUNCTION_RESOURCE]["Properties"]["FunctionCode"]
    # Then it is a plain string (no Fn::Sub: nothing in it is substituted) equal to the file. Stale? `make template`
    assert isinstance(code, str)
    assert code == read_source(ROOT)


def test_the_checked_in_template_is_what_the_generator_writes() -> None:
    # Given the template as checked in
    text = TEMPLATE.read_text(encoding="utf-8")
    # When the generator inlines the current file / Then it changes nothing (the generator owns that block)
    assert inline(text, read_source(ROOT)) == text


@pytest.mark.parametrize(
    "code",
    [
        "const s = `${workspace}/${AWS::Region}`; // #: not a comment, ${x} not a substitution\n",
        "  starts with spaces\n\tthen a tab, 'quotes' \"and\" \\backslashes\\\n\nafter a blank line\n",
        "no final newline;",
    ],
    ids=["substitution-like text", "leading spaces, tabs, quotes", "no final newline"],
)
def test_inlined_code_reads_back_exactly_as_written(code: str) -> None:
    # Given code with what YAML or CloudFormation could take for syntax
    # When it is inlined into the template and the template is read back
    document = load_document(inline(TEMPLATE.read_text(encoding="utf-8"), code))
    # Then the Function's code is that text, character for character, and the rest of the template is intact
    assert document["Resources"][FUNCTION_RESOURCE]["Properties"]["FunctionCode"] == code
    assert set(document["Resources"]) == set(Template(TEMPLATE).resources)


@pytest.mark.parametrize(
    "code", ["crlf\r\nline endings\r\n", "trailing blank lines\n\n", "a NUL \x00 byte\n"], ids=["crlf", "blank", "nul"]
)
def test_inlining_refuses_code_yaml_would_not_give_back(code: str) -> None:
    # Given code a YAML literal block cannot carry unchanged
    # When it is inlined / Then the generator refuses rather than deploy different code
    with pytest.raises(InlineError):
        inline(TEMPLATE.read_text(encoding="utf-8"), code)


# -- optional: EdgeMediaBucketName ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("bucket", "deployed"), [("", False), (BUCKET, True)])
def test_every_edge_resource_exists_exactly_when_a_media_bucket_is_given(bucket: str, deployed: bool) -> None:
    # Given a stack deployed with or without a media bucket
    template = Template(TEMPLATE, {"EdgeMediaBucketName": bucket})
    # When CloudFormation decides which resources exist
    edge = {rid for rid in template.resources if rid.startswith("Edge")}
    absent = {rid for rid in template.resources if not _exists(template, rid)} - {"WebAclAssociation"}
    absent -= {rid for rid, r in template.resources.items() if r.get("Condition") == "ManageApiGatewayAccount"}
    # Then every Edge* resource (and nothing else) is there only with the bucket
    assert absent == (set() if deployed else edge)


@pytest.mark.parametrize(("bucket", "stream"), [("", NO_VALUE), (BUCKET, {"StreamViewType": "NEW_AND_OLD_IMAGES"})])
def test_the_table_streams_its_changes_only_for_the_edge(bucket: str, stream: object) -> None:
    # Given a stack deployed with or without a media bucket
    template = Template(TEMPLATE, {"EdgeMediaBucketName": bucket})
    # When CloudFormation decides the table's stream / Then it exists only to feed the edge, with both images
    assert effective_value(template, _properties(template, "KeysTable")["StreamSpecification"]) == stream


@pytest.mark.parametrize(("bucket", "secret"), [("", ""), (BUCKET, "signing-keys-local-EdgeSecret")])
def test_the_exchange_is_always_deployed_and_names_the_secret_only_with_the_edge(bucket: str, secret: str) -> None:
    # Given a stack deployed with or without a media bucket
    template = Template(TEMPLATE, {"EdgeMediaBucketName": bucket})
    exchange = template.resources["ExchangeFunction"]
    # When CloudFormation decides the exchange's secret / Then the function exists either way (a conditional API
    # route would not be redeployed when the edge is switched on), and without the edge it names no secret
    assert "Condition" not in exchange
    assert effective_value(template, exchange["Properties"]["Environment"]["Variables"]["EDGE_SECRET_ARN"]) == secret


# -- the media bucket's policy --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("bucket", "manage", "written"), [("", "true", False), (BUCKET, "true", True), (BUCKET, "false", False)]
)
def test_the_bucket_policy_is_written_only_when_the_stack_may_replace_it(
    bucket: str, manage: str, written: bool
) -> None:
    # Given a stack deployed with or without a bucket, allowed or not to own its policy
    template = Template(TEMPLATE, {"EdgeMediaBucketName": bucket, "EdgeManageBucketPolicy": manage})
    # When CloudFormation decides whether the policy resource exists / Then only with both
    assert _exists(template, "EdgeMediaBucketPolicy") is written


def test_the_bucket_policy_lets_only_this_distribution_read_objects_and_see_missing_ones() -> None:
    # Given the bucket policy of a stack with a media bucket
    template = Template(TEMPLATE, EDGE)
    statements = template.resolve(_properties(template, "EdgeMediaBucketPolicy")["PolicyDocument"])["Statement"]
    # Then CloudFront may get objects and list the bucket (a missing object is then a 404, not a 403), nothing else,
    # and only on behalf of this stack's distribution
    granted = {(s["Action"], s["Resource"]) for s in statements}
    assert granted == {("s3:GetObject", f"arn:aws:s3:::{BUCKET}/*"), ("s3:ListBucket", f"arn:aws:s3:::{BUCKET}")}
    assert all(s["Effect"] == "Allow" and s["Principal"] == {"Service": "cloudfront.amazonaws.com"} for s in statements)
    assert {s["Condition"]["StringEquals"]["AWS:SourceArn"] for s in statements} == {
        "arn:aws:cloudfront::123456789012:distribution/EdgeDistribution"
    }


# -- the distribution ----------------------------------------------------------------------------------------------


def test_media_requests_are_checked_by_the_function_and_read_from_the_bucket_through_oac() -> None:
    # Given the /m/ behaviour and the origin it reads
    template = Template(TEMPLATE, EDGE)
    behaviour = _media_behaviour(template)
    origin = _origin(template, behaviour["TargetOriginId"])
    # Then only GET and HEAD pass, each after the viewer-request Function, from the bucket's regional endpoint,
    # signed by the origin access control (no legacy identity)
    assert behaviour["AllowedMethods"] == ["GET", "HEAD"]
    assert behaviour["FunctionAssociations"] == [
        {"EventType": "viewer-request", "FunctionARN": {"Fn::GetAtt": [FUNCTION_RESOURCE, "FunctionARN"]}}
    ]
    assert template.resolve(origin["DomainName"]) == f"{BUCKET}.s3.us-east-1.amazonaws.com"
    assert origin["S3OriginConfig"] == {"OriginAccessIdentity": ""}
    assert origin["OriginAccessControlId"] == {"Fn::GetAtt": ["EdgeOriginAccessControl", "Id"]}


def test_media_are_cached_by_their_rewritten_path_alone() -> None:
    # Given the cache policy of the /m/ behaviour
    template = Template(TEMPLATE, EDGE)
    assert _media_behaviour(template)["CachePolicyId"] == {"Ref": "EdgeCachePolicy"}
    key = _properties(template, "EdgeCachePolicy")["CachePolicyConfig"]["ParametersInCacheKeyAndForwardedToOrigin"]
    # Then no header, cookie or query string is part of the key (or reaches the bucket): every viewer shares one object
    assert key["HeadersConfig"] == {"HeaderBehavior": "none"}
    assert key["CookiesConfig"] == {"CookieBehavior": "none"}
    assert key["QueryStringsConfig"] == {"QueryStringBehavior": "none"}


def test_everything_else_reaches_the_api_uncached_with_authorization_and_query_but_not_host() -> None:
    # Given the default behaviour and the origin it reaches
    template = Template(TEMPLATE, EDGE)
    behaviour = _distribution(template)["DefaultCacheBehavior"]
    origin = template.resolve(_origin(template, behaviour["TargetOriginId"]))
    # Then it is the API's stage over TLS 1.2, never cached, with every viewer header but Host and every query string
    assert origin["DomainName"] == "SigningKeysApi.execute-api.us-east-1.amazonaws.com"
    assert origin["OriginPath"] == "/v1"
    assert origin["CustomOriginConfig"]["OriginProtocolPolicy"] == "https-only"
    assert origin["CustomOriginConfig"]["OriginSSLProtocols"] == ["TLSv1.2"]
    assert (behaviour["CachePolicyId"], behaviour["OriginRequestPolicyId"]) == (
        CACHING_DISABLED,
        ALL_VIEWER_EXCEPT_HOST_HEADER,
    )
    assert set(behaviour["AllowedMethods"]) == {"GET", "HEAD", "OPTIONS", "PUT", "PATCH", "POST", "DELETE"}


def test_viewers_reach_the_distribution_over_https_only() -> None:
    # Given every behaviour of the distribution
    config = _distribution(Template(TEMPLATE, EDGE))
    behaviours = [config["DefaultCacheBehavior"], *config["CacheBehaviors"]]
    # Then plain HTTP is refused (403) rather than redirected, over HTTP/2 and 3, IPv4 and IPv6
    assert {b["ViewerProtocolPolicy"] for b in behaviours} == {"https-only"}
    assert (config["HttpVersion"], config["IPV6Enabled"]) == ("http2and3", True)


def test_media_cors_allows_the_configured_player_origins_without_credentials() -> None:
    # Given a stack whose players live on two origins
    origins = ["https://player.example", "https://embed.example"]
    template = Template(TEMPLATE, {**EDGE, "AllowedOrigins": ",".join(origins)})
    assert _media_behaviour(template)["ResponseHeadersPolicyId"] == {"Ref": "EdgeResponseHeadersPolicy"}
    policy = _properties(template, "EdgeResponseHeadersPolicy")["ResponseHeadersPolicyConfig"]
    cors = template.resolve(policy["CorsConfig"])
    # Then media answers name those origins, carry no credentials, allow only reads, and pin HTTPS (HSTS, a year)
    assert cors["AccessControlAllowOrigins"] == {"Items": origins}
    assert cors["AccessControlAllowCredentials"] is False
    assert cors["AccessControlAllowMethods"] == {"Items": ["GET", "HEAD"]}
    assert policy["SecurityHeadersConfig"]["StrictTransportSecurity"]["AccessControlMaxAgeSec"] >= 31_536_000


# Where each account-wide CloudFront resource keeps its name.
NAME_PATHS = {
    "EdgeKeyValueStore": ("Name",),
    FUNCTION_RESOURCE: ("Name",),
    "EdgeCachePolicy": ("CachePolicyConfig", "Name"),
    "EdgeResponseHeadersPolicy": ("ResponseHeadersPolicyConfig", "Name"),
    "EdgeOriginAccessControl": ("OriginAccessControlConfig", "Name"),
}


@pytest.mark.parametrize("rid", sorted(NAME_PATHS))
def test_a_cloudfront_name_carries_the_stack_id_and_fits_64_characters(rid: str) -> None:
    # Given the name of an account-wide CloudFront resource
    name: Any = _properties(Template(TEMPLATE, EDGE), rid)
    for key in NAME_PATHS[rid]:
        name = name[key]
    pattern, variables = name["Fn::Sub"]
    # Then it ends with the stack's id (two stacks of one name in two regions do not collide) and, with the id's
    # 36 characters, stays within CloudFront's 64
    assert variables == STACK_UUID
    assert pattern.endswith("${StackUuid}")
    assert len(pattern.removesuffix("${StackUuid}")) + 36 <= 64


# -- the stream sync -----------------------------------------------------------------------------------------------


def _sync_event() -> dict[str, Any]:
    properties: dict[str, Any] = _properties(Template(TEMPLATE, EDGE), "EdgeSyncFunction")["Events"]["TableChanges"][
        "Properties"
    ]
    return properties


@pytest.mark.parametrize(
    ("partition_key", "admitted"),
    [("KEY#k", True), ("REV#r", True), ("WS#w", True), ("CRED#c", False), ("AUDIT#w", False), ("USED#u", False)],
)
def test_the_stream_filter_admits_key_revocation_and_workspace_items_only(partition_key: str, admitted: bool) -> None:
    # Given the event filter of the sync function's stream mapping (one pattern of prefixes on the partition key)
    (item_filter,) = _sync_event()["FilterCriteria"]["Filters"]
    pattern = json.loads(item_filter["Pattern"])
    assert set(pattern) == {"dynamodb"} and set(pattern["dynamodb"]) == {"Keys"}
    (rules,) = pattern["dynamodb"]["Keys"]["PK"].values()
    # When a change to an item of that partition key comes by / Then it invokes the function only for these kinds
    assert any(partition_key.startswith(rule["prefix"]) for rule in rules) is admitted


def test_changes_the_sync_cannot_deliver_in_a_session_go_to_the_dead_letter_queue() -> None:
    # Given the sync function's stream mapping
    event = _sync_event()
    # Then a failing batch is split and retried a bounded number of times, a change older than the longest session
    # (which no running session can still need) is dropped, and what is given up on lands in the queue
    assert event["BisectBatchOnFunctionError"] is True
    assert 0 < event["MaximumRetryAttempts"] <= 10_000
    assert event["MaximumRecordAgeInSeconds"] == {"Ref": "EdgeSessionSeconds"}
    assert event["DestinationConfig"]["OnFailure"] == {
        "Type": "SQS",
        "Destination": {"Fn::GetAtt": ["EdgeSyncDeadLetterQueue", "Arn"]},
    }


def test_only_the_functions_calling_the_key_value_store_carry_the_crt_layer() -> None:
    # Given every function's layers and the ones every function gets (Globals)
    template = Template(TEMPLATE, EDGE)
    carrying = {
        rid
        for rid, r in template.resources.items()
        if r["Type"] == "AWS::Serverless::Function" and {"Ref": "EdgeLayer"} in r["Properties"].get("Layers", [])
    }
    # Then awscrt (botocore imports it whenever present) is loaded by the KeyValueStore's callers alone
    assert carrying == KVS_FUNCTIONS
    assert {"Ref": "EdgeLayer"} not in template.document["Globals"]["Function"]["Layers"]


# -- the HMAC secret -----------------------------------------------------------------------------------------------


def test_the_generated_secret_has_at_least_256_bits() -> None:
    # Given how Secrets Manager generates the secret
    generation = _properties(Template(TEMPLATE, EDGE), "EdgeSecret")["GenerateSecretString"]
    # Then letters and digits only (62 symbols, no punctuation to escape) at its length carry >= 256 bits
    assert generation["ExcludePunctuation"] is True
    assert generation["PasswordLength"] * math.log2(62) >= 256


def test_the_secret_rotates_into_the_edge_during_the_deploy_and_then_on_schedule() -> None:
    # Given the secret's rotation schedule and the permission Secrets Manager invokes the rotation with
    template = Template(TEMPLATE, EDGE)
    schedule = template.resources["EdgeSecretRotationSchedule"]
    permission = _properties(template, "EdgeSecretRotationPermission")
    # Then the first rotation runs at once (a version reaches the KeyValueStore before any token needs it), then
    # every EdgeSecretRotationDays, by the rotation function, which Secrets Manager may invoke for this secret only,
    # and the schedule waits for that permission (Secrets Manager checks it when the schedule is set)
    assert schedule["Properties"]["RotateImmediatelyOnUpdate"] is True
    assert schedule["Properties"]["RotationRules"] == {"AutomaticallyAfterDays": {"Ref": "EdgeSecretRotationDays"}}
    assert schedule["Properties"]["RotationLambdaARN"] == {"Fn::GetAtt": ["EdgeSecretRotationFunction", "Arn"]}
    assert schedule["DependsOn"] == "EdgeSecretRotationPermission"
    assert (permission["Principal"], permission["SourceArn"]) == ("secretsmanager.amazonaws.com", {"Ref": "EdgeSecret"})


def test_a_secret_is_rotated_far_less_often_than_a_session_lasts() -> None:
    # Given the parameters' bounds
    parameters = Template(TEMPLATE).document["Parameters"]
    shortest_rotation = parameters["EdgeSecretRotationDays"]["MinValue"] * 86_400
    longest_session = parameters["EdgeSessionSeconds"]["MaxValue"]
    # Then even the quickest rotation leaves a retired secret a week of sessions' worth of overlap
    assert shortest_rotation >= 7 * longest_session


# -- parameters, alarms, outputs -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "accepted"),
    [
        ("", True),
        ("media-bucket-01", True),
        ("ab", False),
        ("Media", False),
        ("media.bucket", False),
        ("-media", False),
    ],
)
def test_the_bucket_parameter_accepts_empty_or_a_bucket_name_cloudfront_can_reach(value: str, accepted: bool) -> None:
    # Given the parameter's pattern / When CloudFormation checks a value / Then only these pass
    pattern = Template(TEMPLATE).document["Parameters"]["EdgeMediaBucketName"]["AllowedPattern"]
    assert (re.fullmatch(pattern, value) is not None) is accepted


@pytest.mark.parametrize(
    ("value", "accepted"),
    [
        ("", True),
        ("https://media.example.com", True),
        ("https://media.example.com:8443", True),
        ("http://media.example.com", False),
        ("https://media.example.com/", False),
        ("https://media.example.com/m", False),
    ],
)
def test_the_base_url_parameter_accepts_empty_or_an_https_origin(value: str, accepted: bool) -> None:
    # Given the parameter's pattern / When CloudFormation checks a value / Then only these pass
    pattern = Template(TEMPLATE).document["Parameters"]["EdgeBaseUrl"]["AllowedPattern"]
    assert (re.fullmatch(pattern, value) is not None) is accepted


def _custom_metric_alarms(template: Template) -> dict[str, list[dict[str, Any]]]:
    """Alarms on metrics the functions emit themselves: each one's metrics (namespace, name, dimensions)."""
    alarms: dict[str, list[dict[str, Any]]] = {}
    for rid, resource in template.resources.items():
        if resource["Type"] != "AWS::CloudWatch::Alarm":
            continue
        props = resource["Properties"]
        metrics = [q["MetricStat"]["Metric"] for q in props.get("Metrics", []) if "MetricStat" in q]
        if "MetricName" in props:
            metrics.append(props)
        custom = [m for m in metrics if not m["Namespace"].startswith("AWS/")]
        if custom and rid.startswith("Edge"):
            alarms[rid] = custom
    return alarms


def test_edge_alarms_read_the_namespace_and_service_the_functions_emit_metrics_in() -> None:
    # Given the alarms on the edge's own metrics and the functions' Powertools settings
    template = Template(TEMPLATE, EDGE)
    environment = template.global_environment()
    alarms = _custom_metric_alarms(template)
    # Then each reads the functions' namespace with the service dimension Powertools adds
    assert set(alarms) == {"EdgeSyncLagAlarm", "EdgeDenyListOverflowAlarm", "EdgeKeyValueStoreSizeAlarm"}
    for metrics in alarms.values():
        for metric in metrics:
            assert metric["Namespace"] == environment["POWERTOOLS_METRICS_NAMESPACE"]
            assert metric["Dimensions"] == [{"Name": "service", "Value": environment["POWERTOOLS_SERVICE_NAME"]}]


@pytest.mark.parametrize(
    ("output", "condition"),
    [("EdgeUrl", "HasEdge"), ("EdgeKeyValueStoreArn", "HasEdge"), ("PlaybackAuthorizerArn", None)],
)
def test_edge_outputs_exist_with_the_edge_and_the_authorizer_always(output: str, condition: str | None) -> None:
    # Given the template's outputs / Then each exists under the edge's condition, or always
    assert Template(TEMPLATE).document["Outputs"][output].get("Condition") == condition
