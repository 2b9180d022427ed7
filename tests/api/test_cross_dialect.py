"""One key store, two views: keys made in one dialect are seen, changed and deleted in the other."""

from __future__ import annotations

from datetime import datetime

from tests.support import LocalApi, basic, bearer


def test_fastpix_key_is_managed_through_livepeer(api: LocalApi) -> None:
    credential = api.credential("ws-a")
    key_id = api.request("POST", "/iam/signing-keys", authorization=basic(credential)).json()["data"]["id"]
    listed = api.request("GET", "/access-control/signing-key", authorization=bearer(credential)).json()
    assert [k["id"] for k in listed] == [key_id]
    path = f"/access-control/signing-key/{key_id}"
    assert api.request("PATCH", path, authorization=bearer(credential), body={"name": "shared"}).status == 204
    assert api.request("GET", path, authorization=bearer(credential)).json()["name"] == "shared"
    assert api.request("DELETE", path, authorization=bearer(credential)).status == 204
    assert api.request("GET", f"/iam/signing-keys/{key_id}", authorization=basic(credential)).status == 404
    assert api.key_count("ws-a") == 0


def test_livepeer_key_is_managed_through_fastpix(api: LocalApi) -> None:
    credential = api.credential("ws-a")
    created = api.request("POST", "/access-control/signing-key", authorization=bearer(credential)).json()
    page = api.request("GET", "/iam/signing-keys", authorization=basic(credential)).json()
    assert [k["id"] for k in page["data"]] == [created["id"]]
    detail = api.request("GET", f"/iam/signing-keys/{created['id']}", authorization=basic(credential)).json()
    assert detail["data"]["publicKey"] == created["publicKey"]
    assert api.request("DELETE", f"/iam/signing-keys/{created['id']}", authorization=basic(credential)).status == 200
    assert api.request("GET", "/access-control/signing-key", authorization=bearer(credential)).json() == []


def test_timestamps_are_iso_in_fastpix_and_milliseconds_in_livepeer(api: LocalApi) -> None:
    credential = api.credential("ws-a")
    created = api.request("POST", "/iam/signing-keys", authorization=basic(credential)).json()["data"]
    livepeer = api.request("GET", f"/access-control/signing-key/{created['id']}", authorization=bearer(credential))
    assert int(datetime.fromisoformat(created["createdAt"]).timestamp() * 1000) == livepeer.json()["createdAt"]
