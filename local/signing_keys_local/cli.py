"""`signing-keys-local`: the API on this machine without Docker, like `sam local start-api` / `invoke`.

signing-keys-local start-api [--port 3000] [--parameter-overrides KeyLimit=3] [--credential WS:TOKEN:SECRET]
                             [--state-dir .signing-keys-local | --in-memory] [--fresh] [--dynamodb-port N]
                             [--max-containers 4] [--max-connections 128] [--request-timeout 30] [--no-throttle]
signing-keys-local invoke CreateKeyFunction -e events/create_key.json
signing-keys-local generate-event-files [--out events]
signing-keys-local inline-edge-function [--root .]
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import ipaddress
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
from urllib.parse import urlsplit

from signing_keys_local.containers import DEFAULT_MAX_CONTAINERS, ContainerHost
from signing_keys_local.edge_host import EdgeHostError
from signing_keys_local.functions import FunctionHost, InvocationFailed
from signing_keys_local.journal import Journal
from signing_keys_local.server import DEFAULT_MAX_CONNECTIONS, DEFAULT_REQUEST_TIMEOUT_SECONDS
from signing_keys_local.state import DEFAULT_STATE_DIR, StateDir, StateDirInUse
from signing_keys_local.template import LOCAL_REGION, Template, TemplateError

if TYPE_CHECKING:
    from signing_keys_local.edge import LocalEdge
    from signing_keys_local.sample import SampleSession

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
        return
    os.environ.setdefault("AWS_DEFAULT_REGION", LOCAL_REGION)
    if _is_loopback(endpoint) and boto3_credentials_missing():
        # A DynamoDB on this machine (DynamoDB Local, another runner's) checks no signature, but boto3 signs and
        # stops without credentials. Credentials the user has are kept: DynamoDB Local keeps one database per
        # access key unless started with -sharedDb, so they choose which database this run sees.
        os.environ.update({"AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local"})


def _is_loopback(endpoint: str) -> bool:
    host = urlsplit(endpoint).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def boto3_credentials_missing() -> bool:
    import boto3

    return boto3.Session().get_credentials() is None


@contextlib.contextmanager
def local_dynamodb(
    template: Template, endpoint: str | None, port: int = 0, journal: Journal | None = None
) -> Iterator[str]:
    """The embedded DynamoDB (on `port`, 0 for any free one; restored from and writing to `journal` if given),
    or `endpoint`, with the template's table in it."""
    from signing_keys_local.dynamodb import EmbeddedDynamoDB, PortUnavailable, ensure_table

    embedded = None
    if endpoint is None:
        try:
            embedded = EmbeddedDynamoDB(port=port, journal=journal).start()
        except PortUnavailable as error:
            if error.errno == errno.EADDRINUSE:
                raise RunnerError(
                    f"port {port} is already in use; choose another with --dynamodb-port (or leave it out)"
                ) from None
            raise RunnerError(f"cannot start the embedded DynamoDB on port {port}: {error.strerror}") from None
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
def _sample(template: Template, media_dir: Path, state: StateDir | None, url: str) -> SampleSession | None:
    from signing_keys.config import Settings
    from signing_keys_local.sample import sample_session

    settings = Settings(
        table_name=_table_name(template),
        key_limit=int(template.parameters["KeyLimit"]),
        max_token_lifetime_seconds=int(template.parameters["MaxTokenLifetimeSeconds"]),
    )
    return sample_session(settings, media_dir, state, url)


def _playback_lines(url: str, secret: str, sample: SampleSession | None) -> str:
    """The banner's playback part: the sample playing, then the steps of the README's quick start."""
    if sample is None:
        return ""
    return f"""
Watch the protected sample play (exchange, then every segment checked at the local edge):
  {sample.player_url}
Then with your own key (README.md, "Quick start: a protected video playing in five minutes"):
  export KEYS=$(mktemp -d); umask 077    # the private key goes to a file only you can read
  curl -s -H 'Authorization: Bearer {secret}' -X POST {url}/access-control/signing-key > $KEYS/key.json
  TOKEN=$(.venv/bin/python -m signing_keys_tools.tokens sign --key $KEYS/key.json --media sample --jti my-token-1)
  echo "{url}/demo?workspace=dev&media=sample&token=$TOKEN"    # open it in a browser: it plays
  curl -s -w '\\n' -H 'Authorization: Bearer {secret}' -H 'Content-Type: application/json' {url}/revocations \\
       -d '{{"jti": "my-token-1"}}'    # the page stops, saying why (jti_revoked)
  curl -s -w '\\n' -H 'Authorization: Bearer {secret}' -H 'Content-Type: application/json' {url}/tokens/verify \\
       -d "{{\\"token\\": \\"$TOKEN\\", \\"mediaId\\": \\"sample\\"}}"   # why a token is refused, check by check
"""


def _banner(
    url: str, credential: SeededCredential, origin: str | None, sample: SampleSession | None, out: TextIO
) -> None:
    """`origin`: where a development credential comes from; None for a seeded one, whose secret is the caller's
    own and is not echoed into terminals and CI logs."""
    secret = credential.secret if origin is not None else "<secret>"
    basic = f"{credential.token_id}:{secret}"
    origin = origin or "seeded"
    print(
        f"""
Signing Keys API running at {url}  (Ctrl-C to stop; API docs at {url}/docs)
Credential ({origin}): workspace {credential.workspace_id}
  token id: {credential.token_id}
  secret:   {secret}
{_playback_lines(url, secret, sample)}
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


def _open_state(args: argparse.Namespace) -> StateDir | None:
    """The state directory, held by this runner (emptied first with --fresh); None with --in-memory."""
    if args.in_memory:
        return None
    path = args.state_dir or DEFAULT_STATE_DIR
    try:
        state = StateDir(path)
    except StateDirInUse as error:
        raise RunnerError(str(error)) from None
    except OSError as error:
        raise RunnerError(f"cannot use {path} as the state directory: {error.strerror}") from None
    if args.fresh:
        state.wipe()
    return state


def _report_state(state: StateDir | None, journal: Journal | None, endpoint: str | None) -> None:
    if state is None:
        print("State: in memory (--in-memory): nothing is kept after this run", file=sys.stderr, flush=True)
        return
    if journal is None:
        print(f"State: {endpoint} keeps the data; {state.path} the development credential", file=sys.stderr)
        return
    ignored = f", ignored {journal.ignored_lines} unreadable line(s)" if journal.ignored_lines else ""
    restored = f"restored {journal.entries_read} journal entries{ignored}"
    print(f"State: {state.path} ({restored}; --fresh to start empty)", file=sys.stderr, flush=True)


def _development_credential(state: StateDir | None) -> tuple[SeededCredential, str]:
    """The credential for when none is seeded: the one an earlier start kept, else a new one (kept for the next)."""
    import secrets
    import uuid

    if state is None:
        return SeededCredential(
            DEV_WORKSPACE, f"dev-{uuid.uuid4()}", secrets.token_urlsafe(32)
        ), "generated for this run"
    saved = state.saved_credential()
    if saved is not None:
        return SeededCredential(*saved), f"kept in {state.credential_path}"
    credential = SeededCredential(DEV_WORKSPACE, f"dev-{uuid.uuid4()}", secrets.token_urlsafe(32))
    state.save_credential(credential.workspace_id, credential.token_id, credential.secret)
    return credential, f"generated, kept in {state.credential_path}"


def _overrides(args: argparse.Namespace) -> list[str]:
    """The template parameters: the flags', and the edge's bucket when a media directory stands in for it."""
    overrides = list(args.parameter_overrides)
    if args.media_dir is not None and not any("EdgeMediaBucketName" in value for value in overrides):
        overrides.append(f"EdgeMediaBucketName={LOCAL_MEDIA_BUCKET}")
    return overrides


def _seeded_credentials(
    args: argparse.Namespace, template: Template, state: StateDir | None
) -> tuple[SeededCredential, str | None]:
    """Seed the flags' credentials (or the development one) and return the first, and where a generated one lives."""
    credentials = list(args.credential)
    origin = None
    if not credentials:
        development, origin = _development_credential(state)
        credentials = [development]
    for credential in credentials:
        seed_credential(template, credential)
    return credentials[0], origin


def _documents(in_process: FunctionHost) -> dict[str, tuple[str, bytes]]:
    """The runner's own pages: the OpenAPI document and /docs (from the Powertools resolvers), and /demo."""
    from signing_keys_local import openapi, player

    served: dict[str, tuple[str, bytes]] = {}
    if any(getattr(in_process.module(f), "app", None) is not None for f in in_process.functions):
        served = openapi.documents(openapi.build(in_process))
    return {**served, **player.documents()}


def _warm_up(containers: ContainerHost) -> None:
    try:
        containers.warm_up()
    except InvocationFailed as failure:
        print(f"a function failed to start:\n{failure.log_text()}", file=sys.stderr, flush=True)


def start_api(args: argparse.Namespace) -> int:
    from signing_keys_local.gateway import Gateway
    from signing_keys_local.server import LocalApiServer

    started = time.monotonic()
    if args.dynamodb_endpoint is not None and args.dynamodb_port:
        raise RunnerError("--dynamodb-port is the embedded DynamoDB's; with --dynamodb-endpoint there is none")
    # Containers write to the same streams as the runner, so a line must reach them in one write: print() writes
    # its text and its newline apart, which write_through would pass on as two writes.
    for stream in (sys.stdout, sys.stderr):
        stream.reconfigure(line_buffering=True, write_through=False)  # type: ignore[union-attr]
    # Requests go to containers (worker processes); the handlers are imported here too, for the OpenAPI document.
    template, in_process = _load(args.template, _overrides(args))
    try:
        containers = ContainerHost(template, max_containers=args.max_containers)
        gateway = Gateway(template, containers, throttling=not args.no_throttle)
    except TemplateError as error:
        raise RunnerError(str(error)) from None
    try:
        # Bind first: a taken port is the most common failure, and it should cost nothing to find out.
        server = LocalApiServer(
            (args.host, args.port),
            gateway,
            quiet=args.quiet,
            max_connections=args.max_connections,
            request_timeout=args.request_timeout,
        )
    except OSError as error:
        if error.errno == errno.EADDRINUSE:
            raise RunnerError(
                f"port {args.port} on {args.host} is already in use; choose another with --port"
            ) from None
        raise RunnerError(f"cannot listen on {args.host}:{args.port}: {error.strerror}") from None
    previous_sigterm = signal.signal(signal.SIGTERM, _interrupt)
    previous_sigint = signal.signal(signal.SIGINT, _interrupt)
    try:
        state = _open_state(args)
        journal = state.journal() if state is not None and args.dynamodb_endpoint is None else None
        # From here on, Ctrl-C or SIGTERM (once: _interrupt) ends whatever runs, and the teardown follows.
        with (
            contextlib.suppress(KeyboardInterrupt),
            local_dynamodb(template, args.dynamodb_endpoint, args.dynamodb_port, journal) as dynamodb_url,
            contextlib.ExitStack() as stack,
        ):
            print(f"DynamoDB: {dynamodb_url}", file=sys.stderr, flush=True)
            _report_state(state, journal, args.dynamodb_endpoint)
            if args.media_dir is not None:
                server.edge = stack.enter_context(_edge(template, args.media_dir, containers, dynamodb_url))
            credential, origin = _seeded_credentials(args, template, state)
            in_process.load_all()  # an import error stops the runner now, not on the first request
            server.documents = _documents(in_process)
            sample = _sample(template, args.media_dir, state, server.url) if server.edge is not None else None
            _banner(server.url, credential, origin, sample, sys.stdout)
            print(f"ready in {time.monotonic() - started:.2f}s", file=sys.stderr, flush=True)
            # One warm container per function, started behind the first requests (each would start its own).
            threading.Thread(target=_warm_up, args=(containers,), name="warm-up", daemon=True).start()
            server.serve_forever()
    finally:
        if signal.getsignal(signal.SIGTERM) is _interrupt:  # the start failed: the caller gets its handlers back
            signal.signal(signal.SIGTERM, previous_sigterm)
            signal.signal(signal.SIGINT, previous_sigint)
        server.server_close()
        containers.close()
    print("stopped", file=sys.stderr, flush=True)
    sys.stdout.flush()
    # The containers are gone and every write is in the journal already (each is flushed as it is made): nothing
    # needs an orderly teardown (the embedded DynamoDB's table, however large, would only be freed object by
    # object), so leave at once.
    os._exit(0)


def _interrupt(signum: int, frame: Any) -> None:
    """Ctrl-C and SIGTERM stop the server alike, once: another one while the runner stops would break its teardown
    off midway, with a traceback, and the teardown is bounded (the edge host is killed if it lingers 5 s)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    raise KeyboardInterrupt


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
    # The stack's own key limit: a workspace the stack let grow past the default still gets its example key back.
    settings = Settings(table_name=_table_name(template), key_limit=int(template.parameters["KeyLimit"]))
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


def generate_template_sections(args: argparse.Namespace) -> int:
    from signing_keys_local.template_sections import GenerationError, write

    try:
        print(write(args.root))
    except GenerationError as error:
        raise RunnerError(str(error)) from error
    return 0


# -- entry point --------------------------------------------------------------------------------------
def _positive(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return number


def _port(value: str) -> int:
    number = int(value)
    if not 0 <= number <= 65535:
        raise argparse.ArgumentTypeError("must be a port number, 0 to 65535")
    return number


def _positive_seconds(value: str) -> float:
    seconds = float(value)
    if not seconds > 0:
        raise argparse.ArgumentTypeError("must be more than 0")
    return seconds


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
    api.add_argument(
        "--dynamodb-port",
        type=_port,
        default=0,
        metavar="N",
        help="the embedded DynamoDB's port on 127.0.0.1 (default: any free port; printed at start)",
    )
    kept = api.add_mutually_exclusive_group()
    kept.add_argument(
        "--state-dir",
        type=Path,
        metavar="DIR",
        help=f"where keys, credentials and the audit trail are kept across restarts (default {DEFAULT_STATE_DIR}/)",
    )
    kept.add_argument("--in-memory", action="store_true", help="keep nothing: every start is empty")
    api.add_argument("--fresh", action="store_true", help="start empty: delete what the state directory kept")
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
        "--max-connections",
        type=_positive,
        default=DEFAULT_MAX_CONNECTIONS,
        metavar="N",
        help=f"connections served at once; more wait to be accepted (default {DEFAULT_MAX_CONNECTIONS})",
    )
    api.add_argument(
        "--request-timeout",
        type=_positive_seconds,
        default=DEFAULT_REQUEST_TIMEOUT_SECONDS,
        metavar="SECONDS",
        help="a request's head and body must arrive within this many seconds of its first byte, else 408 "
        f"(default {DEFAULT_REQUEST_TIMEOUT_SECONDS:g})",
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
    sections = commands.add_parser(
        "generate-template-sections",
        help="rewrite template.yaml's per-function sections (API events, log groups, alarm and dashboard rows) "
        "from the route table",
    )
    sections.add_argument("--root", type=Path, default=Path("."), help="the checkout holding template.yaml")
    sections.set_defaults(run=generate_template_sections)
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
