"""The runner's state directory (`.signing-keys-local/` unless `--state-dir` says otherwise): what a restart keeps.

- `dynamodb.jsonl`: the embedded DynamoDB's journal (journal.py): every key, revocation, credential and audit entry.
- `credential.json` (mode 0600): the development credential generated when no `--credential` is given, so the
  one printed at the first start keeps working.
- `sample-key.json` (mode 0600): the key the runner signs the sample clip's demo token with (`--media-dir`).
- `lock`: held while a runner uses the directory, so two runners never write one journal.

`--fresh` deletes these files and nothing else (the directory may be one the user chose, holding other files).
"""

from __future__ import annotations

import fcntl
import json
import os
from pathlib import Path
from typing import IO

from signing_keys_local.journal import Journal

DEFAULT_STATE_DIR = Path(".signing-keys-local")
_JOURNAL = "dynamodb.jsonl"
_CREDENTIAL = "credential.json"
_SAMPLE_KEY = "sample-key.json"
_LOCK = "lock"


class StateDirInUse(RuntimeError):
    """Another runner holds this state directory."""


class StateDir:
    def __init__(self, path: Path) -> None:
        self.path = path
        path.mkdir(mode=0o700, parents=True, exist_ok=True)  # it holds the development secret
        self._lock: IO[str] = (path / _LOCK).open("a")
        try:
            fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._lock.close()
            raise StateDirInUse(f"{path} is in use by another runner (stop it, or choose --state-dir)") from None

    def wipe(self) -> None:
        for name in (_JOURNAL, _CREDENTIAL, _SAMPLE_KEY):
            (self.path / name).unlink(missing_ok=True)

    def journal(self) -> Journal:
        return Journal(self.path / _JOURNAL)

    @property
    def credential_path(self) -> Path:
        return self.path / _CREDENTIAL

    def saved_credential(self) -> tuple[str, str, str] | None:
        """The development credential kept by an earlier start: workspace, token id, secret."""
        saved = self._read(_CREDENTIAL)
        try:
            return None if saved is None else (str(saved["workspaceId"]), str(saved["tokenId"]), str(saved["secret"]))
        except (KeyError, TypeError):
            return None  # unreadable: a new one is generated and saved

    def save_credential(self, workspace_id: str, token_id: str, secret: str) -> None:
        self._write(_CREDENTIAL, {"workspaceId": workspace_id, "tokenId": token_id, "secret": secret})

    def saved_sample_key(self) -> tuple[str, str] | None:
        """The sample's signing key kept by an earlier start: its id and its private key (PEM)."""
        saved = self._read(_SAMPLE_KEY)
        try:
            return None if saved is None else (str(saved["keyId"]), str(saved["privateKey"]))
        except (KeyError, TypeError):
            return None

    def save_sample_key(self, key_id: str, private_key_pem: str) -> None:
        self._write(_SAMPLE_KEY, {"keyId": key_id, "privateKey": private_key_pem})

    def _read(self, name: str) -> dict[str, object] | None:
        try:
            saved = json.loads((self.path / name).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None  # none yet, or unreadable
        return saved if isinstance(saved, dict) else None

    def _write(self, name: str, document: dict[str, str]) -> None:
        target = self.path / name
        temporary = target.with_suffix(".tmp")
        temporary.unlink(missing_ok=True)
        # Created 0600 from the first byte: a secret is never readable by others, not even for a moment.
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as out:
            out.write(json.dumps(document))
        temporary.replace(target)

    def close(self) -> None:
        self._lock.close()
