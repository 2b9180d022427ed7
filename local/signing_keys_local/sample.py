"""The bundled sample clip, ready to play (`start-api --media-dir`, as `make run` starts it): a key of the `dev`
workspace signs a viewer token for media `sample`, and the banner prints the demo player's URL with it, so the
first thing a new user sees is a protected video playing through the exchange and the edge.

The key is the runner's own (its private key kept, mode 0600, in the state directory, so a restart reuses it and
its tokens); it counts toward the dev workspace's key limit like any other.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from signing_keys.config import Settings
from signing_keys.models import Actor, Algorithm
from signing_keys.service import KeyService
from signing_keys_local.state import StateDir
from signing_keys_tools.tokens import sign

WORKSPACE, MEDIA = "dev", "sample"
TOKEN_SECONDS = 3600
KEY_NAME = "sample clip (signing-keys-local)"


@dataclass(frozen=True)
class SampleSession:
    key_id: str
    token: str
    player_url: str
    exchange_url: str


def _key(service: KeyService, state: StateDir | None) -> tuple[str, str]:
    """The sample's key: the one kept from an earlier start while the table still has it, else a new one."""
    saved = state.saved_sample_key() if state is not None else None
    if saved is not None and any(key.key_id == saved[0] for key in service.list_keys(WORKSPACE)):
        return saved
    created = service.create_key(Actor.operator(WORKSPACE), default_algorithm=Algorithm.ES256, name=KEY_NAME)
    assert created.private_key_pem is not None  # a generated key pair
    if state is not None:
        state.save_sample_key(created.key.key_id, created.private_key_pem)
    return created.key.key_id, created.private_key_pem


def sample_session(settings: Settings, media_dir: Path, state: StateDir | None, base_url: str) -> SampleSession | None:
    """A token for the sample and the URLs that play it; None when the directory has no dev/sample."""
    if not (media_dir / WORKSPACE / MEDIA).is_dir():
        return None
    key_id, private_key = _key(KeyService.from_settings(settings), state)
    lifetime = min(TOKEN_SECONDS, settings.max_token_lifetime_seconds)
    token = sign(private_key, key_id, MEDIA, lifetime)
    return SampleSession(
        key_id=key_id,
        token=token,
        player_url=f"{base_url}/demo?workspace={WORKSPACE}&media={MEDIA}&token={quote(token, safe='')}",
        exchange_url=f"{base_url}/workspaces/{WORKSPACE}/play/{MEDIA}/index.m3u8?token={token}",
    )
