"""Cold start: a fresh interpreter importing a handler and serving one event ÷ a bare Powertools handler, in wall
time (the row's figure) and in the child's own CPU time (which other work on a shared machine inflates far less).

Every function of the template gets a row, the edge ones included: the stack is built with the edge's parameter
(EdgeMediaBucketName, as `start-api --media-dir` sets it) and the edge's local KeyValueStore and secret (as
`invoke` makes them). The examples are seeded again before each start, so every start serves its events/ file's
own path (the delete function deletes the example key, the others need it); the key limit is the template's
highest, so that the keys the create and rotate starts add never make a later start meet it.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import resource
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from bench.harness import ROOT, Sample, table
from signing_keys_local.cli import LOCAL_MEDIA_BUCKET, seed_examples
from signing_keys_local.edge import LocalEdge
from signing_keys_local.stack import Stack, local_stack

Row = tuple[str, str, float | None, str]

BARE_HANDLER = Path(__file__).with_name("bare_handler.py")
# argv: the handler's module, its event, and whether the function has the CRT (only the edge layer ships it; the
# venv has it for the edge functions, and botocore imports it wherever it is installed).
_CHILD = r"""
import importlib.util, json, sys
if sys.argv[3] == "without-crt":
    sys.modules["awscrt"] = None
spec = importlib.util.spec_from_file_location("handler", sys.argv[1])
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
class Context:
    function_name = "bench"; memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:0:function:bench"
    aws_request_id = "bench"; function_version = "$LATEST"; log_group_name = "bench"; log_stream_name = "bench"
    def get_remaining_time_in_millis(self): return 10000
try:
    module.lambda_handler(json.load(open(sys.argv[2])), Context())
except Exception:
    pass
print(json.dumps(sorted(name for name, loaded in sys.modules.items() if loaded is not None)))
"""
# What a handler must not load unless it uses it.
HEAVY = {
    "pydantic": "pydantic (the resolver's models)",
    "signing_keys.keys": "key generation",
    "signing_keys.verification": "token verification",
    "aws_xray_sdk": "X-Ray SDK (tracing is off)",
    "cryptography.hazmat.primitives.asymmetric.rsa": "RSA",
    "jwt": "PyJWT",
    "awscrt": "the CRT (SigV4A)",
}
# The validating resolver's models, and the dialects' error bodies (the 405/404 fallback renders them too).
_MODELS = {"pydantic"}
_KEY_GENERATION = {"signing_keys.keys", "cryptography.hazmat.primitives.asymmetric.rsa"}
_VERIFICATION = {"signing_keys.verification", "jwt", "cryptography.hazmat.primitives.asymmetric.rsa"}
USES = {
    "CreateKeyFunction": _MODELS | _KEY_GENERATION,
    "ListKeysFunction": _MODELS,
    "GetKeyFunction": _MODELS,
    "UpdateKeyFunction": _MODELS,
    "RotateKeyFunction": _MODELS | _KEY_GENERATION,
    "DeleteKeyFunction": _MODELS,
    "ListAuditEventsFunction": _MODELS,
    "CreateRevocationFunction": _MODELS,
    "ListRevocationsFunction": _MODELS,
    "DeleteRevocationFunction": _MODELS,
    "PlaybackAuthorizerFunction": _VERIFICATION,
    # The playback function and the exchange verify the token themselves; the debugger reports what verifying says.
    "PlaybackFunction": _MODELS | _VERIFICATION,
    "ExchangeFunction": _MODELS | _VERIFICATION,
    "VerifyTokenFunction": _MODELS | _VERIFICATION,
    # A JWK is PyJWT's rendering of the public key object.
    "JwksFunction": _MODELS | {"jwt", "cryptography.hazmat.primitives.asymmetric.rsa"},
    "MethodNotAllowedFunction": _MODELS,
    # The KeyValueStore's data-plane API is SigV4A-signed.
    "EdgeSyncFunction": {"awscrt"},
    "EdgeSecretRotationFunction": {"awscrt"},
    "EdgeSweepFunction": {"awscrt"},
}
_EDGE_LAYER = {"Ref": "EdgeLayer"}
_KEY_LIMIT = "1000"  # the template's MaxValue


@contextlib.contextmanager
def edge_stack() -> Iterator[Stack]:
    """The local stack with the edge deployed: its functions exist, their KeyValueStore and secret too."""
    saved = dict(os.environ)
    with local_stack(EdgeMediaBucketName=LOCAL_MEDIA_BUCKET, KeyLimit=_KEY_LIMIT) as stack:
        edge = LocalEdge(stack.template, None, stack.host, stack.endpoint)
        edge.point_functions_here()
        try:
            edge.create_secret()
            yield stack
        finally:
            edge.close()
            os.environ.clear()
            os.environ.update(saved)


def _has_crt(stack: Stack, function_id: str) -> bool:
    return _EDGE_LAYER in ((stack.template.resources[function_id].get("Properties") or {}).get("Layers") or [])


@dataclass(frozen=True)
class Start:
    wall: float  # seconds
    cpu: float  # seconds of the child's own user + system time, which a busy machine inflates far less
    modules: list[str]


def _spawn(module: Path, event: Path, env: dict[str, str], *, crt: bool) -> Start:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    output = subprocess.run(
        [sys.executable, "-c", _CHILD, str(module), str(event), "with-crt" if crt else "without-crt"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return Start(wall, cpu, json.loads(output.strip().splitlines()[-1]))


def run(rounds: int) -> list[Row]:
    rows: list[Row] = []
    with edge_stack() as stack:
        env = {**os.environ, "AWS_ENDPOINT_URL_DYNAMODB": stack.endpoint, "POWERTOOLS_METRICS_DISABLED": "true"}
        env.pop("AWS_SAM_LOCAL", None)
        env["POWERTOOLS_TRACE_DISABLED"] = "true"  # as Lambda with Tracing: PassThrough; Tracer must not load
        for function in stack.host.functions.values():
            event = ROOT / "events" / f"{function.code_uri.name}.json"
            function_env = {**env, **function.environment, "AWS_LAMBDA_FUNCTION_NAME": function.logical_id}
            crt = _has_crt(stack, function.logical_id)
            ours: list[Start] = []
            bare: list[Start] = []
            for _ in range(rounds):
                seed_examples(stack.template)
                ours.append(_spawn(function.module_path, event, function_env, crt=crt))
                bare.append(_spawn(BARE_HANDLER, ROOT / "events" / "get_key.json", function_env, crt=False))
            unused = [
                label
                for name, label in HEAVY.items()
                if name in ours[-1].modules and name not in USES.get(function.logical_id, set())
            ]
            wall = Sample.of([start.wall for start in ours]).median
            ratio = wall / Sample.of([start.wall for start in bare]).median
            cpu = Sample.of([start.cpu for start in ours]).median / Sample.of([start.cpu for start in bare]).median
            detail = f"{wall * 1000:.0f} ms, CPU {cpu:.2f}; unused heavy imports: {', '.join(unused) or 'none'}"
            rows.append((f"cold start {function.logical_id}", "median", ratio, f"≤ 1.3 · {detail}"))
    return rows


if __name__ == "__main__":
    # `python -m bench.cold_start`: this section alone (BENCH_ROUNDS as `make bench` has it), without `sam build`.
    os.environ.update({"POWERTOOLS_METRICS_DISABLED": "true", "POWERTOOLS_LOG_LEVEL": "WARNING"})
    with contextlib.redirect_stdout(io.StringIO()):  # the handlers' logs
        section = run(rounds=max(3, int(os.environ.get("BENCH_ROUNDS", "30")) // 6))
    print(table(section))
