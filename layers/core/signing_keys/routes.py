"""The route table: every operation of the API, declared once.

The handlers register their operations from it (`signing_keys.api.operation`), the error mapping picks each
route's dialect from it, MethodNotAllowedFunction answers `Allow` from it, the management authorizer allows its
routes from it, the OpenAPI document takes operation ids, tags, summaries and statuses from it, and `make template`
writes template.yaml's `Api` events from it (signing_keys_local.template_sections). To add a route: a row here, the
handler in one function, then `make template` and `make openapi` (docs/conventions.md).

Free of heavy imports: the authorizer and MethodNotAllowedFunction read it on every cold start.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from enum import StrEnum

# The fallback function of every resource: a method the resource does not serve lands there (405 + Allow),
# and so does every path no route has (404 naming the nearest route), through these resources of its own.
METHOD_NOT_ALLOWED_FUNCTION = "MethodNotAllowedFunction"
UNMATCHED_RESOURCES = ("/", "/{proxy+}")
# What of the caller's path the nearest-route search reads: enough for any path of this API.
_NEAREST_PATH_CHARS = 256
# Path parameters that carry a signing key id: any value of any shape is a key id to look up (404 if unknown).
KEY_ID_PARAMETERS = frozenset({"signingKeyId", "keyId"})
# ...and a revocation id, as opaque (404 if unknown).
REVOCATION_ID_PARAMETER = "revocationId"
_PARAMETER = re.compile(r"\{([A-Za-z][A-Za-z0-9]*)\}")
# A greedy path parameter (`{path+}`): one or more segments, slashes included.
_GREEDY_PARAMETER = re.compile(r"\{([A-Za-z][A-Za-z0-9]*)\+\}")
_METHOD_ORDER = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


class Dialect(StrEnum):
    """Whose wire format a route speaks; NEUTRAL routes answer errors in both shapes at once."""

    FASTPIX = "fastpix"
    LIVEPEER = "livepeer"
    NEUTRAL = "neutral"


class Auth(StrEnum):
    """Who guards a route; the values are the authorizers' names in template.yaml (NONE as SAM spells it)."""

    MANAGEMENT = "ManagementAuthorizer"
    NONE = "NONE"


@dataclass(frozen=True, slots=True)
class Route:
    method: str  # upper case, as in template.yaml
    path: str  # template syntax: /iam/signing-keys/{signingKeyId}
    function: str  # the function's logical id in template.yaml
    dialect: Dialect
    auth: Auth
    operation_id: str  # the seed's, so generated clients keep their method names
    tags: tuple[str, ...]
    summary: str
    writes: bool  # changes state: a read-only credential may not call it
    success_status: int = 200
    # Other success statuses, with the same body (e.g. 200 when a create finds the same thing already there).
    also_succeeds: tuple[int, ...] = ()
    # Error statuses beyond those the route's shape implies (auth, ids, body: see api.error_statuses).
    also_answers: tuple[int, ...] = ()
    # An operation in a platform's dialect that the platform itself lacks (so its SDK has no method for it).
    extension: bool = False
    # Takes a viewer's playback JWT (`?token=` or Bearer), which the function verifies itself: 401/403 with a reason.
    viewer_token: bool = False

    @property
    def path_parameters(self) -> tuple[str, ...]:
        return tuple(_PARAMETER.findall(self.path))

    @property
    def key_id_parameter(self) -> str | None:
        return next((name for name in self.path_parameters if name in KEY_ID_PARAMETERS), None)

    @property
    def id_parameter(self) -> str | None:
        """The path parameter naming what the route acts on (a key or a revocation): unknown ids are 404s."""
        ids = KEY_ID_PARAMETERS | {REVOCATION_ID_PARAMETER}
        return next((name for name in self.path_parameters if name in ids), None)

    @property
    def resolver_rule(self) -> str:
        """The path in Powertools' syntax: /iam/signing-keys/<signingKeyId>. A greedy parameter becomes `.+`
        (Powertools' own parameters never span a slash); its handler reads it from the event's path parameters."""
        return _PARAMETER.sub(r"<\1>", _GREEDY_PARAMETER.sub(".+", self.path))

    @property
    def greedy_parameter(self) -> str | None:
        """The name of a `{name+}` parameter (one or more segments), if the path has one."""
        found = _GREEDY_PARAMETER.search(self.path)
        return found.group(1) if found else None

    @property
    def document_path(self) -> str:
        """The path as OpenAPI spells it: a greedy parameter is a plain `{name}`, described as segments."""
        return _GREEDY_PARAMETER.sub(r"{\1}", self.path)

    @property
    def policy_resource(self) -> str:
        """The path as an authorizer policy names it: parameters become wildcards, no leading slash."""
        return _PARAMETER.sub("*", _GREEDY_PARAMETER.sub("*", self.path)).lstrip("/")

    @property
    def policy_resources(self) -> tuple[str, str]:
        """What a policy allows for this route: its path, and the same with a trailing slash. API Gateway
        routes `/iam/signing-keys/` to the resource `/iam/signing-keys` (and the resolver serves it), but the
        method ARN it asks the policy about keeps the caller's slash."""
        return self.policy_resource, self.policy_resource + "/"


_FASTPIX = ("Signing Keys",)
_LIVEPEER = ("accessControl",)
_VERIFICATION = ("verification",)
_AUDIT = ("audit",)
_REVOCATIONS = ("revocations",)
_FASTPIX_KEYS = "/iam/signing-keys"
_FASTPIX_KEY = "/iam/signing-keys/{signingKeyId}"
_LIVEPEER_KEYS = "/access-control/signing-key"
_LIVEPEER_KEY = "/access-control/signing-key/{keyId}"
_ROTATE = "/rotate"
_PLAY = "/workspaces/{workspaceId}/play/{mediaId}/{path+}"
_KEY_LIMIT_REACHED = 403
_REVOCATION_LIMIT_REACHED = 403
_ALREADY_REVOKED = 200
_NO_SUCH_MEDIA_PATH = 404  # also: the edge is not deployed

ROUTES: tuple[Route, ...] = (
    # FastPix: operation ids as in fastpix-python 1.2.0 (`operation_id=` in fastpix_python/signing_keys.py).
    Route("POST", _FASTPIX_KEYS, "CreateKeyFunction", Dialect.FASTPIX, Auth.MANAGEMENT, "create_signing_key",
          _FASTPIX, "Create a signing key; its privateKey is shown this once", writes=True, success_status=201,
          also_answers=(_KEY_LIMIT_REACHED,)),
    Route("GET", _FASTPIX_KEYS, "ListKeysFunction", Dialect.FASTPIX, Auth.MANAGEMENT, "list_signing_keys",
          _FASTPIX, "List signing keys, a page at a time", writes=False),
    Route("GET", _FASTPIX_KEY, "GetKeyFunction", Dialect.FASTPIX, Auth.MANAGEMENT, "get-signing_key_by_id",
          _FASTPIX, "Get a signing key's public key", writes=False),
    Route("DELETE", _FASTPIX_KEY, "DeleteKeyFunction", Dialect.FASTPIX, Auth.MANAGEMENT, "delete_signing_key",
          _FASTPIX, "Delete a signing key", writes=True),
    # FastPix has neither (key policies, README "Key policies and rotation"): ids in its snake_case style.
    Route("PATCH", _FASTPIX_KEY, "UpdateKeyFunction", Dialect.FASTPIX, Auth.MANAGEMENT, "update_signing_key",
          _FASTPIX, "Change a signing key's expiry, media scope or token lifetime", writes=True, extension=True),
    Route("POST", _FASTPIX_KEY + _ROTATE, "RotateKeyFunction", Dialect.FASTPIX, Auth.MANAGEMENT,
          "rotate_signing_key", _FASTPIX, "Replace a signing key by a successor; the old one expires after an overlap",
          writes=True, success_status=201, also_answers=(_KEY_LIMIT_REACHED,), extension=True),
    # Livepeer: operation ids as in livepeer 0.3.0 (`operation_id=` in livepeer/accesscontrol.py).
    Route("POST", _LIVEPEER_KEYS, "CreateKeyFunction", Dialect.LIVEPEER, Auth.MANAGEMENT, "createSigningKey",
          _LIVEPEER, "Create a signing key; its privateKey is shown this once", writes=True,
          also_answers=(_KEY_LIMIT_REACHED,)),
    Route("GET", _LIVEPEER_KEYS, "ListKeysFunction", Dialect.LIVEPEER, Auth.MANAGEMENT, "getSigningKeys",
          _LIVEPEER, "Retrieve every signing key", writes=False),
    Route("GET", _LIVEPEER_KEY, "GetKeyFunction", Dialect.LIVEPEER, Auth.MANAGEMENT, "getSigningKey",
          _LIVEPEER, "Retrieve a signing key", writes=False),
    Route("PATCH", _LIVEPEER_KEY, "UpdateKeyFunction", Dialect.LIVEPEER, Auth.MANAGEMENT, "updateSigningKey",
          _LIVEPEER, "Rename, disable or re-enable a signing key, or change its policies", writes=True,
          success_status=204),
    Route("DELETE", _LIVEPEER_KEY, "DeleteKeyFunction", Dialect.LIVEPEER, Auth.MANAGEMENT, "deleteSigningKey",
          _LIVEPEER, "Delete a signing key", writes=True, success_status=204),
    # Livepeer has no rotation (README "Key policies and rotation"): an id in its camelCase style.
    Route("POST", _LIVEPEER_KEY + _ROTATE, "RotateKeyFunction", Dialect.LIVEPEER, Auth.MANAGEMENT,
          "rotateSigningKey", _LIVEPEER, "Replace a signing key by a successor; the old one expires after an overlap",
          writes=True, also_answers=(_KEY_LIMIT_REACHED,), extension=True),
    # Neither platform has these; their errors carry both shapes.
    # The function verifies the token itself, so that a refusal can carry its reason (an authorizer's 401 cannot).
    Route("GET", "/workspaces/{workspaceId}/playback/{mediaId}", "PlaybackFunction", Dialect.NEUTRAL,
          Auth.NONE, "verifyPlayback", _VERIFICATION, "Verify a playback token for one of the workspace's media",
          writes=False, viewer_token=True),
    Route("GET", _PLAY, "ExchangeFunction", Dialect.NEUTRAL, Auth.NONE, "playMedia", _VERIFICATION,
          "Exchange a viewer's playback token for the media at the edge: a redirect to its tokenized edge URL",
          writes=False, success_status=302, also_answers=(_NO_SUCH_MEDIA_PATH,), viewer_token=True),
    Route("OPTIONS", _PLAY, "ExchangeFunction", Dialect.NEUTRAL, Auth.NONE, "playMediaPreflight", _VERIFICATION,
          "CORS preflight of the exchange, for players on another origin", writes=False, success_status=204),
    Route("POST", "/tokens/verify", "VerifyTokenFunction", Dialect.NEUTRAL, Auth.MANAGEMENT, "verifyToken",
          _VERIFICATION, "Explain how a playback token would be judged: the verdict, each check in order, its claims",
          writes=False),
    Route("GET", "/workspaces/{workspaceId}/jwks.json", "JwksFunction", Dialect.NEUTRAL, Auth.NONE,
          "getWorkspaceJwks", _VERIFICATION, "The workspace's enabled public keys as a JWK Set", writes=False),
    Route("GET", "/audit-events", "ListAuditEventsFunction", Dialect.NEUTRAL, Auth.MANAGEMENT, "listAuditEvents",
          _AUDIT, "The workspace's audit trail, newest first, a page at a time", writes=False),
    Route("POST", "/revocations", "CreateRevocationFunction", Dialect.NEUTRAL, Auth.MANAGEMENT, "createRevocation",
          _REVOCATIONS, "Revoke one token (jti), one viewer, or every token issued before a moment", writes=True,
          success_status=201, also_succeeds=(_ALREADY_REVOKED,), also_answers=(_REVOCATION_LIMIT_REACHED,)),
    Route("GET", "/revocations", "ListRevocationsFunction", Dialect.NEUTRAL, Auth.MANAGEMENT, "listRevocations",
          _REVOCATIONS, "List the workspace's active revocations, newest first, a page at a time", writes=False),
    Route("DELETE", "/revocations/{revocationId}", "DeleteRevocationFunction", Dialect.NEUTRAL, Auth.MANAGEMENT,
          "deleteRevocation", _REVOCATIONS, "Delete a revocation: what it refused verifies again", writes=True,
          success_status=204),
)  # fmt: skip


def resources() -> tuple[str, ...]:
    """Every path the API serves, in table order, each once."""
    return tuple(dict.fromkeys(route.path for route in ROUTES))


def allowed_methods(resource: str) -> tuple[str, ...]:
    """The methods `resource` serves, in a fixed order (reads, then writes), for `Allow` headers."""
    served = {route.method for route in ROUTES if route.path == resource}
    return tuple(method for method in _METHOD_ORDER if method in served)


def dialect_of(resource: str) -> Dialect:
    """The dialect of a resource (a path in template syntax, as API Gateway's `resource`); NEUTRAL if unknown."""
    return next((route.dialect for route in ROUTES if route.path == resource), Dialect.NEUTRAL)


def route_for(resource: str, method: str) -> Route | None:
    """The route API Gateway invoked: the event's `resource` (template syntax) and `httpMethod`."""
    return next((route for route in ROUTES if route.path == resource and route.method == method), None)


def by_operation_id(operation_id: str) -> Route:
    for route in ROUTES:
        if route.operation_id == operation_id:
            return route
    raise KeyError(f"no route with operation id {operation_id!r} in signing_keys.routes.ROUTES")


def nearest(method: str, path: str) -> Route:
    """The route a caller most likely meant by `method` `path`, a path no route has: the most similar path
    (where the route has a parameter, any segment of the caller's matches it), the caller's method breaking
    ties."""
    asked = [segment for segment in path[:_NEAREST_PATH_CHARS].split("/") if segment]

    def likeness(route: Route) -> tuple[float, bool]:
        template = [segment for segment in route.path.split("/") if segment]
        parameters = {index for index, segment in enumerate(template) if segment.startswith("{")}
        theirs = "/".join("*" if index in parameters else segment for index, segment in enumerate(asked))
        ours = "/".join("*" if index in parameters else segment for index, segment in enumerate(template))
        return difflib.SequenceMatcher(None, theirs, ours, autojunk=False).ratio(), route.method == method.upper()

    return max(ROUTES, key=likeness)


def guarded_by(auth: Auth) -> tuple[Route, ...]:
    return tuple(route for route in ROUTES if route.auth is auth)
