"""Signing Keys API: the shared layer (keys, tokens, store, service, dialects)."""
