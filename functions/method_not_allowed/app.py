"""MethodNotAllowedFunction: the `ANY` fallback of every resource, so a wrong method is 405 with `Allow`.

API Gateway prefers a resource's explicit methods over its `ANY`, so only methods the API lacks land here.
The methods each resource serves come from the route table (signing_keys.routes).
"""

from typing import Any

from signing_keys import routes
from signing_keys.errors import MethodNotAllowed
from signing_keys.http_errors import proxy_error


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return proxy_error(event, MethodNotAllowed(routes.allowed_methods(str(event.get("resource")))))
