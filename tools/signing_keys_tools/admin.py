"""Operator commands: API credentials (issue, list, disable, enable, rotate) and a workspace's audit trail.

    python -m signing_keys_tools.admin create-credential --workspace acme [--scope read|write] --table <TableName>
    python -m signing_keys_tools.admin list-credentials --workspace acme --table <TableName>
    python -m signing_keys_tools.admin disable-credential --workspace acme --token-id <id> --table <TableName>
    python -m signing_keys_tools.admin enable-credential --workspace acme --token-id <id> --table <TableName>
    python -m signing_keys_tools.admin rotate-credential --workspace acme --token-id <id> [--grace-seconds 3600] ...
    python -m signing_keys_tools.admin audit --workspace acme [--limit 100] [--cursor <next cursor>] ...

Every command takes `--table` (default $TABLE_NAME), `--endpoint-url` (e.g. the local runner's embedded
DynamoDB, printed by `make run` as "DynamoDB: ...") and `--region`. A secret is printed once, by create and
rotate, and never again: the table keeps only its SHA-256. Every credential change writes an audit entry.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from signing_keys.audit import AuditLog
from signing_keys.config import Settings
from signing_keys.credentials import CredentialService, IssuedCredential
from signing_keys.dialects import body_of, neutral
from signing_keys.errors import CredentialNotFound, InvalidInput, SigningKeyError
from signing_keys.limits import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE
from signing_keys.models import Credential, Scope, iso8601, utc_now
from signing_keys.patterns import is_workspace_id
from signing_keys.store.audit import AuditRepository
from signing_keys.store.credentials import CredentialRepository
from signing_keys.store.table import Table

# The local runner's embedded DynamoDB holds its table in this region (moto keeps one set of tables per region).
LOCAL_REGION = "us-east-1"
EXIT_FAILED = 1
EXIT_USAGE = 2
_AUDIT_TARGETS = ("keyId", "successorKeyId", "revocationId", "credentialTokenId")


def _workspace(value: str) -> str:
    if not is_workspace_id(value):
        raise argparse.ArgumentTypeError("use 1-64 letters, digits, '_', '.' or '-', starting alphanumeric")
    return value


def _bounded(minimum: int, maximum: int) -> Callable[[str], int]:
    def parse(value: str) -> int:
        try:
            number = int(value)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{value!r} is not a whole number") from None
        if not minimum <= number <= maximum:
            raise argparse.ArgumentTypeError(f"must be {minimum}-{maximum}")
        return number

    return parse


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--table",
        default=os.environ.get("TABLE_NAME"),
        help="DynamoDB table (the stack's TableName output); defaults to $TABLE_NAME",
    )
    common.add_argument("--endpoint-url", help="DynamoDB endpoint, e.g. the local runner's embedded one")
    common.add_argument("--region", help="AWS region; defaults to the AWS configuration's")
    common.add_argument("--workspace", required=True, type=_workspace, help="the workspace id")
    common.add_argument(
        "--audit-retention-days",
        type=_bounded(1, 3653),
        default=int(os.environ.get("AUDIT_RETENTION_DAYS") or Settings.audit_retention_days),
        help="how long the audit entries of credential changes are kept: the stack's AuditRetentionDays "
        "(default $AUDIT_RETENTION_DAYS or %(default)s)",
    )
    common.add_argument("--json", action="store_true", help="print JSON instead of text")
    token = argparse.ArgumentParser(add_help=False)
    token.add_argument("--token-id", required=True, help="the credential's token id (list-credentials shows them)")

    parser = argparse.ArgumentParser(prog="python -m signing_keys_tools.admin", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    create = commands.add_parser("create-credential", parents=[common], help="issue a credential; prints its secret")
    create.add_argument(
        "--scope",
        type=Scope,
        choices=list(Scope),
        default=Scope.WRITE,
        help="read: list and get only; write (default): also create, update and delete",
    )
    commands.add_parser("list-credentials", parents=[common], help="token ids, scope, state, creation; no secrets")
    commands.add_parser("disable-credential", parents=[common, token], help="refuse every secret of a token id")
    commands.add_parser("enable-credential", parents=[common, token], help="accept a disabled token id again")
    rotate = commands.add_parser(
        "rotate-credential", parents=[common, token], help="new secret for a token id; prints it; retires the old"
    )
    rotate.add_argument(
        "--grace-seconds",
        type=_bounded(0, 30 * 86_400),
        default=0,
        help="how long the old secret keeps working (default 0: it is refused at once)",
    )
    audit = commands.add_parser("audit", parents=[common], help="the workspace's audit trail, newest first")
    audit.add_argument("--limit", type=_bounded(1, MAX_PAGE_SIZE), default=DEFAULT_PAGE_SIZE)
    audit.add_argument("--cursor", help="the next cursor a previous page printed")
    return parser


def _state(credential: Credential, now: datetime) -> str:
    if credential.disabled:
        return "disabled"
    if credential.disable_at is None:
        return "active"
    if credential.disable_at <= now:
        return "retired"
    return f"retiring at {iso8601(credential.disable_at)}"


def _print_issued(issued: IssuedCredential, as_json: bool) -> None:
    if as_json:
        fields = {"workspaceId": issued.workspace_id, "tokenId": issued.token_id, "scope": issued.scope.value}
        print(json.dumps({**fields, "secret": issued.secret}))
        return
    print(
        f"workspace: {issued.workspace_id}\ntoken id:  {issued.token_id}\nscope:     {issued.scope.value}\n"
        f"secret:    {issued.secret}"
    )
    print("Store the secret now: it is not kept and cannot be shown again.", file=sys.stderr)


def _print_credentials(credentials: list[Credential], as_json: bool) -> None:
    now = utc_now()
    rows = [
        {
            "tokenId": credential.token_id,
            "scope": credential.scope.value,
            "state": _state(credential, now),
            "createdAt": iso8601(credential.created_at),
        }
        for credential in credentials
    ]
    if as_json:
        print(json.dumps(rows))
        return
    print(f"{'TOKEN ID':<40} {'SCOPE':<6} {'STATE':<38} CREATED")
    for row in rows:
        print(f"{row['tokenId']:<40} {row['scope']:<6} {row['state']:<38} {row['createdAt']}")


def _print_audit(args: argparse.Namespace, log: AuditLog) -> None:
    """The same fields as GET /audit-events."""
    page = log.page(args.workspace, limit=args.limit, cursor=args.cursor)
    events = [body_of(neutral.audit_event(entry)) for entry in page.entries]
    if args.json:
        print(json.dumps({"auditEvents": events, "nextCursor": page.next_cursor}))
        return
    for entry, event in zip(page.entries, events, strict=True):
        target = " ".join(f"{name}={event[name]}" for name in _AUDIT_TARGETS if name in event)
        origin = f" ip={event['sourceIp']}" if "sourceIp" in event else ""
        print(
            f"{iso8601(entry.created_at)}  {event['action']:<18} {target}  "
            f"by={event['tokenId']}{origin} request={event['requestId']}"
        )
    if page.next_cursor is not None:
        print(f"more: --cursor {page.next_cursor}", file=sys.stderr)


def _dynamodb(endpoint_url: str | None, region: str | None) -> Any:
    if endpoint_url is None:
        return boto3.client("dynamodb", region_name=region)
    # A local DynamoDB (the runner's, DynamoDB Local) checks no signature, but boto3 still signs: without AWS
    # credentials configured, any will do. The runner's table is in LOCAL_REGION unless --region says otherwise.
    session = boto3.Session(region_name=region or LOCAL_REGION)
    if session.get_credentials() is None:
        session = boto3.Session(
            region_name=region or LOCAL_REGION,
            aws_access_key_id="local",
            aws_secret_access_key="local",  # noqa: S106
        )
    return session.client("dynamodb", endpoint_url=endpoint_url)


def run(args: argparse.Namespace, table: Table) -> None:
    credentials = CredentialService(CredentialRepository(table), args.audit_retention_days)
    if args.command == "create-credential":
        issued = credentials.issue(args.workspace, scope=args.scope)
        assert issued is not None, "a fresh random secret cannot exist already"
        _print_issued(issued, args.json)
    elif args.command == "list-credentials":
        _print_credentials(credentials.list(args.workspace), args.json)
    elif args.command in {"disable-credential", "enable-credential"}:
        credentials.set_disabled(args.workspace, args.token_id, disabled=args.command == "disable-credential")
        print(f"{args.command.removesuffix('-credential')}d: {args.token_id}", file=sys.stderr)
    elif args.command == "rotate-credential":
        _print_issued(credentials.rotate(args.workspace, args.token_id, args.grace_seconds), args.json)
    elif args.command == "audit":
        _print_audit(args, AuditLog(AuditRepository(table)))


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if not args.table:
        print("error: --table is required (or set TABLE_NAME)", file=sys.stderr)
        return EXIT_USAGE
    try:
        run(args, Table(_dynamodb(args.endpoint_url, args.region), args.table))
    except CredentialNotFound as error:
        print(f"error: {error.detail} (workspace {args.workspace}, token id {args.token_id})", file=sys.stderr)
        return EXIT_FAILED
    except InvalidInput as error:
        print(f"error: {error.detail}", file=sys.stderr)
        return EXIT_USAGE
    except SigningKeyError as error:  # DynamoDB throttled or kept failing
        print(f"error: {error.detail}", file=sys.stderr)
        return EXIT_FAILED
    except (BotoCoreError, ClientError) as error:
        print(f"error: DynamoDB refused or failed: {error}", file=sys.stderr)
        return EXIT_FAILED
    return 0


if __name__ == "__main__":
    sys.exit(main())
