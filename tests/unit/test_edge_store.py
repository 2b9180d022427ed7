"""The edge's KeyValueStore writer against the local KeyValueStore (the data-plane API over HTTP, through boto3's own
client): a batch is applied whole, a concurrent writer is retried against the new state, a deny entry that cannot
fit becomes its workspace's sessions-before cut (never dropped), and the sweep and the secret rotation remove only
what they own."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from signing_keys.edge_deny_list import Delete, Put, SetIssuedBefore, decode, encode
from signing_keys.edge_store import EdgeStore
from signing_keys_local.kvs import KeyValueStoreServer, LocalKeyValueStore

ARN = "arn:aws:cloudfront::127.0.0:key-value-store/tests"
NOW = 1_800_000_000


@pytest.fixture
def store_class() -> type[LocalKeyValueStore]:
    return LocalKeyValueStore


@pytest.fixture
def local_store(monkeypatch: pytest.MonkeyPatch, store_class: type[LocalKeyValueStore]) -> Iterator[LocalKeyValueStore]:
    kvs = store_class(ARN)
    server = KeyValueStoreServer(kvs).start()
    # The endpoint rules put the ARN's account before the host: "127.0.0" + "." + "1" is the loopback address.
    monkeypatch.setenv("AWS_ENDPOINT_URL_CLOUDFRONT_KEYVALUESTORE", f"http://1:{server.server_address[1]}")
    for name, value in {"AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local"}.items():
        monkeypatch.setenv(name, value)
    yield kvs
    server.stop()


def edge_store(**options: Any) -> EdgeStore:
    return EdgeStore(boto3.client("cloudfront-keyvaluestore", region_name="us-east-1"), ARN, **options)


def apply(store: EdgeStore, *changes: Any) -> Any:
    return store.apply(list(changes), now=NOW, cut_lead_seconds=2, session_seconds=600)


def test_a_batch_puts_and_deletes_its_entries(local_store: LocalKeyValueStore) -> None:
    local_store.items["r:gone"] = encode({"until": NOW})
    applied = apply(
        edge_store(),
        Put("k:key-1", {"from": 0, "until": NOW + 600}, "ws-a"),
        Put("r:rev-1", {"until": NOW + 600}, "ws-a"),
        Delete("r:gone"),
    )
    assert (applied.puts, applied.deletes, applied.overflowed) == (2, 1, 0)
    assert local_store.items == {"k:key-1": '{"from":0,"until":1800000600}', "r:rev-1": '{"until":1800000600}'}


def test_the_last_change_of_an_entry_in_a_batch_wins(local_store: LocalKeyValueStore) -> None:
    apply(edge_store(), Put("k:key-1", {"from": 0, "until": NOW + 600}, "ws-a"), Delete("k:key-1"))
    assert local_store.items == {}


def test_deleting_an_entry_the_store_does_not_hold_is_no_error(local_store: LocalKeyValueStore) -> None:
    assert apply(edge_store(), Delete("r:never-there")).deletes == 0


def test_a_workspace_cut_off_keeps_an_overflow_cut_already_there(local_store: LocalKeyValueStore) -> None:
    local_store.items["w:ws-a"] = encode({"sb": NOW - 5, "until": NOW + 100})
    apply(edge_store(), SetIssuedBefore("w:ws-a", NOW - 60, NOW + 600))
    assert decode(local_store.items["w:ws-a"]) == {"ib": NOW - 60, "sb": NOW - 5, "until": NOW + 600}
    apply(edge_store(), SetIssuedBefore("w:ws-a", None, NOW + 700))
    assert decode(local_store.items["w:ws-a"]) == {"sb": NOW - 5, "until": NOW + 700}


def test_a_workspace_entry_left_with_nothing_to_deny_is_deleted(local_store: LocalKeyValueStore) -> None:
    local_store.items["w:ws-a"] = encode({"ib": NOW - 60, "until": NOW + 600})
    apply(edge_store(), SetIssuedBefore("w:ws-a", None, NOW + 600))
    assert "w:ws-a" not in local_store.items


class InterruptedOnce(LocalKeyValueStore):
    """A store another writer changes once, between the first describe and the update that follows it."""

    interrupted = False

    def describe(self) -> dict[str, Any]:
        described = super().describe()
        if not self.interrupted:
            self.interrupted = True
            self.items["r:theirs"] = encode({"until": NOW})
            self.etag = "moved-on"
        return described


@pytest.mark.parametrize("store_class", [InterruptedOnce])
def test_a_concurrent_writer_makes_the_batch_apply_again_against_the_new_state(
    local_store: LocalKeyValueStore,
) -> None:
    apply(edge_store(), Put("r:ours", {"until": NOW + 600}, "ws-a"))
    assert set(local_store.items) == {"r:theirs", "r:ours"}


def test_an_entry_that_does_not_fit_cuts_its_workspaces_sessions_instead(local_store: LocalKeyValueStore) -> None:
    # Given a store with room for one deny entry only
    store = edge_store(capacity_bytes=40)
    # When two revocations of two workspaces arrive
    applied = apply(
        store, Put("r:first", {"until": NOW + 600}, "ws-a"), Put("r:second-one", {"until": NOW + 600}, "ws-b")
    )
    # Then the first is an entry, and the second workspace's sessions started before the exchange saw it are cut
    assert applied.overflowed == 1
    assert "r:first" in local_store.items and "r:second-one" not in local_store.items
    assert decode(local_store.items["w:ws-b"]) == {"sb": NOW + 2, "until": NOW + 600}


def test_the_sweep_removes_expired_deny_entries_and_never_a_secret(local_store: LocalKeyValueStore) -> None:
    local_store.items.update(
        {
            "r:old": encode({"until": NOW - 1}),
            "k:old": encode({"from": 0, "until": NOW - 1}),
            "r:live": encode({"until": NOW + 1}),
            "s:version-1": "x" * 64,
            "w:garbled": "not json",
        }
    )
    assert edge_store().sweep(NOW) == 2
    assert set(local_store.items) == {"r:live", "s:version-1", "w:garbled"}


def test_secrets_are_kept_for_the_versions_named_and_removed_for_the_others(local_store: LocalKeyValueStore) -> None:
    store = edge_store()
    for version in ("v1", "v2", "v3"):
        store.put_secret(version, version * 22)
    local_store.items["r:entry"] = encode({"until": NOW})
    assert store.keep_only_secrets({"v2", "v3"}) == 1
    assert set(local_store.items) == {"s:v2", "s:v3", "r:entry"}
    assert store.secret("v3") == "v3" * 22
    assert store.secret("v1") is None
