"""`make smoke`: the post-deploy check. Every function of the stack answers once, over HTTP, in an order that leaves
nothing behind; it stops at the first failure, naming the call (method, path, status, the body's message).

    python -m signing_keys_tools.smoke --url URL --workspace WS --token-id ID [--secret=SECRET]
    python -m signing_keys_tools.smoke --stack NAME --region REGION --workspace WS --token-id ID [--secret=SECRET]

`--url` needs no AWS credentials (the API's own credential only); `--stack` reads the stack's ApiUrl output with
yours. The secret may come from $SIGNING_KEYS_SMOKE_SECRET instead of the command line (kept out of the process
list; `--secret=` with the `=`, as a generated secret may begin with `-`). The credential must be
write-scoped. Steps: create a key in each dialect, list and get in both, PATCH in both, rotate, the JWKS, a playback
verification of a token it signs itself twice (with a pause, so that the key's lastSeen is written) and the key
read back to check it was, a revocation created, listed and deleted, the audit trail, a 405, and every key it made
deleted. One line per step; never a secret, a token or a private key (paths print without their query). What stays
is by design: the audit entries of its changes (the table's TTL removes them after AuditRetentionDays).
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TextIO

from signing_keys_tools.tokens import sign

SECRET_VARIABLE = "SIGNING_KEYS_SMOKE_SECRET"  # noqa: S105 - the variable's name, not a secret
MEDIA_ID = "smoke-media"
TIMEOUT_SECONDS = 30
LONGEST_MESSAGE = 300
EXIT_FAILED = 1
EXIT_USAGE = 2


@dataclass(frozen=True)
class Call:
    """One HTTP call of a step: `route` is the route table's path template, `path` the concrete one."""

    method: str
    route: str
    path: str
    auth: str | None = None  # "basic", "bearer" or None (public)
    body: dict[str, Any] | None = None

    @property
    def shown(self) -> str:
        """The call as printed: a query string can hold a token, so only its presence shows."""
        path, _, query = self.path.partition("?")
        return f"{self.method} {path}{'?…' if query else ''}"


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None

    @property
    def message(self) -> str:
        """The error message of either dialect's body (or API Gateway's), never the whole body."""
        try:
            parsed = self.json()
        except ValueError:
            return "(a body that is not JSON)"
        if isinstance(parsed, dict):
            error = parsed.get("error")
            if isinstance(error, dict) and isinstance(error.get("message"), str):
                return str(error["message"])[:LONGEST_MESSAGE]
            errors = parsed.get("errors")
            if isinstance(errors, list) and errors and isinstance(errors[0], str):
                return errors[0][:LONGEST_MESSAGE]
            if isinstance(parsed.get("message"), str):
                return str(parsed["message"])[:LONGEST_MESSAGE]
        return "(no message)"


class StepFailed(Exception):
    def __init__(self, step: str, call: Call, reason: str) -> None:
        super().__init__(f"{step}: {call.shown} {reason}")


@dataclass
class Smoke:
    base_url: str
    workspace: str
    token_id: str
    secret: str
    out: TextIO = sys.stdout
    pause_seconds: float = 2.0
    calls: list[Call] = field(default_factory=list)  # every call made, in order
    # What it created and has not deleted yet (deleted at the end, or after a failure).
    keys: dict[str, str] = field(default_factory=dict)  # key id → the dialect that deletes it
    revocations: list[str] = field(default_factory=list)

    def _send(self, call: Call) -> Answer:
        data = None if call.body is None else json.dumps(call.body).encode("utf-8")
        request = urllib.request.Request(self.base_url + call.path, data=data, method=call.method)  # noqa: S310
        if data is not None:
            request.add_header("Content-Type", "application/json")
        if call.auth == "basic":
            pair = base64.b64encode(f"{self.token_id}:{self.secret}".encode()).decode()
            request.add_header("Authorization", f"Basic {pair}")
        elif call.auth == "bearer":
            request.add_header("Authorization", f"Bearer {self.secret}")
        self.calls.append(call)
        try:
            with _NOT_FOLLOWING.open(request, timeout=TIMEOUT_SECONDS) as response:
                return Answer(response.status, dict(response.headers), response.read())
        except urllib.error.HTTPError as error:
            return Answer(error.code, dict(error.headers), error.read())

    def step(
        self, name: str, call: Call, expect: int | set[int], check: Callable[[Answer], str | None] | None = None
    ) -> Answer:
        """Make the call; it must answer `expect` (one of them), and `check` must find nothing wrong with the answer."""
        try:
            answer = self._send(call)
        except (urllib.error.URLError, OSError) as error:
            reason = getattr(error, "reason", error)
            raise StepFailed(name, call, f"got no answer ({type(reason).__name__})") from None
        expected = {expect} if isinstance(expect, int) else expect
        if answer.status not in expected:
            wanted = " or ".join(str(status) for status in sorted(expected))
            raise StepFailed(name, call, f"→ {answer.status} (expected {wanted}): {answer.message}")
        problem = check(answer) if check is not None else None
        if problem:
            raise StepFailed(name, call, f"→ {answer.status}, but {problem}")
        print(f"ok    {name}: {call.shown} → {answer.status}", file=self.out)
        return answer

    # -- the steps, in order -------------------------------------------------------------------------------------
    def run(self) -> int:
        try:
            self._exercise()
        except StepFailed as failure:
            print(f"FAIL  {failure}", file=self.out)
            self._clean_up()
            return EXIT_FAILED
        return 0

    def _exercise(self) -> None:
        run_id = uuid.uuid4().hex[:12]
        ws = self.workspace
        fastpix = self.step(
            "create key (FastPix)",
            Call("POST", "/iam/signing-keys", "/iam/signing-keys", "basic"),
            201,
            lambda a: None if _data(a).get("privateKey") and _data(a).get("id") else "no id or privateKey",
        )
        fastpix_id = _data(fastpix)["id"]
        self.keys[fastpix_id] = "fastpix"
        livepeer = self.step(
            "create key (Livepeer)",
            Call(
                "POST",
                "/access-control/signing-key",
                "/access-control/signing-key",
                "bearer",
                {"name": f"smoke-{run_id}"},
            ),
            200,
            lambda a: None if _field(a, "privateKey") and _field(a, "id") else "no id or privateKey",
        )
        livepeer_id = str(livepeer.json()["id"])
        private_key = str(livepeer.json()["privateKey"])
        self.keys[livepeer_id] = "livepeer"
        self.step(
            "list keys (FastPix)",
            Call("GET", "/iam/signing-keys", "/iam/signing-keys?limit=100&offset=1", "basic"),
            200,
            lambda a: _lacks({fastpix_id, livepeer_id}, {k.get("id") for k in _data(a)}),
        )
        self.step(
            "list keys (Livepeer)",
            Call("GET", "/access-control/signing-key", "/access-control/signing-key", "bearer"),
            200,
            lambda a: _lacks({fastpix_id, livepeer_id}, {k.get("id") for k in a.json()}),
        )
        self.step(
            "get key (FastPix)",
            Call("GET", "/iam/signing-keys/{signingKeyId}", f"/iam/signing-keys/{fastpix_id}", "basic"),
            200,
            lambda a: None if _data(a).get("signingKeyId") == fastpix_id else "another key",
        )
        before = self.step(
            "get key (Livepeer)",
            Call("GET", "/access-control/signing-key/{keyId}", f"/access-control/signing-key/{livepeer_id}", "bearer"),
            200,
            lambda a: None if _field(a, "id") == livepeer_id else "another key",
        )
        self.step(
            "update key (FastPix)",
            Call(
                "PATCH",
                "/iam/signing-keys/{signingKeyId}",
                f"/iam/signing-keys/{fastpix_id}",
                "basic",
                {"maxTokenLifetimeSeconds": 600},
            ),
            200,
            lambda a: None if _data(a).get("maxTokenLifetimeSeconds") == 600 else "the policy did not change",
        )
        self.step(
            "update key (Livepeer)",
            Call(
                "PATCH",
                "/access-control/signing-key/{keyId}",
                f"/access-control/signing-key/{livepeer_id}",
                "bearer",
                {"name": f"smoke-{run_id}-renamed"},
            ),
            204,
        )
        successor = self.step(
            "rotate key (FastPix)",
            Call(
                "POST",
                "/iam/signing-keys/{signingKeyId}/rotate",
                f"/iam/signing-keys/{fastpix_id}/rotate",
                "basic",
                {"overlapSeconds": 0},
            ),
            201,
            lambda a: None if _data(a).get("id") not in (None, fastpix_id) else "no successor",
        )
        self.keys[_data(successor)["id"]] = "fastpix"
        self.step(
            "JWKS",
            Call("GET", "/workspaces/{workspaceId}/jwks.json", f"/workspaces/{ws}/jwks.json"),
            200,
            lambda a: _lacks({livepeer_id}, {k.get("kid") for k in a.json().get("keys", [])}),
        )
        token = sign(private_key, livepeer_id, MEDIA_ID, 300, jti=f"smoke-{run_id}")
        playback = Call(
            "GET", "/workspaces/{workspaceId}/playback/{mediaId}", f"/workspaces/{ws}/playback/{MEDIA_ID}?token={token}"
        )
        self.step("playback verification", playback, 200)
        time.sleep(self.pause_seconds)  # lastSeen is written by the verification; reads are eventually consistent
        self.step("playback verification again", playback, 200)
        seen_before = _field(before, "lastSeen")
        self.step(
            "lastSeen written",
            Call("GET", "/access-control/signing-key/{keyId}", f"/access-control/signing-key/{livepeer_id}", "bearer"),
            200,
            lambda a: (
                None
                if isinstance(_field(a, "lastSeen"), int) and _field(a, "lastSeen") != seen_before
                else "the key's lastSeen did not change (the playback authorizer could not write it: its IAM policy?)"
            ),
        )
        self.step(
            "token debugger",
            Call("POST", "/tokens/verify", "/tokens/verify", "bearer", {"token": token, "mediaId": MEDIA_ID}),
            200,
            lambda a: None if a.json().get("verdict", {}).get("status") == 200 else "the verdict is not 200",
        )
        exchange = Call(
            "GET",
            "/workspaces/{workspaceId}/play/{mediaId}/{path+}",
            f"/workspaces/{ws}/play/{MEDIA_ID}/index.m3u8?token={token}",
        )
        self.step("exchange (302 with an edge, else 404 not configured)", exchange, {302, 404}, _exchanged)
        revocation = self.step(
            "create revocation",
            Call("POST", "/revocations", "/revocations", "bearer", {"jti": f"smoke-{run_id}", "reason": "smoke test"}),
            201,
            lambda a: None if _field(a, "id") else "no id",
        )
        revocation_id = str(revocation.json()["id"])
        self.revocations.append(revocation_id)
        self.step(
            "list revocations",
            Call("GET", "/revocations", "/revocations?limit=100", "bearer"),
            200,
            lambda a: _lacks({revocation_id}, {r.get("id") for r in a.json().get("revocations", [])}),
        )
        self.step(
            "delete revocation",
            Call("DELETE", "/revocations/{revocationId}", f"/revocations/{revocation_id}", "bearer"),
            204,
        )
        self.revocations.remove(revocation_id)
        self.step(
            "audit events",
            Call("GET", "/audit-events", "/audit-events?limit=100", "bearer"),
            200,
            lambda a: _lacks({fastpix_id}, {e.get("keyId") for e in a.json().get("auditEvents", [])}),
        )
        self.step(
            "unsupported method (405)",
            Call("PUT", "/iam/signing-keys", "/iam/signing-keys"),
            405,
            lambda a: None if any(name.lower() == "allow" for name in a.headers) else "no Allow header",
        )
        for key_id, dialect in list(self.keys.items()):
            self._delete_key(key_id, dialect)

    def _delete_key(self, key_id: str, dialect: str) -> None:
        if dialect == "fastpix":
            call = Call("DELETE", "/iam/signing-keys/{signingKeyId}", f"/iam/signing-keys/{key_id}", "basic")
            self.step("delete key (FastPix)", call, 200)
        else:
            call = Call(
                "DELETE", "/access-control/signing-key/{keyId}", f"/access-control/signing-key/{key_id}", "bearer"
            )
            self.step("delete key (Livepeer)", call, 204)
        del self.keys[key_id]

    def _clean_up(self) -> None:
        """After a failure: delete what it created, best effort, saying what could not be."""
        for revocation_id in list(self.revocations):
            call = Call("DELETE", "/revocations/{revocationId}", f"/revocations/{revocation_id}", "bearer")
            self._clean(call)
        for key_id, dialect in list(self.keys.items()):
            route, auth = (
                ("/iam/signing-keys/{signingKeyId}", "basic")
                if dialect == "fastpix"
                else ("/access-control/signing-key/{keyId}", "bearer")
            )
            self._clean(Call("DELETE", route, route.split("{")[0] + key_id, auth))

    def _clean(self, call: Call) -> None:
        try:
            answer = self._send(call)
        except (urllib.error.URLError, OSError):
            print(f"left behind: {call.shown} got no answer", file=self.out)
            return
        state = "cleaned up" if answer.status in (200, 204) else f"left behind ({answer.status}: {answer.message})"
        print(f"{state}: {call.shown}", file=self.out)


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect is an answer to check (the exchange's 302), not one to follow."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_NOT_FOLLOWING = urllib.request.build_opener(_NoRedirects)


def _exchanged(answer: Answer) -> str | None:
    if answer.status == 302:
        location = next((value for name, value in answer.headers.items() if name.lower() == "location"), "")
        return None if "/m/" in location else "the redirect does not lead to the edge's /m/..."
    return None if "not configured" in answer.message else "a 404 that is not the edge's 'not configured'"


def _data(answer: Answer) -> Any:
    body = answer.json()
    return body.get("data", {}) if isinstance(body, dict) else {}


def _field(answer: Answer, name: str) -> Any:
    body = answer.json()
    return body.get(name) if isinstance(body, dict) else None


def _lacks(expected: set[str], found: set[Any]) -> str | None:
    missing = expected - found
    return f"{', '.join(sorted(missing))} not in it" if missing else None


def stack_url(stack: str, region: str) -> str:
    """The stack's ApiUrl output (with your AWS credentials)."""
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        stacks = boto3.client("cloudformation", region_name=region).describe_stacks(StackName=stack)["Stacks"]
    except (BotoCoreError, ClientError) as error:
        raise SystemExit(f"cannot read stack {stack} in {region}: {type(error).__name__}") from None
    outputs = {str(output["OutputKey"]): str(output["OutputValue"]) for output in stacks[0].get("Outputs", [])}
    if "ApiUrl" not in outputs:
        raise SystemExit(f"stack {stack} has no ApiUrl output (is it deployed?)")
    return outputs["ApiUrl"]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m signing_keys_tools.smoke", description=__doc__.split("\n")[0])
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--url", help="the API's base URL (the stack's ApiUrl); needs no AWS credentials")
    where.add_argument("--stack", help="read ApiUrl from this CloudFormation stack's outputs")
    parser.add_argument("--region", help="the stack's region (with --stack)")
    parser.add_argument("--workspace", required=True, help="the credential's workspace")
    parser.add_argument("--token-id", required=True, help="a write-scoped credential's token id")
    parser.add_argument(
        "--secret",
        default=os.environ.get(SECRET_VARIABLE),
        help=f"its secret (or ${SECRET_VARIABLE}); --secret=VALUE for a secret that begins with '-'",
    )
    parser.add_argument("--pause-seconds", type=float, default=2.0, help="between the two verifications (default 2)")
    args = parser.parse_args(argv)
    if not args.secret:
        parser.error(f"give --secret or set {SECRET_VARIABLE}")
    if args.stack and not args.region:
        parser.error("--stack needs --region")
    url = args.url or stack_url(args.stack, args.region)
    print(f"smoke test of {url} (workspace {args.workspace})")
    smoke = Smoke(url.rstrip("/"), args.workspace, args.token_id, args.secret, pause_seconds=args.pause_seconds)
    return smoke.run()


if __name__ == "__main__":
    sys.exit(main())
