"""DynamoDB access: the only package that talks to the table (items and access patterns: docs/architecture.md).

Import the module you need; this one imports nothing, so a handler loads only the repositories it uses.

- `table`: the shared client of a container and its one retry policy (`retry`); `transaction`: named writes.
- Codecs, item ↔ model, one per item kind: `key_items`, `workspace_items` (the key counter and the cut-offs),
  `credential_items`, `revocation_items`, `single_use_items`, `audit_items`; `pages`: listing cursors.
- Repositories, one per aggregate: `keys` (keys, rotation, verification reads, lastSeen, single-use marks),
  `revocations`, `credentials`, `audit`.
"""
