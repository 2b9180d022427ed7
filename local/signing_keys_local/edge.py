"""CloudFront on this machine, for `start-api --media-dir DIR` (docs/edge.md § Local): the edge's KeyValueStore,
its HMAC secret, the deny list kept in step with the table, and `/m/...` served on the runner's own port.

What runs is what deploys: the edge secret is made by the template's rotation function (its four steps, against
the embedded Secrets Manager and this KeyValueStore), the deny list by the template's stream function (invoked with
the table's stream records, as Lambda's event source mapping would), and every `/m/...` request is checked by
edge/viewer_request.js itself under Node.js, reading this KeyValueStore. Only the origin differs: the files of
`DIR/<workspaceId>/<mediaId>/...` stand in for the S3 bucket.
"""

from __future__ import annotations

import contextlib
import mimetypes
import os
import re
import secrets
import string
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import boto3

from signing_keys_local.edge_host import EdgeHost, EdgeHostError, viewer_request_event
from signing_keys_local.functions import FunctionInvoker, InvocationFailed
from signing_keys_local.gateway import GatewayResult
from signing_keys_local.kvs import KeyValueStoreServer, LocalKeyValueStore
from signing_keys_local.template import LOCAL_KVS_ARN, Template

EDGE_PREFIX = "/m/"
STREAM_POLL_SECONDS = 0.1
_SECRET_ALPHABET = string.ascii_letters + string.digits
# What S3 answers for media files CloudFront does not know by extension.
_MEDIA_TYPES = {
    ".m3u8": "application/vnd.apple.mpegurl",
    ".ts": "video/mp2t",
    ".m4s": "video/iso.segment",
    ".mp4": "video/mp4",
    ".m4a": "audio/mp4",
    ".aac": "audio/aac",
    ".mpd": "application/dash+xml",
    ".vtt": "text/vtt",
}
_RANGE = re.compile(r"bytes=(\d*)-(\d*)")
# An edge URL's token segment: kept out of the runner's log lines.
_EDGE_TOKEN_SEGMENT = re.compile(r"^(/m/[^/]+/[^/]+/)[^/]+")


def redacted(path: str) -> str:
    """The path as the runner logs it: an edge token is a credential, never written out."""
    return _EDGE_TOKEN_SEGMENT.sub(r"\1<edge-token>", path)


@dataclass(frozen=True)
class StreamSource:
    """A function the template triggers from the table's stream (its DynamoDB event)."""

    function_id: str
    batch_size: int


def stream_sources(template: Template) -> list[StreamSource]:
    sources = []
    for function_id, resource in template.resources.items():
        if resource.get("Type") != "AWS::Serverless::Function" or not template.exists(function_id):
            continue
        for event in ((resource.get("Properties") or {}).get("Events") or {}).values():
            if event.get("Type") == "DynamoDB":
                properties = template.resolve(event.get("Properties") or {})
                sources.append(StreamSource(function_id, int(properties.get("BatchSize", 100))))
    return sources


def _lambda_record(record: dict[str, Any], stream_arn: str) -> dict[str, Any]:
    """A record of the DynamoDB Streams API as Lambda hands it to a function (times as epoch seconds)."""
    stream = dict(record["dynamodb"])
    created = stream.get("ApproximateCreationDateTime")
    if isinstance(created, datetime):
        stream["ApproximateCreationDateTime"] = created.timestamp()
    return {
        "eventID": record.get("eventID", uuid.uuid4().hex),
        "eventName": record["eventName"],
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": "us-east-1",
        "dynamodb": stream,
        "eventSourceARN": stream_arn,
    }


@dataclass
class LocalEdge:
    template: Template
    media_dir: Path | None  # the origin's files; None when only the edge functions run (invoke)
    invoker: FunctionInvoker
    dynamodb_url: str
    kvs: LocalKeyValueStore = field(default_factory=lambda: LocalKeyValueStore(LOCAL_KVS_ARN))
    _server: KeyValueStoreServer | None = None
    _host: EdgeHost | None = None
    _stop: threading.Event = field(default_factory=threading.Event)
    _pollers: list[threading.Thread] = field(default_factory=list)

    def point_functions_here(self) -> None:
        """Before any container starts: the edge functions' clients reach this KeyValueStore, and Secrets Manager
        and DynamoDB Streams the embedded moto server."""
        self._server = KeyValueStoreServer(self.kvs).start()
        # The endpoint rules put the KVS ARN's account before the host: "127.0.0" + "." + "1" is the loopback.
        os.environ["AWS_ENDPOINT_URL_CLOUDFRONT_KEYVALUESTORE"] = f"http://1:{self._server.server_address[1]}"
        os.environ["AWS_ENDPOINT_URL_SECRETS_MANAGER"] = self.dynamodb_url
        os.environ["AWS_ENDPOINT_URL_DYNAMODB_STREAMS"] = self.dynamodb_url

    def start(self) -> None:
        """The secret (rotated into the KeyValueStore by the template's own rotation function), the stream
        pollers, and the CloudFront Function under Node.js."""
        assert self._server is not None, "point_functions_here() first"
        self.create_secret()
        self._rotate_secret()
        for source in stream_sources(self.template):
            poller = threading.Thread(
                target=self._poll, args=(source,), name=f"stream-{source.function_id}", daemon=True
            )
            poller.start()
            self._pollers.append(poller)
        self._host = EdgeHost.start(self._server.url)

    def close(self) -> None:
        self._stop.set()
        if self._host is not None:
            self._host.close()
        if self._server is not None:
            self._server.stop()

    # -- the secret ----------------------------------------------------------------------------------------------
    @property
    def _secret_id(self) -> str:
        return str(self.template.resolve({"Ref": "EdgeSecret"}))

    def create_secret(self) -> None:
        """The edge secret as the deploy creates it (GenerateSecretString: 64 letters and digits), unless it is
        there; its first version reaches the KeyValueStore only through a rotation, as deployed."""
        client = boto3.client("secretsmanager", endpoint_url=self.dynamodb_url)
        with contextlib.suppress(client.exceptions.ResourceExistsException):
            initial = "".join(secrets.choice(_SECRET_ALPHABET) for _ in range(64))
            client.create_secret(Name=self._secret_id, SecretString=initial)

    def _rotate_secret(self) -> None:
        secret_id = self._secret_id
        token = str(uuid.uuid4())
        for step in ("createSecret", "setSecret", "testSecret", "finishSecret"):
            event = {"Step": step, "SecretId": secret_id, "ClientRequestToken": token}
            self.invoker.invoke("EdgeSecretRotationFunction", event)

    # -- the deny list: the table's stream, as Lambda's event source mapping reads it ---------------------------
    def _poll(self, source: StreamSource) -> None:
        streams = boto3.client("dynamodbstreams", endpoint_url=self.dynamodb_url)
        table = str(self.template.table_definition()["TableName"])
        arn = boto3.client("dynamodb", endpoint_url=self.dynamodb_url).describe_table(TableName=table)["Table"][
            "LatestStreamArn"
        ]
        shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
        iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="LATEST")["ShardIterator"]
        while not self._stop.wait(STREAM_POLL_SECONDS):
            answer = streams.get_records(ShardIterator=iterator, Limit=source.batch_size)
            records = answer.get("Records", [])
            if records:
                self._deliver(source, [_lambda_record(record, arn) for record in records])
            iterator = answer.get("NextShardIterator", iterator)

    def _deliver(self, source: StreamSource, records: list[dict[str, Any]]) -> None:
        """A batch, retried until the function takes it (as an event source mapping does, within its limits)."""
        for attempt in range(10):
            try:
                self.invoker.invoke(source.function_id, {"Records": records})
            except InvocationFailed as failure:
                sys.stderr.write(f"{source.function_id} failed on a stream batch (attempt {attempt + 1}):\n")
                sys.stderr.write(failure.log_text() + "\n")
                time.sleep(0.2 * (attempt + 1))
            else:
                return

    # -- /m/...: the Function, then the origin -------------------------------------------------------------------
    def serve(self, method: str, path: str, query: str, headers: list[tuple[str, str]]) -> GatewayResult:
        assert self._host is not None, "start() first"
        event = viewer_request_event(method, path, query, headers)
        try:
            result = self._host.invoke(event)
        except EdgeHostError as error:
            sys.stderr.write(f"the edge function failed: {error}\n")
            # CloudFront's answer to a function that fails: 503 (FunctionExecutionError).
            return GatewayResult(503, [("Content-Type", "text/plain")], b"Service Unavailable")
        if "statusCode" in result:
            answer = self._function_response(result)
        else:
            answer = self._origin(str(result["uri"]), dict(headers))
        return self._with_cors(answer, dict(headers))

    def _with_cors(self, answer: GatewayResult, headers: dict[str, str]) -> GatewayResult:
        """The distribution's response headers policy: players on the allowed origins may read the media."""
        origins = [str(origin) for origin in self.template.resolve({"Ref": "AllowedOrigins"})]
        origin = next((value for name, value in headers.items() if name.lower() == "origin"), None)
        if "*" in origins:
            allowed = "*"
        elif origin in origins:
            allowed = origin
        else:
            return answer
        cors = [("Access-Control-Allow-Origin", allowed), ("Vary", "Origin")]
        return GatewayResult(answer.status, [*answer.headers, *cors], answer.body)

    @staticmethod
    def _function_response(result: dict[str, Any]) -> GatewayResult:
        headers = [(name, field_["value"]) for name, field_ in (result.get("headers") or {}).items()]
        body = result.get("body") or ""
        data = body.get("data", "") if isinstance(body, dict) else str(body)
        return GatewayResult(int(result["statusCode"]), headers, data.encode("utf-8"))

    def _origin(self, uri: str, headers: dict[str, str]) -> GatewayResult:
        """The S3 origin's answer for the rewritten URI: the file, a byte range of it, or 404."""
        assert self.media_dir is not None, "an origin needs its files"
        root = self.media_dir.resolve()
        target = (root / uri.lstrip("/")).resolve()
        if root not in target.parents or not target.is_file():
            return GatewayResult(404, [("Content-Type", "text/plain")], b"Not Found")
        data = target.read_bytes()
        content_type = _MEDIA_TYPES.get(target.suffix) or mimetypes.guess_type(target.name)[0] or "binary/octet-stream"
        answer = [("Content-Type", content_type), ("Accept-Ranges", "bytes")]
        wanted = _RANGE.fullmatch(next((v for k, v in headers.items() if k.lower() == "range"), ""))
        if wanted is None:
            return GatewayResult(200, answer, data)
        first, last = wanted.groups()
        start = int(first) if first else max(0, len(data) - int(last or 0))
        end = min(len(data) - 1, int(last)) if first and last else len(data) - 1
        if start > end or start >= len(data):
            return GatewayResult(416, [("Content-Range", f"bytes */{len(data)}")], b"")
        answer.append(("Content-Range", f"bytes {start}-{end}/{len(data)}"))
        return GatewayResult(206, answer, data[start : end + 1])
