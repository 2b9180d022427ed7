"""MethodNotAllowedFunction: the fallback of the API, so that what no route serves gets a useful answer.

- The `ANY` method of every resource: a method the resource does not serve is 405 with `Allow`. API Gateway
  prefers a resource's explicit methods over its `ANY`, so only methods the API lacks land here.
- `ANY` on `/` and `/{proxy+}`: a path no route has is 404 naming the nearest route. API Gateway prefers the
  most specific resource, so only paths that match no other resource land here.

The methods each resource serves, and the routes to suggest, come from the route table (signing_keys.routes).
"""

from typing import Any

from signing_keys import routes
from signing_keys.errors import MethodNotAllowed, NoSuchRoute
from signing_keys.http_errors import proxy_error


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    resource = str(event.get("resource"))
    if resource in routes.UNMATCHED_RESOURCES:
        suggested = routes.nearest(str(event.get("httpMethod")), str(event.get("path")))
        return proxy_error(event, NoSuchRoute(suggested.method, suggested.path))
    return proxy_error(event, MethodNotAllowed(routes.allowed_methods(resource)))
