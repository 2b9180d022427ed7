"""`signing-keys-local`: the API on this machine without Docker, like `sam local start-api` / `invoke`.

signing-keys-local start-api [--port 3000] [--parameter-overrides KeyLimit=3] [--credential WS:TOKEN:SECRET]
                             [--max-containers 4] [--no-throttle]
signing-keys-local invoke CreateKeyFunction -e events/create_key.json
signing-keys-local generate-event-files [--out events]
signing-keys-local inline-edge-function [--root .]
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import json
import os
import signal
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from signing_keys_local.containers import DEFAULT_MAX_CONTAINERS, ContainerHost
from signing_keys_local.edge_host import EdgeHostError
from signing_keys_local.functions import FunctionHost, InvocationFailed
from signing_keys_local.template import LOCAL_REGION, Template, TemplateError

if TYPE_CHECKING:
    from signing_keys_local.edge import LocalEdge

DEFAULT_TEMPLATE = Path("template.yaml")
# The bucket name the template sees when the runner plays the edge with a local directory as its origin.
LOCAL_MEDIA_BUCKET = "local-media"
DEV_WORKSPACE = "dev"


@dataclass(frozen=True)
class SeededCredential:
    workspace_id: str
    token_id: str
    secret: str


class RunnerError(RuntimeError):
    """A problem the user can fix (port taken, bad template, bad flag); printed without a traceback."""


# -- flags --------------------------------------------------------------------------------------------
def parse_overrides(values: Sequence[str]) -> dict[str, str]:
    """SAM CLI's two spellings: `Name=Value Name2=Value2` and `ParameterKey=Name,ParameterValue=Value`."""
    overrides: dict[str, str] = {}
    for token in (t for value in values for t in value.split()):
        if token.startswith("ParameterKey="):
            key_part, _, value_part = token.partition(",")
            name = key_part.removeprefix("ParameterKey=")
            if not value_part.startswith("ParameterValue="):
                raise RunnerError(f"--parameter-overrides: expected ParameterValue= after {key_part}")
            overrides[name] = value_part.removeprefix("ParameterValue=")
            continue
        name, equals, value = token.partition("=")
        if not equals or not name:
            raise RunnerError(f"--parameter-overrides: {token!r} is not Name=Value")
        overrides[name] = value
    return overrides


def parse_credential(value: str) -> SeededCredential:
    workspace, token_id, secret = ([*value.split(":", 2), "", ""])[:3]
    if not workspace or not token_id or not secret:
        raise argparse.ArgumentTypeError("expected WORKSPACE:TOKEN_ID:SECRET")
    return SeededCredential(workspace, token_id, secret)


# -- the local stack ----------------------------------------------------------------------------------
def _point_aws_at(endpoint: str, embedded: bool) -> None:
    """Configure boto3 through the variables it already honours, before any handler builds a client."""
    os.environ["AWS_ENDPOINT_URL_DYNAMODB"] = endpoint
    os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")  # EMF lines are for CloudWatch, not a terminal
    if embedded:
        # Never let a local run reach a real account through the user's profile.
        os.environ.update(
            {
                "AWS_ACCESS_KEY_ID": "local",
                "AWS_SECRET_ACCESS_KEY": "local",
                "AWS_DEFAULT_REGION": LOCAL_REGION,
                "AWS_REGION": LOCAL_REGION,
            }
        )
        os.environ.pop("AWS_SESSION_TOKEN", None)
        os.environ.pop("AWS_PROFILE", None)
    else:
        os.environ.setdefault("AWS_DEFAULT_REGION", LOCAL_REGION)


@contextlib.contextmanager
def local_dynamodb(template: Template, endpoint: str | None) -> Iterator[str]:
    """The embedded DynamoDB (or `endpoint`), with the template's table in it."""
    from signing_keys_local.dynamodb import EmbeddedDynamoDB, ensure_table

    embedded = EmbeddedDynamoDB().start() if endpoint is None else None
    try:
        url = embedded.endpoint_url if embedded is not None else str(endpoint)
        _point_aws_at(url, embedded is not None)
        try:
            ensure_table(url, template.table_definition())
        except Exception as error:
            raise RunnerError(f"cannot create the table at {url}: {error}") from None
        yield url
    finally:
        if embedded is not None:
            embedded.stop()


def _table_name(template: Template) -> str:
    return str(template.table_definition()["TableName"])


def seed_credential(template: Template, credential: SeededCredential) -> None:
    from signing_keys.credentials import CredentialService
    from signing_keys.store.credential_items import secret_hash
    from signing_keys.store.credentials import CredentialRepository

    credentials = CredentialRepository.connect(_table_name(template))
    if (
        CredentialService(credentials).issue(credential.workspace_id, credential.token_id, credential.secret)
        is not None
    ):
        return
    existing = credentials.get_credential(secret_hash(credential.secret))
    if existing is None or (existing.workspace_id, existing.token_id) != (
        credential.workspace_id,
        credential.token_id,
    ):
        raise RunnerError(
            f"a credential with that secret already exists for another token id or workspace "
            f"(token id {credential.token_id})"
        )


def _load(path: Path, overrides: Sequence[str]) -> tuple[Template, FunctionHost]:
    try:
        template = Template(path, parse_overrides(overrides))
        return template, FunctionHost(template)
    except TemplateError as error:
        raise RunnerError(str(error)) from None


# -- start-api ----------------------------------------------------------------------------------------
def _banner(url: str, credential: SeededCredential, generated: bool, out: TextIO) -> None:
    # A seeded secret is the caller's own: it is not echoed into terminals and CI logs.
    secret = credential.secret if generated else "<secret>"
    basic = f"{credential.token_id}:{secret}"
    origin = "generated for this run" if generated else "seeded"
    print(
        f"""
Signing Keys API running at {url}  (Ctrl-C to stop; API docs at {url}/docs)
Credential ({origin}): workspace {credential.workspace_id}
  token id: {credential.token_id}
  secret:   {secret}

FastPix dialect (HTTP Basic):
  curl -s -u '{basic}' -X POST {url}/iam/signing-keys
  curl -s -u '{basic}' '{url}/iam/signing-keys?limit=10&offset=1'
Livepeer dialect (Bearer):
  curl -s -H 'Authorization: Bearer {secret}' -X POST {url}/access-control/signing-key

Python SDKs:
  from fastpix_python import Fastpix, models
  fastpix = Fastpix(server_url="{url}",
                    security=models.Security(username="{credential.token_id}", password="{secret}"))
  fastpix.signing_keys.create_signing_key()

  from livepeer import Livepeer
  livepeer = Livepeer(server_url="{url}", api_key="{secret}")
  livepeer.access_control.create()
""",
        file=out,
        flush=True,
    )


@contextlib.contextmanager
def _edge(template: Template, media_dir: Path, containers: ContainerHost, dynamodb_url: str) -> Iterator[LocalEdge]:
    from signing_keys_local.edge import LocalEdge

    if not media_dir.is_dir():
        raise RunnerError(f"--media-dir {media_dir} is not a directory")
    edge = LocalEdge(template, media_dir, containers, dynamodb_url)
    edge.point_functions_here()
    try:
        edge.start()
    except (InvocationFailed, EdgeHostError) as error:
        edge.close()
        raise RunnerError(f"the local edge could not start: {error}") from None
    try:
        yield edge
    finally:
        edge.close()


def _warm_up(containers: ContainerHost) -> None:
    try:
        containers.warm_up()
    except InvocationFailed as failure:
        print(f"a function failed to start:\n{failure.log_text()}", file=sys.stderr, flush=True)


def start_api(args: argparse.Namespace) -> int:
    from signing_keys_local import openapi
    from signing_keys_local.gateway import Gateway
    from signing_keys_local.server import LocalApiServer

    started = time.monotonic()
    # Containers write to the same streams as the runner, so a line must reach them in one write: print() writes
    # its text and its newline apart, which write_through would pass on as two writes.
    for stream in (sys.stdout, sys.stderr):
        stream.reconfigure(line_buffering=True, write_through=False)  # type: ignore[union-attr]
    # Requests go to containers (worker processes); the handlers are imported here too, for the OpenAPI document.
    overrides = list(args.parameter_overrides)
    if args.media_dir is not None and not any("EdgeMediaBucketName" in value for value in overrides):
        overrides.append(f"EdgeMediaBucketName={LOCAL_MEDIA_BUCKET}")  # the edge, with DIR as its origin
    template, in_process = _load(args.template, overrides)
    try:
        containers = ContainerHost(template, max_containers=args.max_containers)
        gateway = Gateway(template, containers, throttling=not args.no_throttle)
    except TemplateError as error:
        raise RunnerError(str(error)) from None
    try:
        # Bind first: a taken port is the most common failure, and it should cost nothing to find out.
        server = LocalApiServer((args.host, args.port), gateway, quiet=args.quiet)
    except OSError as error:
        if error.errno == errno.EADDRINUSE:
            raise RunnerError(
                f"port {args.port} on {args.host} is already in use; choose another with --port"
            ) from None
        raise RunnerError(f"cannot listen on {args.host}:{args.port}: {error.strerror}") from None
    previous_sigterm = signal.signal(signal.SIGTERM, _interrupt)
    try:
        with local_dynamodb(template, args.dynamodb_endpoint) as dynamodb_url, contextlib.ExitStack() as stack:
            print(f"DynamoDB: {dynamodb_url}", file=sys.stderr, flush=True)
            if args.media_dir is not None:
                server.edge = stack.enter_context(_edge(template, args.media_dir, containers, dynamodb_url))
            credentials = list(args.credential)
            generated = not credentials
            if generated:
                import secrets
                import uuid

                credentials = [SeededCredential(DEV_WORKSPACE, f"dev-{uuid.uuid4()}", secrets.token_urlsafe(32))]
            for credential in credentials:
                seed_credential(template, credential)
            in_process.load_all()  # an import error stops the runner now, not on the first request
            if any(getattr(in_process.module(f), "app", None) is not None for f in in_process.functions):
                server.documents = openapi.documents(openapi.build(in_process))  # from the Powertools resolvers
            _banner(server.url, credentials[0], generated, sys.stdout)
            print(f"ready in {time.monotonic() - started:.2f}s", file=sys.stderr, flush=True)
            # One warm container per function, started behind the first requests (each would start its own).
            threading.Thread(target=_warm_up, args=(containers,), name="warm-up", daemon=True).start()
            with contextlib.suppress(KeyboardInterrupt):
                server.serve_forever()
    finally:
        signal.signal(signal.SIGTERM, previous_sigterm)
        server.server_close()
        containers.close()
    print("stopped", file=sys.stderr, flush=True)
    sys.stdout.flush()
    # Everything the runner holds is in memory and the containers are gone: nothing needs an orderly teardown
    # (the embedded DynamoDB's table, however large, would only be freed object by object), so leave at once.
    os._exit(0)


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt  # SIGTERM stops the server exactly as Ctrl-C does


# -- invoke -------------------------------------------------------------------------------------------
def _read_event(source: str | None) -> dict[str, Any]:
    if source is None:
        return {}
    try:
        text = sys.stdin.read() if source == "-" else Path(source).read_text(encoding="utf-8")
        event = json.loads(text)
    except OSError as error:
        raise RunnerError(f"cannot read event {source}: {error.strerror}") from None
    except json.JSONDecodeError as error:
        raise RunnerError(f"event {source} is not JSON: {error}") from None
    if not isinstance(event, dict):
        raise RunnerError(f"event {source} must be a JSON object")
    return event


def seed_examples(template: Template) -> None:
    """What events/ refers to: the example credential, a key (bring-your-own, so no private key) and a
    revocation."""
    from signing_keys.config import Settings
    from signing_keys.errors import InvalidInput
    from signing_keys.models import Actor, Algorithm, RevocationType
    from signing_keys.revocations import RevocationService
    from signing_keys.service import KeyService
    from signing_keys_local import examples

    seed_credential(
        template, SeededCredential(examples.EXAMPLE_WORKSPACE, examples.EXAMPLE_TOKEN_ID, examples.EXAMPLE_SECRET)
    )
    settings = Settings(table_name=_table_name(template))
    operator = Actor.operator(examples.EXAMPLE_WORKSPACE)
    with contextlib.suppress(InvalidInput):  # already there from an earlier run
        KeyService.from_settings(settings).create_key(
            operator,
            default_algorithm=Algorithm.ES256,
            name="example key",
            public_key=examples.EXAMPLE_PUBLIC_KEY_PEM,
        )
    # Idempotent: an active revocation of the same jti is kept as it is.
    RevocationService.from_settings(settings).revoke(operator, RevocationType.JTI, examples.EXAMPLE_REVOKED_JTI)


def invoke(args: argparse.Namespace) -> int:
    template, host = _load(args.template, args.parameter_overrides)
    if args.function not in host.functions:
        raise RunnerError(f"no function {args.function}; the template has: {', '.join(sorted(host.functions))}")
    event = _read_event(args.event)
    response_out = sys.stdout
    # As `sam local invoke`: the response alone on stdout, the function's logs on stderr.
    with contextlib.redirect_stdout(sys.stderr), local_dynamodb(template, args.dynamodb_endpoint) as url:
        if args.dynamodb_endpoint is None:
            seed_examples(template)
        if template.exists("EdgeKeyValueStore"):
            # The edge functions' KeyValueStore and secret, as start-api makes them (events/ names the secret).
            from signing_keys_local.edge import LocalEdge

            edge = LocalEdge(template, None, host, url)
            edge.point_functions_here()
            edge.create_secret()
        try:
            response = host.invoke(args.function, event)
        except InvocationFailed as failure:
            # As `sam local invoke`: a function error is the invocation's result, not a failure of the command.
            response = {"errorMessage": failure.message, "errorType": failure.error_type}
    response_out.write(json.dumps(response) + "\n")
    return 0


def write_openapi(args: argparse.Namespace) -> int:
    from signing_keys_local import openapi

    os.environ.setdefault("AWS_DEFAULT_REGION", LOCAL_REGION)  # handlers build clients at import; none is called
    _, host = _load(args.template, [])
    args.out.write_text(openapi.render(openapi.build(host)), encoding="utf-8")
    print(args.out)
    return 0


def generate_event_files(args: argparse.Namespace) -> int:
    from signing_keys_local.examples import write_events

    for path in write_events(args.out):
        print(path)
    return 0


def inline_edge_function(args: argparse.Namespace) -> int:
    from signing_keys_local.edge_function_code import InlineError, write

    try:
        print(write(args.root))
    except InlineError as error:
        raise RunnerError(str(error)) from error
    return 0


# -- entry point --------------------------------------------------------------------------------------
def _positive(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return number


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="signing-keys-local", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)

    def with_template(sub: argparse.ArgumentParser) -> None:
        sub.add_argument("-t", "--template", type=Path, default=DEFAULT_TEMPLATE, help="SAM template path")
        sub.add_argument(
            "--parameter-overrides",
            nargs="+",
            default=[],
            metavar="NAME=VALUE",
            help="template parameters, as with sam: KeyLimit=3 LogLevel=DEBUG",
        )
        sub.add_argument("--dynamodb-endpoint", metavar="URL", help="use this DynamoDB instead of the embedded one")

    api = commands.add_parser("start-api", help="serve every route of the template over HTTP")
    with_template(api)
    api.add_argument("--host", default="127.0.0.1")
    api.add_argument("--port", type=int, default=3000)
    api.add_argument(
        "--credential",
        action="append",
        default=[],
        type=parse_credential,
        metavar="WORKSPACE:TOKEN_ID:SECRET",
        help="seed a known credential (repeatable); without one a development credential is generated",
    )
    api.add_argument("--quiet", action="store_true", help="no per-request log lines")
    api.add_argument(
        "--media-dir",
        type=Path,
        metavar="DIR",
        help="serve the edge on this port: /m/... checked by the CloudFront Function, DIR/<workspace>/<media>/... "
        "as its origin (sets EdgeMediaBucketName)",
    )
    api.add_argument(
        "--max-containers",
        type=_positive,
        default=DEFAULT_MAX_CONTAINERS,
        metavar="N",
        help=f"warm containers per function at most; beyond, requests wait for one (default {DEFAULT_MAX_CONTAINERS})",
    )
    api.add_argument(
        "--no-throttle",
        action="store_true",
        help="ignore the stage's throttling limits (MethodSettings), e.g. for load tests",
    )
    api.set_defaults(run=start_api)

    call = commands.add_parser("invoke", help="invoke one function with an event, like sam local invoke")
    with_template(call)
    call.add_argument("function", metavar="FUNCTION_LOGICAL_ID")
    call.add_argument("-e", "--event", metavar="FILE", help="event JSON file, or - for stdin (default: {})")
    call.set_defaults(run=invoke)

    events = commands.add_parser("generate-event-files", help="rewrite events/ from the event factory")
    events.add_argument("--out", type=Path, default=Path("events"))
    events.set_defaults(run=generate_event_files)
    spec = commands.add_parser("openapi", help="write the OpenAPI document generated from the handlers")
    spec.add_argument("-t", "--template", type=Path, default=DEFAULT_TEMPLATE, help="SAM template path")
    spec.add_argument("--out", type=Path, default=Path("openapi.json"))
    spec.set_defaults(run=write_openapi)
    edge = commands.add_parser(
        "inline-edge-function", help="copy edge/viewer_request.js into template.yaml (the CloudFront Function's code)"
    )
    edge.add_argument("--root", type=Path, default=Path("."), help="the checkout holding template.yaml and edge/")
    edge.set_defaults(run=inline_edge_function)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return int(args.run(args))
    except RunnerError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
