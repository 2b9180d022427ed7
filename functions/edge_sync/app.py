"""EdgeSyncFunction: DynamoDB Streams → the edge's deny list. Each batch of the table's changes (keys disabled,
deleted or expiring; jti and viewer revocations; the workspaces' issuedBefore cut-offs) becomes one update of
the CloudFront KeyValueStore the edge Function reads (signing_keys.edge_deny_list says which entry each makes).

Idempotent (replaying a batch sets the same values), so Lambda's retries are safe; a batch that keeps failing
goes to the dead-letter queue. `EdgeSyncLagSeconds` is how long the oldest change of a batch took to get here.
"""

import time
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from signing_keys.config import Settings
from signing_keys.edge_deny_list import changes, entry_lifetime_seconds
from signing_keys.edge_store import EdgeStore, cut_lead_seconds
from signing_keys.observability import instrumented, logger, measure

settings = Settings.from_env()
store = EdgeStore.connect(settings.edge_kvs_arn)
lifetime = entry_lifetime_seconds(settings.edge_session_seconds, settings.key_cache_millis)


def sync(event: dict[str, Any], context: Any) -> dict[str, Any]:
    records = event.get("Records") or []
    now = int(time.time())
    found = changes(records, now=now, lifetime=lifetime)
    applied = store.apply(
        found,
        now=now,
        cut_lead_seconds=cut_lead_seconds(settings.key_cache_millis),
        session_seconds=settings.edge_session_seconds,
    )
    created = [record["dynamodb"]["ApproximateCreationDateTime"] for record in records if "dynamodb" in record]
    if created:
        measure("EdgeSyncLagSeconds", max(0.0, time.time() - min(created)), MetricUnit.Seconds)
    measure("EdgeKeyValueStoreBytes", applied.total_bytes, MetricUnit.Bytes)
    logger.info(
        "edge deny list synced",
        extra={"records": len(records), "puts": applied.puts, "deletes": applied.deletes, "cuts": applied.overflowed},
    )
    return {"puts": applied.puts, "deletes": applied.deletes, "cuts": applied.overflowed}


lambda_handler = instrumented(sync)
