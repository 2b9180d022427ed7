"""The viewer-request event the runner builds for the edge Function, in CloudFront Functions' shapes."""

from __future__ import annotations

from typing import Any

from signing_keys_local.edge_host import viewer_request_event


def event(query: str = "", headers: list[tuple[str, str]] | None = None) -> dict[str, Any]:
    return viewer_request_event("GET", "/m/acme/clip%2D1/t/a.ts", query, headers or [], viewer_ip="203.0.113.9")


def test_the_event_has_cloudfronts_envelope() -> None:
    built = event()
    assert built["version"] == "1.0"
    assert built["context"] == {
        "distributionDomainName": "localhost",
        "distributionId": "LOCAL",
        "eventType": "viewer-request",
    }
    assert built["viewer"] == {"ip": "203.0.113.9"}


def test_the_method_and_the_still_encoded_path_are_kept() -> None:
    request = event()["request"]
    assert (request["method"], request["uri"]) == ("GET", "/m/acme/clip%2D1/t/a.ts")


def test_a_request_id_is_included_when_given() -> None:
    built = viewer_request_event("GET", "/", "", [], request_id="req-1")
    assert built["context"]["requestId"] == "req-1"


def test_query_names_and_values_stay_percent_encoded() -> None:
    assert event("q=%E5%AE%B6&a%20b=c+d")["request"]["querystring"] == {
        "q": {"value": "%E5%AE%B6"},
        "a%20b": {"value": "c+d"},
    }


def test_a_query_name_without_value_has_an_empty_value() -> None:
    assert event("flag&x=")["request"]["querystring"] == {"flag": {"value": ""}, "x": {"value": ""}}


def test_a_repeated_query_name_keeps_its_first_value_and_lists_all() -> None:
    assert event("a=1&b=2&a=3")["request"]["querystring"]["a"] == {
        "value": "1",
        "multiValue": [{"value": "1"}, {"value": "3"}],
    }


def test_no_query_string_is_an_empty_object() -> None:
    assert event("")["request"]["querystring"] == {}


def test_header_names_are_lower_case_and_repeats_are_listed() -> None:
    headers = event(headers=[("Host", "h"), ("Accept", "a"), ("accept", "b")])["request"]["headers"]
    assert headers == {"host": {"value": "h"}, "accept": {"value": "a", "multiValue": [{"value": "a"}, {"value": "b"}]}}


def test_cookies_leave_the_headers_for_the_cookies_object() -> None:
    request = event(headers=[("Cookie", "a=1; b=x=y"), ("COOKIE", "a=2"), ("Host", "h")])["request"]
    assert "cookie" not in request["headers"]
    assert request["cookies"] == {
        "a": {"value": "1", "multiValue": [{"value": "1"}, {"value": "2"}]},
        "b": {"value": "x=y"},
    }
