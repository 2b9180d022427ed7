"""Reads template.yaml the way SAM does for the parts the runner needs: parameters, functions, routes,
authorizers, gateway responses, stage throttling and the table definition."""

from __future__ import annotations

import copy
import functools
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from signing_keys_local.gateway_responses import TYPE_STATUS, GatewayResponse
from signing_keys_local.throttling import ANY_RESOURCE, ThrottleLimit, decode_resource_path

LOCAL_REGION = "us-east-1"
LOCAL_ACCOUNT = "123456789012"
LOCAL_STACK = "signing-keys-local"
LOCAL_API_ID = "localapi"
# The local KeyValueStore's ARN (signing_keys_local.kvs). Its "account" is `127.0.0`: the service's endpoint rules
# put the account before the endpoint's host, and "127.0.0" + "." + "1" is the loopback address.
LOCAL_KVS_ARN = "arn:aws:cloudfront::127.0.0:key-value-store/signing-keys-local"
# What Lambda and API Gateway assume when the template says nothing.
DEFAULT_TIMEOUT_SECONDS = 3
DEFAULT_MEMORY_MB = 128
DEFAULT_INTEGRATION_TIMEOUT_MILLIS = 29_000

_INTRINSICS = ("Ref", "Condition")
_FN_INTRINSICS = (
    "GetAtt",
    "Sub",
    "Join",
    "If",
    "Select",
    "Split",
    "FindInMap",
    "Base64",
    "Equals",
    "Not",
    "And",
    "Or",
    "ImportValue",
    "GetAZs",
    "Cidr",
)


# The intrinsic functions the runner evaluates (others stay as they are: the runner reads no property using them).
_EVALUATED = frozenset({"Ref", "Fn::Join", "Fn::Sub", "Fn::GetAtt", "Fn::If"})
# `!Ref AWS::NoValue`: the property or list item is left out.
_NO_VALUE: Any = object()
# Resources whose Ref is the name the runner gives what it creates for them.
_NAMED_LOCALLY = frozenset({"AWS::DynamoDB::Table", "AWS::SecretsManager::Secret"})


class TemplateError(ValueError):
    """template.yaml cannot be served: missing, malformed, or using something the runner does not know."""


# libyaml's loader when PyYAML has it (ten times faster on this template); the same safe constructors either way.
_SafeLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _CfnLoader(_SafeLoader):  # type: ignore[valid-type,misc]
    """SafeLoader plus CloudFormation's short-form tags (!Ref, !GetAtt, !Sub, ...)."""


def _tag_constructor(tag: str) -> Any:
    key = tag if tag in _INTRINSICS else f"Fn::{tag}"

    def construct(loader: yaml.SafeLoader, node: yaml.Node) -> dict[str, Any]:
        if isinstance(node, yaml.ScalarNode):
            value: Any = loader.construct_scalar(node)
            if tag == "GetAtt":
                value = str(value).split(".", 1)
        elif isinstance(node, yaml.SequenceNode):
            value = loader.construct_sequence(node, deep=True)
        else:
            value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
        return {key: value}

    return construct


for _tag in (*_INTRINSICS, *_FN_INTRINSICS):
    _CfnLoader.add_constructor(f"!{_tag}", _tag_constructor(_tag))


@dataclass(frozen=True)
class Authorizer:
    name: str
    function_id: str
    identity_headers: tuple[str, ...]
    identity_query: tuple[str, ...]
    ttl_seconds: int


@dataclass(frozen=True)
class Route:
    method: str  # upper case, or ANY
    path: str  # as in the template, e.g. /iam/signing-keys/{signingKeyId}
    function_id: str
    authorizer: str | None
    # How long API Gateway waits for the function (the event's TimeoutInMillis) before answering 504.
    integration_timeout_seconds: float = DEFAULT_INTEGRATION_TIMEOUT_MILLIS / 1000


@dataclass(frozen=True)
class Function:
    logical_id: str
    code_uri: Path
    handler: str
    environment: dict[str, str]
    timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS
    memory_mb: int = DEFAULT_MEMORY_MB

    @property
    def module_path(self) -> Path:
        module, _, _ = self.handler.rpartition(".")
        return self.code_uri / (module.replace(".", "/") + ".py")

    @property
    def handler_name(self) -> str:
        return self.handler.rpartition(".")[2]

    @property
    def function_name(self) -> str:
        """The deployed function's name, as Lambda reports it in the context."""
        return f"{LOCAL_STACK}-{self.logical_id}"


def load_document(text: str) -> Any:
    """A template's YAML as CloudFormation reads it: short-form intrinsics become their long form (!Ref → Ref)."""
    return yaml.load(text, Loader=_CfnLoader)  # noqa: S506


@functools.lru_cache(maxsize=8)
def _parsed(path: Path, modified_ns: int) -> Any:
    """The template's YAML, parsed once per file version: tests build an API from it hundreds of times."""
    return load_document(path.read_text(encoding="utf-8"))


class Template:
    def __init__(self, path: Path, parameter_overrides: dict[str, str] | None = None) -> None:
        self.path = path.resolve()
        self.root = self.path.parent
        try:
            # A copy: the parsed document is shared between Templates, and each may resolve parts of its own.
            document = copy.deepcopy(_parsed(self.path, self.path.stat().st_mtime_ns))
        except (OSError, yaml.YAMLError) as exc:
            raise TemplateError(f"cannot read {path}: {exc}") from exc
        if not isinstance(document, dict) or not isinstance(document.get("Resources"), dict):
            raise TemplateError(f"{path} has no Resources section")
        self.document = document
        self.resources: dict[str, dict[str, Any]] = document["Resources"]
        self.parameters = self._parameters(parameter_overrides or {})

    # -- intrinsic functions ------------------------------------------------------------------------
    def _parameters(self, overrides: dict[str, str]) -> dict[str, str]:
        declared: dict[str, dict[str, Any]] = self.document.get("Parameters") or {}
        unknown = sorted(set(overrides) - set(declared))
        if unknown:
            raise TemplateError(f"unknown parameter(s) in overrides: {', '.join(unknown)}")
        values: dict[str, str] = {}
        for name, spec in declared.items():
            value = overrides.get(name, spec.get("Default"))
            if value is None:
                raise TemplateError(f"parameter {name} has no Default; pass it with --parameter-overrides")
            allowed = spec.get("AllowedValues")
            if allowed is not None and str(value) not in {str(a) for a in allowed}:
                raise TemplateError(f"parameter {name}={value} is not one of {allowed}")
            if spec.get("Type") == "Number":
                try:
                    number = float(value)
                except ValueError:
                    raise TemplateError(f"parameter {name}={value} is not a number") from None
                for bound, ok in (
                    ("MinValue", number >= float(spec.get("MinValue", number))),
                    ("MaxValue", number <= float(spec.get("MaxValue", number))),
                ):
                    if not ok:
                        raise TemplateError(f"parameter {name}={value} violates {bound} {spec[bound]}")
            values[name] = str(value)
        return values

    def _ref(self, name: str) -> Any:
        pseudo = {
            "AWS::Region": LOCAL_REGION,
            "AWS::AccountId": LOCAL_ACCOUNT,
            "AWS::StackName": LOCAL_STACK,
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::Partition": "aws",
        }
        if name in pseudo:
            return pseudo[name]
        if name in self.parameters:
            spec = self.document["Parameters"][name]
            if spec.get("Type") == "CommaDelimitedList":
                return [item for item in self.parameters[name].split(",") if item]
            return self.parameters[name]
        if name in self.resources:
            # What the runner creates under that name: the table, and secrets in the embedded Secrets Manager.
            if self.resources[name]["Type"] in _NAMED_LOCALLY:
                return f"{LOCAL_STACK}-{name}"
            return name
        raise TemplateError(f"!Ref to unknown name {name}")

    def resolve(self, value: Any) -> Any:
        if isinstance(value, list):
            return [item for item in (self.resolve(item) for item in value) if item is not _NO_VALUE]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((key, arg),) = value.items()
            if key in _EVALUATED:
                return self._intrinsic(key, arg)
        resolved = {key: self.resolve(item) for key, item in value.items()}
        return {key: item for key, item in resolved.items() if item is not _NO_VALUE}

    def _intrinsic(self, key: str, arg: Any) -> Any:
        if key == "Ref":
            return _NO_VALUE if arg == "AWS::NoValue" else self._ref(arg)
        if key == "Fn::Join":
            separator, items = arg
            return separator.join(str(v) for v in self.resolve(items))
        if key == "Fn::Sub":
            text = arg if isinstance(arg, str) else arg[0]
            return re.sub(r"\$\{([^}!]+)\}", lambda m: str(self._sub(m.group(1))), text)
        if key == "Fn::GetAtt":
            resource, attribute = arg
            kind = (self.resources.get(resource) or {}).get("Type")
            if kind == "AWS::CloudFront::KeyValueStore":
                return LOCAL_KVS_ARN
            if attribute == "Arn" and kind == "AWS::DynamoDB::Table":
                # The table's real ARN, which IAM policies name (tests/iam evaluates them).
                return f"arn:aws:dynamodb:{LOCAL_REGION}:{LOCAL_ACCOUNT}:table/{self._ref(resource)}"
            return f"arn:aws:local:{LOCAL_REGION}:{LOCAL_ACCOUNT}:{resource}/{attribute}"
        condition, when_true, when_false = arg  # Fn::If
        return self.resolve(when_true if self.condition_holds(condition) else when_false)

    def exists(self, resource_id: str) -> bool:
        """Whether a resource is part of the stack with these parameters (its Condition holds, or it has none)."""
        condition = self.resources[resource_id].get("Condition")
        return condition is None or self.condition_holds(condition)

    def condition_holds(self, name: str) -> bool:
        """One of the template's Conditions, decided as CloudFormation does for these parameter values."""
        conditions: dict[str, Any] = self.document.get("Conditions") or {}
        if name not in conditions:
            raise TemplateError(f"unknown condition {name}")
        return self._decide(conditions[name])

    def _decide(self, expression: Any) -> bool:
        ((function, argument),) = expression.items()
        if function == "Condition":
            return self.condition_holds(argument)
        if function == "Fn::Not":
            return not self._decide(argument[0])
        if function == "Fn::And":
            return all(self._decide(item) for item in argument)
        if function == "Fn::Or":
            return any(self._decide(item) for item in argument)
        if function == "Fn::Equals":
            # CloudFormation compares the values as strings: Number parameters included.
            left, right = (str(self.resolve(item)) for item in argument)
            return left == right
        raise TemplateError(f"condition function {function} is not supported")

    def _sub(self, name: str) -> Any:
        if "." in name:
            return self.resolve({"Fn::GetAtt": name.split(".", 1)})
        return self._ref(name)

    # -- what the runner serves ----------------------------------------------------------------------
    def _of_type(self, kind: str) -> dict[str, dict[str, Any]]:
        """The resources of that type that exist with these parameters."""
        return {rid: r for rid, r in self.resources.items() if r.get("Type") == kind and self.exists(rid)}

    def global_environment(self) -> dict[str, str]:
        """Globals.Function.Environment: what every function of the stack sees."""
        variables = ((self.document.get("Globals") or {}).get("Function") or {}).get("Environment") or {}
        return {name: str(value) for name, value in self.resolve(variables.get("Variables") or {}).items()}

    def _setting(self, name: str, properties: dict[str, Any], globals_: dict[str, Any], default: Any) -> Any:
        """A function property, else its Globals value, else Lambda's default."""
        return self.resolve(properties.get(name, globals_.get(name, default)))

    def functions(self) -> dict[str, Function]:
        globals_ = (self.document.get("Globals") or {}).get("Function") or {}
        functions: dict[str, Function] = {}
        for rid, resource in self._of_type("AWS::Serverless::Function").items():
            props = resource.get("Properties") or {}
            env = {
                **((globals_.get("Environment") or {}).get("Variables") or {}),
                **((props.get("Environment") or {}).get("Variables") or {}),
            }
            code_uri, handler = props.get("CodeUri"), props.get("Handler")
            if not code_uri or not handler:
                raise TemplateError(f"{rid} needs CodeUri and Handler")
            function = Function(
                logical_id=rid,
                code_uri=(self.root / code_uri).resolve(),
                handler=handler,
                environment={k: str(v) for k, v in self.resolve(env).items()},
                timeout_seconds=float(self._setting("Timeout", props, globals_, DEFAULT_TIMEOUT_SECONDS)),
                memory_mb=int(self._setting("MemorySize", props, globals_, DEFAULT_MEMORY_MB)),
            )
            if not function.module_path.is_file():
                raise TemplateError(f"{rid}: handler module {function.module_path} does not exist")
            functions[rid] = function
        return functions

    def _api(self) -> dict[str, Any]:
        apis = self._of_type("AWS::Serverless::Api")
        if len(apis) != 1:
            raise TemplateError("the runner serves exactly one AWS::Serverless::Api")
        return next(iter(apis.values())).get("Properties") or {}

    def stage(self) -> str:
        return str(self.resolve(self._api().get("StageName", "Prod")))

    def authorizers(self) -> dict[str, Authorizer]:
        auth = self._api().get("Auth") or {}
        result: dict[str, Authorizer] = {}
        for name, spec in (auth.get("Authorizers") or {}).items():
            arn = spec.get("FunctionArn", {})
            if not (isinstance(arn, dict) and "Fn::GetAtt" in arn):
                raise TemplateError(f"authorizer {name}: FunctionArn must be !GetAtt <Function>.Arn")
            if spec.get("FunctionPayloadType", "TOKEN") != "REQUEST":
                raise TemplateError(f"authorizer {name}: only REQUEST authorizers are supported")
            identity = spec.get("Identity") or {}
            result[name] = Authorizer(
                name=name,
                function_id=arn["Fn::GetAtt"][0],
                identity_headers=tuple(identity.get("Headers") or ()),
                identity_query=tuple(identity.get("QueryStrings") or ()),
                ttl_seconds=int(self.resolve(identity.get("ReauthorizeEvery", 300))),
            )
        return result

    def routes(self) -> list[Route]:
        default = (self._api().get("Auth") or {}).get("DefaultAuthorizer")
        routes: list[Route] = []
        for rid, resource in self._of_type("AWS::Serverless::Function").items():
            for event in ((resource.get("Properties") or {}).get("Events") or {}).values():
                if event.get("Type") != "Api":
                    continue
                props = event.get("Properties") or {}
                authorizer = (props.get("Auth") or {}).get("Authorizer", default)
                patience = self.resolve(props.get("TimeoutInMillis", DEFAULT_INTEGRATION_TIMEOUT_MILLIS))
                routes.append(
                    Route(
                        method=str(props["Method"]).upper(),
                        path=str(props["Path"]),
                        function_id=rid,
                        authorizer=None if authorizer in (None, "NONE") else authorizer,
                        integration_timeout_seconds=int(patience) / 1000,
                    )
                )
        return routes

    def gateway_responses(self) -> dict[str, GatewayResponse]:
        """The API's `GatewayResponses`, as written: what they leave out, API Gateway fills in (gateway_responses)."""
        responses: dict[str, GatewayResponse] = {}
        for kind, spec in (self.resolve(self._api().get("GatewayResponses")) or {}).items():
            if kind not in TYPE_STATUS:
                raise TemplateError(f"GatewayResponses: {kind} is not an API Gateway response type")
            headers = {}
            for name, value in ((spec.get("ResponseParameters") or {}).get("Headers") or {}).items():
                text = str(value)
                if len(text) < 2 or not (text.startswith("'") and text.endswith("'")):
                    raise TemplateError(f"GatewayResponses {kind}: header {name} must be a quoted static value")
                headers[name] = text[1:-1]
            status = spec.get("StatusCode")
            responses[kind] = GatewayResponse(
                status=int(status) if status is not None else None,
                body=(spec.get("ResponseTemplates") or {}).get("application/json"),
                headers=headers,
            )
        return responses

    def throttle_limits(self) -> dict[tuple[str, str], ThrottleLimit]:
        """The stage's `MethodSettings` throttling, keyed by (resource path, HTTP method), `*` for any."""
        limits: dict[tuple[str, str], ThrottleLimit] = {}
        paths = {route.path for route in self.routes()} | {ANY_RESOURCE}
        for setting in self.resolve(self._api().get("MethodSettings")) or []:
            if "ThrottlingRateLimit" not in setting and "ThrottlingBurstLimit" not in setting:
                continue  # logging or metrics settings only
            if "ThrottlingRateLimit" not in setting or "ThrottlingBurstLimit" not in setting:
                raise TemplateError("MethodSettings: set ThrottlingRateLimit and ThrottlingBurstLimit together")
            path = decode_resource_path(str(setting["ResourcePath"]))
            if path not in paths:
                raise TemplateError(f"MethodSettings: no route has the resource {setting['ResourcePath']} ({path})")
            key = (path, str(setting["HttpMethod"]).upper())
            limits[key] = ThrottleLimit(float(setting["ThrottlingRateLimit"]), int(setting["ThrottlingBurstLimit"]))
        return limits

    def table_definition(self) -> dict[str, Any]:
        """create_table arguments taken from the template's own table, so tests and deployment agree."""
        tables = self._of_type("AWS::DynamoDB::Table")
        if len(tables) != 1:
            raise TemplateError("expected exactly one AWS::DynamoDB::Table")
        ((rid, table),) = tables.items()
        # Only what create_table takes (TTL and PITR are settings of their own calls).
        wanted = ("AttributeDefinitions", "KeySchema", "BillingMode", "GlobalSecondaryIndexes", "StreamSpecification")
        props = self.resolve({name: value for name, value in table["Properties"].items() if name in wanted})
        definition: dict[str, Any] = {
            "TableName": f"{LOCAL_STACK}-{rid}",
            "AttributeDefinitions": props["AttributeDefinitions"],
            "KeySchema": props["KeySchema"],
            "BillingMode": props.get("BillingMode", "PAY_PER_REQUEST"),
        }
        if props.get("GlobalSecondaryIndexes"):
            definition["GlobalSecondaryIndexes"] = props["GlobalSecondaryIndexes"]
        if props.get("StreamSpecification"):
            definition["StreamSpecification"] = {"StreamEnabled": True, **props["StreamSpecification"]}
        return definition
