"""The route table: every operation of the API, declared once.

The handlers register their operations from it (`signing_keys.api.operation`), the error mapping picks each
route's dialect from it, MethodNotAllowedFunction answers `Allow` from it, the management authorizer allows its
routes from it, the OpenAPI document takes operation ids, tags, summaries, descriptions and statuses from it, and
`make template` writes template.yaml's `Api` events from it (signing_keys_local.template_sections). To add a route:
a row here, the handler in one function, then `make template` and `make openapi` (docs/conventions.md).

Free of heavy imports: the authorizer and MethodNotAllowedFunction read it on every cold start.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from enum import StrEnum

from signing_keys import token_rules

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


@dataclass(frozen=True, slots=True, kw_only=True)
class Route:
    method: str  # upper case, as in template.yaml
    path: str  # template syntax: /iam/signing-keys/{signingKeyId}
    function: str  # the function's logical id in template.yaml
    dialect: Dialect
    auth: Auth
    operation_id: str  # the seed's, so generated clients keep their method names
    tags: tuple[str, ...]  # each one of TAG_DESCRIPTIONS
    summary: str  # one line
    # The operation's description in the document (Markdown): what it does, who may call it, what it answers.
    description: str
    writes: bool  # changes state: a read-only credential may not call it
    success_status: int = 200
    # Other success statuses, with the same body (e.g. 200 when a create finds the same thing already there).
    also_succeeds: tuple[int, ...] = ()
    # Error statuses beyond those the route's shape implies (auth, ids, body: see operations.error_statuses).
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


# Tags group operations in the document and in generated clients. The two seeds' are kept as their SDKs spell
# them; this API's own follow Livepeer's camelCase, named for what they serve.
FASTPIX_TAG = "Signing Keys"
LIVEPEER_TAG = "accessControl"
PLAYBACK_TAG = "playback"
TOKENS_TAG = "tokens"
AUDIT_TAG = "auditEvents"
REVOCATIONS_TAG = "revocations"
TAG_DESCRIPTIONS = {
    FASTPIX_TAG: (
        "FastPix dialect, as the fastpix-python SDK calls it: `/iam/signing-keys`, RSA-2048 keys (RS256) unless you "
        "bring your own, `{success, data}` envelopes, HTTP Basic with a credential's token id and secret. Key "
        "policies and rotation are this API's own, in FastPix's style."
    ),
    LIVEPEER_TAG: (
        "Livepeer dialect, as the livepeer SDK calls it: `/access-control/signing-key`, P-256 keys (ES256) unless "
        "you bring your own, bare JSON objects, `Authorization: Bearer <secret>`. Key policies and rotation are "
        "this API's own, in Livepeer's style."
    ),
    PLAYBACK_TAG: (
        "What a viewer's player calls, with a playback token and no credential: verify the token for one media, "
        "exchange it for the media at the edge, and the workspace's public keys (JWKS). Errors carry both "
        "dialects' fields; a refused token says why (`reason`)."
    ),
    TOKENS_TAG: "For the key's owner: how a playback token would be judged, stage by stage, without spending it.",
    AUDIT_TAG: (
        "Who changed what in the workspace, when and from where: every key, revocation and credential change, "
        "newest first."
    ),
    REVOCATIONS_TAG: (
        "Refuse one token (`jti`), one viewer, or every token issued before a moment, without rotating any key."
    ),
}
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

# Shared sentences of the descriptions below.
_ANY_CREDENTIAL = (
    "Any credential of the workspace may call it, a read-only one included: HTTP Basic (token id and secret) or "
    "`Authorization: Bearer <secret>`."
)
_WRITE_CREDENTIAL = (
    "It needs a write-scoped credential of the workspace (HTTP Basic with token id and secret, or "
    "`Authorization: Bearer <secret>`): a read-only one is refused (403) before the body is read."
)
_UNKNOWN_KEY = (
    "An id of any other shape, a deleted key and another workspace's key all answer the same 404: nothing tells "
    "them apart."
)
_BRING_YOUR_OWN = (
    "Send `publicKey` (a PEM, or its base64) to register a key of your own instead: RSA 2048-4096 bits, P-256 or "
    "Ed25519, checked to be safe to verify with (422 otherwise, never echoing the key); then no private key ever "
    "exists on the server and none is answered."
)
_POLICY = (
    "The policy fields limit what the key's tokens may do: `expiresAt` (from then on it verifies nothing), "
    "`allowedMedia` (1-50 media ids or `prefix*` patterns its tokens may open) and `maxTokenLifetimeSeconds`."
)
_KEY_LIMIT = "At the workspace's key limit (KeyLimit) it answers 403 and creates nothing."
_ROTATION = (
    "One transaction: the successor is created with the old key's name, projectId, `allowedMedia`, "
    "`maxTokenLifetimeSeconds` and (when generated) algorithm, and the old key's `expiresAt` becomes now + "
    "`overlapSeconds` (0-604800, default 3600) unless it is already sooner, so tokens it signed keep verifying "
    "during the overlap. The successor's private key is in the answer this once (none when you send `publicKey`). "
    "At the key limit it answers 403 and nothing changes."
)
_TAKES_EFFECT = "Verifiers see the change within KeyCacheMillis (1 s by default)."
_PRIVATE_KEYS_NEVER_LISTED = "Private keys are never stored, so never listed."

ROUTES: tuple[Route, ...] = (
    # FastPix: operation ids as in fastpix-python 1.2.0 (`operation_id=` in fastpix_python/signing_keys.py).
    Route(
        method="POST",
        path=_FASTPIX_KEYS,
        function="CreateKeyFunction",
        dialect=Dialect.FASTPIX,
        auth=Auth.MANAGEMENT,
        operation_id="create_signing_key",
        tags=(FASTPIX_TAG,),
        summary="Create a signing key; its privateKey is shown this once",
        description=(
            "Generates an RSA-2048 key pair (RS256) in the credential's workspace and answers its id and, this "
            "once, its private key (`privateKey`: base64 of the PKCS#8 PEM); the server keeps only the public key. "
            "The body is optional. " + " ".join((_BRING_YOUR_OWN, _POLICY, _WRITE_CREDENTIAL, _KEY_LIMIT))
        ),
        writes=True,
        success_status=201,
        also_answers=(_KEY_LIMIT_REACHED,),
    ),
    Route(
        method="GET",
        path=_FASTPIX_KEYS,
        function="ListKeysFunction",
        dialect=Dialect.FASTPIX,
        auth=Auth.MANAGEMENT,
        operation_id="list_signing_keys",
        tags=(FASTPIX_TAG,),
        summary="List signing keys, a page at a time",
        description=(
            "One page of the workspace's keys, oldest first: `limit` keys per page and `offset` the page number, "
            "from 1 (FastPix's name for it); `pagination` says how many keys and pages there are. Each key shows "
            "its id, creation time, workspace and the policy fields that are set. "
            + " ".join((_PRIVATE_KEYS_NEVER_LISTED, _ANY_CREDENTIAL))
        ),
        writes=False,
    ),
    Route(
        method="GET",
        path=_FASTPIX_KEY,
        function="GetKeyFunction",
        dialect=Dialect.FASTPIX,
        auth=Auth.MANAGEMENT,
        operation_id="get-signing_key_by_id",
        tags=(FASTPIX_TAG,),
        summary="Get a signing key's public key",
        description=(
            "The key's public key (`publicKey`: base64 of the SPKI PEM) and the policy fields that are set. "
            + " ".join((_UNKNOWN_KEY, _ANY_CREDENTIAL))
        ),
        writes=False,
    ),
    Route(
        method="DELETE",
        path=_FASTPIX_KEY,
        function="DeleteKeyFunction",
        dialect=Dialect.FASTPIX,
        auth=Auth.MANAGEMENT,
        operation_id="delete_signing_key",
        tags=(FASTPIX_TAG,),
        summary="Delete a signing key",
        description=(
            "Deletes the key: every token it signed is refused from then on (`unknown_key`) and it leaves the "
            "JWKS; the workspace may hold one key more. Answers FastPix's confirmation; a second delete is a 404. "
            + " ".join((_TAKES_EFFECT, _UNKNOWN_KEY, _WRITE_CREDENTIAL))
        ),
        writes=True,
    ),
    # FastPix has neither key policies nor rotation: ids in its snake_case style.
    Route(
        method="PATCH",
        path=_FASTPIX_KEY,
        function="UpdateKeyFunction",
        dialect=Dialect.FASTPIX,
        auth=Auth.MANAGEMENT,
        operation_id="update_signing_key",
        tags=(FASTPIX_TAG,),
        summary="Change a signing key's expiry, media scope or token lifetime",
        description=(
            "Beyond FastPix: changes the key's policy. `expiresAt` is an ISO-8601 time with an offset, in the "
            "future; `allowedMedia` 1-50 media ids or `prefix*` patterns; `maxTokenLifetimeSeconds` from 60 to the "
            "deployment's MaxTokenLifetimeSeconds. A field left out is unchanged, `null` clears it, and at least "
            "one must be sent. Answers the key as get does. "
            + " ".join((_TAKES_EFFECT, _UNKNOWN_KEY, _WRITE_CREDENTIAL))
        ),
        writes=True,
        extension=True,
    ),
    Route(
        method="POST",
        path=_FASTPIX_KEY + _ROTATE,
        function="RotateKeyFunction",
        dialect=Dialect.FASTPIX,
        auth=Auth.MANAGEMENT,
        operation_id="rotate_signing_key",
        tags=(FASTPIX_TAG,),
        summary="Replace a signing key by a successor; the old one expires after an overlap",
        description=(
            "Beyond FastPix: replaces the key by a successor, answered as create answers (201). "
            + " ".join((_ROTATION, _UNKNOWN_KEY, _WRITE_CREDENTIAL))
        ),
        writes=True,
        success_status=201,
        also_answers=(_KEY_LIMIT_REACHED,),
        extension=True,
    ),
    # Livepeer: operation ids as in livepeer 0.3.0 (`operation_id=` in livepeer/accesscontrol.py).
    Route(
        method="POST",
        path=_LIVEPEER_KEYS,
        function="CreateKeyFunction",
        dialect=Dialect.LIVEPEER,
        auth=Auth.MANAGEMENT,
        operation_id="createSigningKey",
        tags=(LIVEPEER_TAG,),
        summary="Create a signing key; its privateKey is shown this once",
        description=(
            "Generates a P-256 key pair (ES256) in the credential's workspace and answers the key and, this once, "
            "its private key (`privateKey`: base64 of the PKCS#8 PEM); the server keeps only the public key. The "
            "body is optional: `name` and `projectId` label the key. "
            + " ".join((_BRING_YOUR_OWN, _POLICY, _WRITE_CREDENTIAL, _KEY_LIMIT))
        ),
        writes=True,
        also_answers=(_KEY_LIMIT_REACHED,),
    ),
    Route(
        method="GET",
        path=_LIVEPEER_KEYS,
        function="ListKeysFunction",
        dialect=Dialect.LIVEPEER,
        auth=Auth.MANAGEMENT,
        operation_id="getSigningKeys",
        tags=(LIVEPEER_TAG,),
        summary="Retrieve every signing key",
        description=(
            "Every key of the workspace, oldest first, in one array (Livepeer does not page): its public key, "
            "name, state, when it was created and last verified a token, and the policy fields that are set. "
            + " ".join((_PRIVATE_KEYS_NEVER_LISTED, _ANY_CREDENTIAL))
        ),
        writes=False,
    ),
    Route(
        method="GET",
        path=_LIVEPEER_KEY,
        function="GetKeyFunction",
        dialect=Dialect.LIVEPEER,
        auth=Auth.MANAGEMENT,
        operation_id="getSigningKey",
        tags=(LIVEPEER_TAG,),
        summary="Retrieve a signing key",
        description=(
            "One key as Livepeer shows it: public key (base64 of the SPKI PEM), name, `disabled`, `createdAt` and "
            "`lastSeen` (epoch milliseconds), and the policy fields that are set. "
            + " ".join((_UNKNOWN_KEY, _ANY_CREDENTIAL))
        ),
        writes=False,
    ),
    Route(
        method="PATCH",
        path=_LIVEPEER_KEY,
        function="UpdateKeyFunction",
        dialect=Dialect.LIVEPEER,
        auth=Auth.MANAGEMENT,
        operation_id="updateSigningKey",
        tags=(LIVEPEER_TAG,),
        summary="Rename, disable or re-enable a signing key, or change its policies",
        description=(
            "Renames the key (`name`), disables or re-enables it (`disabled`: a disabled key's tokens are refused, "
            "403 `disabled_key`), or changes its policy (`expiresAt` in epoch milliseconds, `allowedMedia`, "
            "`maxTokenLifetimeSeconds`; `null` clears a policy field). A field left out is unchanged, and at least "
            "one must be sent; 204 without a body. " + " ".join((_TAKES_EFFECT, _UNKNOWN_KEY, _WRITE_CREDENTIAL))
        ),
        writes=True,
        success_status=204,
    ),
    Route(
        method="DELETE",
        path=_LIVEPEER_KEY,
        function="DeleteKeyFunction",
        dialect=Dialect.LIVEPEER,
        auth=Auth.MANAGEMENT,
        operation_id="deleteSigningKey",
        tags=(LIVEPEER_TAG,),
        summary="Delete a signing key",
        description=(
            "Deletes the key: every token it signed is refused from then on (`unknown_key`) and it leaves the "
            "JWKS; the workspace may hold one key more. 204 without a body; a second delete is a 404. "
            + " ".join((_TAKES_EFFECT, _UNKNOWN_KEY, _WRITE_CREDENTIAL))
        ),
        writes=True,
        success_status=204,
    ),
    # Livepeer has no rotation: an id in its camelCase style.
    Route(
        method="POST",
        path=_LIVEPEER_KEY + _ROTATE,
        function="RotateKeyFunction",
        dialect=Dialect.LIVEPEER,
        auth=Auth.MANAGEMENT,
        operation_id="rotateSigningKey",
        tags=(LIVEPEER_TAG,),
        summary="Replace a signing key by a successor; the old one expires after an overlap",
        description=(
            "Beyond Livepeer: replaces the key by a successor, answered as create answers (200). "
            + " ".join((_ROTATION, _UNKNOWN_KEY, _WRITE_CREDENTIAL))
        ),
        writes=True,
        also_answers=(_KEY_LIMIT_REACHED,),
        extension=True,
    ),
    # Neither platform has these; their errors carry both shapes.
    # The function verifies the token itself, so that a refusal can carry its reason (an authorizer's 401 cannot).
    Route(
        method="GET",
        path="/workspaces/{workspaceId}/playback/{mediaId}",
        function="PlaybackFunction",
        dialect=Dialect.NEUTRAL,
        auth=Auth.NONE,
        operation_id="verifyPlayback",
        tags=(PLAYBACK_TAG,),
        summary="Verify a playback token for one of the workspace's media",
        description="\n\n".join(
            (
                "Verifies the viewer's playback token for `mediaId` and answers the claims a player needs (200). "
                "No credential: the token is the authorization, in `?token=` or `Authorization: Bearer`. A "
                "refusal is 401 or 403 with its `reason` in the body and in the `X-Refusal-Reason` header, and a "
                "message saying what to fix. A `single_use` token is spent by its first success. Nothing is "
                "cached in front of it, so a disabled key or a revocation refuses within KeyCacheMillis.",
                token_rules.TOKEN_CLAIMS,
                token_rules.REFUSAL_REASONS,
            )
        ),
        writes=False,
        viewer_token=True,
    ),
    Route(
        method="GET",
        path=_PLAY,
        function="ExchangeFunction",
        dialect=Dialect.NEUTRAL,
        auth=Auth.NONE,
        operation_id="playMedia",
        tags=(PLAYBACK_TAG,),
        summary="Exchange a viewer's playback token for the media at the edge: a redirect to its tokenized edge URL",
        description="\n\n".join(
            (
                "Verifies the viewer's playback token exactly as verifyPlayback does, then redirects (302, "
                "`Cache-Control: no-store`) to `path` within the media at the edge: "
                "`/m/{workspaceId}/{mediaId}/<edge token>/{path}`, whose session ends no later than the token's "
                "`exp`, the key's `expiresAt` and EdgeSessionSeconds after it began. No credential: the token "
                "travels in `?token=` or `Authorization: Bearer`; CORS lets players on the AllowedOrigins call "
                "it. A refusal is 401 or 403 with its `reason` (body and `X-Refusal-Reason`); 404 when the "
                "deployment has no edge (EdgeMediaBucketName empty) or `path` is not plain segments. A "
                "`single_use` token is spent only on a redirect.",
                token_rules.TOKEN_CLAIMS,
                token_rules.REFUSAL_REASONS,
            )
        ),
        writes=False,
        success_status=302,
        also_answers=(_NO_SUCH_MEDIA_PATH,),
        viewer_token=True,
    ),
    Route(
        method="OPTIONS",
        path=_PLAY,
        function="ExchangeFunction",
        dialect=Dialect.NEUTRAL,
        auth=Auth.NONE,
        operation_id="playMediaPreflight",
        tags=(PLAYBACK_TAG,),
        summary="CORS preflight of the exchange, for players on another origin",
        description=(
            "What a browser asks before a player on another origin calls playMedia with `Authorization`: 204 "
            "with `Access-Control-Allow-Origin` for an origin among AllowedOrigins, `Access-Control-Allow-Methods: "
            "GET, OPTIONS`, `Access-Control-Allow-Headers: Authorization` and a 600 s `Access-Control-Max-Age`. "
            "No token or credential."
        ),
        writes=False,
        success_status=204,
    ),
    Route(
        method="POST",
        path="/tokens/verify",
        function="VerifyTokenFunction",
        dialect=Dialect.NEUTRAL,
        auth=Auth.MANAGEMENT,
        operation_id="verifyToken",
        tags=(TOKENS_TAG,),
        summary="Explain how a playback token would be judged: the verdict, each check in order, its claims",
        description="\n\n".join(
            (
                "The token debugger, for the key's owner: how verifyPlayback would judge `token` for `mediaId` in "
                "the credential's workspace at this moment. Always 200 for a readable body, whatever the verdict: "
                "`verdict` (the status, 200, 401 or 403, its `reason` and what to fix), the key the token names, "
                "each stage in the order the verifier runs them (screen, key, signature, times, media, policy, "
                "revocations, spend) as passed, failed or skipped, and the claims as decoded. It changes nothing: "
                "a single-use token stays unspent and the key's lastSeen is not written. " + _ANY_CREDENTIAL,
                token_rules.TOKEN_CLAIMS,
                token_rules.REFUSAL_REASONS,
            )
        ),
        writes=False,
    ),
    Route(
        method="GET",
        path="/workspaces/{workspaceId}/jwks.json",
        function="JwksFunction",
        dialect=Dialect.NEUTRAL,
        auth=Auth.NONE,
        operation_id="getWorkspaceJwks",
        tags=(PLAYBACK_TAG,),
        summary="The workspace's enabled public keys as a JWK Set",
        description=(
            "Public, no credential: the workspace's enabled keys not past their `expiresAt`, as an RFC 7517 JWK "
            "Set (`kid` is the key id; RSA, EC P-256 or OKP Ed25519), for verifying its tokens elsewhere. Cached "
            "with `Cache-Control: public, max-age=JwksMaxAgeSeconds` (60 by default), so a cache may serve a key "
            "that long after it was disabled. An unknown workspace has an empty set."
        ),
        writes=False,
    ),
    Route(
        method="GET",
        path="/audit-events",
        function="ListAuditEventsFunction",
        dialect=Dialect.NEUTRAL,
        auth=Auth.MANAGEMENT,
        operation_id="listAuditEvents",
        tags=(AUDIT_TAG,),
        summary="The workspace's audit trail, newest first, a page at a time",
        description=(
            "Every change made in the workspace (key create, update, rotate, delete; revocation create and "
            "delete; credential changes), newest first: what was done to which key, revocation or credential, by "
            "which credential (token id), from which source IP, in which API Gateway request. Never key material, "
            "secrets or tokens. `limit` entries per page; pass `nextCursor` as `cursor` for the next page, until "
            "it is null. Entries are kept AuditRetentionDays (90 by default). " + _ANY_CREDENTIAL
        ),
        writes=False,
    ),
    Route(
        method="POST",
        path="/revocations",
        function="CreateRevocationFunction",
        dialect=Dialect.NEUTRAL,
        auth=Auth.MANAGEMENT,
        operation_id="createRevocation",
        tags=(REVOCATIONS_TAG,),
        summary="Revoke one token (jti), one viewer, or every token issued before a moment",
        description=(
            "Refuses (403) the workspace's tokens that carry one `jti`, one `viewer`, or were issued before "
            "`issuedBefore` (epoch seconds, at most 60 s ahead; tokens without `iat` too): exactly one of the "
            "three, and an optional `reason`. 201 with the new entry; 200 with the entry already in force when "
            "the same one is sent again (nothing written). It stands until it is deleted (`expiresAt` is null); at "
            "most 100 issuedBefore revocations are active at once (403 beyond). "
            + " ".join((_TAKES_EFFECT, _WRITE_CREDENTIAL))
        ),
        writes=True,
        success_status=201,
        also_succeeds=(_ALREADY_REVOKED,),
        also_answers=(_REVOCATION_LIMIT_REACHED,),
    ),
    Route(
        method="GET",
        path="/revocations",
        function="ListRevocationsFunction",
        dialect=Dialect.NEUTRAL,
        auth=Auth.MANAGEMENT,
        operation_id="listRevocations",
        tags=(REVOCATIONS_TAG,),
        summary="List the workspace's active revocations, newest first, a page at a time",
        description=(
            "The revocations in force, newest first. `limit` entries per page; pass `nextCursor` as `cursor` for "
            "the next page, until it is null (a page may hold fewer than `limit` when entries lapsed meanwhile). "
            "The cursor is opaque and only ever reaches your own workspace. " + _ANY_CREDENTIAL
        ),
        writes=False,
    ),
    Route(
        method="DELETE",
        path="/revocations/{revocationId}",
        function="DeleteRevocationFunction",
        dialect=Dialect.NEUTRAL,
        auth=Auth.MANAGEMENT,
        operation_id="deleteRevocation",
        tags=(REVOCATIONS_TAG,),
        summary="Delete a revocation: what it refused verifies again",
        description=(
            "Deletes a revocation: the tokens it refused verify again. 204 without a body; an unknown id, an "
            "expired revocation and another workspace's all answer the same 404. "
            + " ".join((_TAKES_EFFECT, _WRITE_CREDENTIAL))
        ),
        writes=True,
        success_status=204,
    ),
)


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
