"""EdgeSweepFunction: hourly, removes from the edge's KeyValueStore the deny entries whose `until` has passed
(no session they cover can still be valid: the Function already ignores them), so the store holds only what
still matters. Secrets are the rotation's to remove."""

import time
from typing import Any

from signing_keys.config import Settings
from signing_keys.edge_store import EdgeStore
from signing_keys.observability import instrumented, logger

settings = Settings.from_env()
store = EdgeStore.connect(settings.edge_kvs_arn)


def sweep(event: dict[str, Any], context: Any) -> dict[str, int]:
    removed = store.sweep(int(time.time()))
    logger.info("edge deny list swept", extra={"removed": removed})
    return {"removed": removed}


lambda_handler = instrumented(sweep)
