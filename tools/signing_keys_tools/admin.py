"""Operator commands. `create-credential` issues an API credential for a workspace.

    python -m signing_keys_tools.admin create-credential --workspace acme --table <TableName> [--region R]

The secret is printed once, here, and never again: the table keeps only its SHA-256.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from signing_keys.credentials import CredentialService, IssuedCredential
from signing_keys.patterns import is_workspace_id
from signing_keys.store import KeyStore


def _workspace(value: str) -> str:
    if not is_workspace_id(value):
        raise argparse.ArgumentTypeError("use 1-64 letters, digits, '_', '.' or '-', starting alphanumeric")
    return value


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m signing_keys_tools.admin", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    create = commands.add_parser("create-credential", help="issue a credential; prints the secret once")
    create.add_argument("--workspace", required=True, type=_workspace, help="workspace id the credential acts for")
    create.add_argument(
        "--table",
        default=os.environ.get("TABLE_NAME"),
        help="DynamoDB table (the stack's TableName output); defaults to $TABLE_NAME",
    )
    create.add_argument("--endpoint-url", help="DynamoDB endpoint, e.g. the local runner's embedded one")
    create.add_argument("--region", help="AWS region; defaults to the AWS configuration's")
    create.add_argument("--json", action="store_true", help="print the credential as one JSON object")
    return parser


def create_credential(table: str, workspace: str, endpoint_url: str | None, region: str | None) -> IssuedCredential:
    client = boto3.client("dynamodb", endpoint_url=endpoint_url, region_name=region)
    return CredentialService(KeyStore(client, table)).issue(workspace)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if not args.table:
        print("error: --table is required (or set TABLE_NAME)", file=sys.stderr)
        return 2
    try:
        issued = create_credential(args.table, args.workspace, args.endpoint_url, args.region)
    except (BotoCoreError, ClientError) as error:
        print(f"error: could not store the credential: {error}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps({"workspaceId": issued.workspace_id, "tokenId": issued.token_id, "secret": issued.secret}))
    else:
        print(f"workspace: {issued.workspace_id}\ntoken id:  {issued.token_id}\nsecret:    {issued.secret}")
        print("Store the secret now: it is not kept and cannot be shown again.", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
