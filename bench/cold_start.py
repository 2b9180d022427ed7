"""Cold start: a fresh interpreter importing a handler and serving one event ÷ a bare Powertools handler."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from bench.harness import ROOT, Sample
from signing_keys_local.stack import Stack

Row = tuple[str, str, float | None, str]

BARE_HANDLER = Path(__file__).with_name("bare_handler.py")
_CHILD = r"""
import importlib.util, json, sys
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
print(json.dumps(sorted(sys.modules)))
"""
# What a handler must not load unless it uses it.
HEAVY = {
    "signing_keys.keys": "key generation",
    "signing_keys.verification": "token verification",
    "aws_xray_sdk": "X-Ray SDK (tracing is off)",
    "cryptography.hazmat.primitives.asymmetric.rsa": "RSA",
    "jwt": "PyJWT",
}
USES = {
    "CreateKeyFunction": {"signing_keys.keys", "cryptography.hazmat.primitives.asymmetric.rsa"},
    "RotateKeyFunction": {"signing_keys.keys", "cryptography.hazmat.primitives.asymmetric.rsa"},
    "PlaybackAuthorizerFunction": {"signing_keys.verification", "jwt", "cryptography.hazmat.primitives.asymmetric.rsa"},
    "JwksFunction": {"jwt", "cryptography.hazmat.primitives.asymmetric.rsa"},
}


def _spawn(module: Path, event: Path, env: dict[str, str]) -> tuple[float, list[str]]:
    started = time.perf_counter()
    output = subprocess.run(
        [sys.executable, "-c", _CHILD, str(module), str(event)], env=env, capture_output=True, text=True, check=True
    ).stdout
    elapsed = time.perf_counter() - started
    return elapsed, json.loads(output.strip().splitlines()[-1])


def run(stack: Stack, rounds: int) -> list[Row]:
    rows: list[Row] = []
    env = {**os.environ, "AWS_ENDPOINT_URL_DYNAMODB": stack.endpoint, "POWERTOOLS_METRICS_DISABLED": "true"}
    env.pop("AWS_SAM_LOCAL", None)
    env.pop("POWERTOOLS_TRACE_DISABLED", None)
    env["POWERTOOLS_TRACE_DISABLED"] = "true"  # as Lambda with Tracing: PassThrough; Tracer must not load
    for function in stack.host.functions.values():
        event = ROOT / "events" / f"{function.code_uri.name}.json"
        function_env = {**env, **function.environment, "AWS_LAMBDA_FUNCTION_NAME": function.logical_id}
        ours: list[float] = []
        bare: list[float] = []
        modules: list[str] = []
        for _ in range(rounds):
            seconds, modules = _spawn(function.module_path, event, function_env)
            ours.append(seconds)
            bare.append(_spawn(BARE_HANDLER, ROOT / "events" / "get_key.json", function_env)[0])
        unused = [
            label
            for name, label in HEAVY.items()
            if name in modules and name not in USES.get(function.logical_id, set())
        ]
        ratio = Sample.of(ours).median / Sample.of(bare).median
        detail = f"{Sample.of(ours).median * 1000:.0f} ms; unused heavy imports: {', '.join(unused) or 'none'}"
        rows.append((f"cold start {function.logical_id}", "median", ratio, f"≤ 1.3 · {detail}"))
    return rows
