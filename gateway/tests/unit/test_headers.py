"""Which headers cross the gateway, each way."""

import pytest

from shopflow_gateway.headers import client_response_headers, upstream_request_headers

pytestmark = pytest.mark.unit


def names(headers):
    return [name.lower() for name, _ in headers]


def test_hop_by_hop_headers_never_reach_the_service():
    sent = [
        ("Connection", "keep-alive, X-Session-Hop"),
        ("X-Session-Hop", "1"),
        ("Keep-Alive", "timeout=5"),
        ("TE", "trailers"),
        ("Trailer", "Expires"),
        ("Transfer-Encoding", "chunked"),
        ("Upgrade", "websocket"),
        ("Proxy-Authorization", "Basic c2VjcmV0"),
        ("Proxy-Connection", "keep-alive"),
        ("Accept", "application/json"),
    ]

    forwarded = upstream_request_headers(sent, None, "req-1")

    assert names(forwarded) == ["accept", "x-request-id"]


def test_the_client_s_token_stays_at_the_edge_the_service_gets_its_own():
    sent = [("Authorization", "Bearer the-customer-s"), ("Accept", "application/json")]

    forwarded = upstream_request_headers(sent, "signed-for-the-service", "req-1")

    assert forwarded == [
        ("Accept", "application/json"),
        ("X-Request-ID", "req-1"),
        ("Authorization", "Bearer signed-for-the-service"),
    ]


def test_an_anonymous_call_carries_no_token_at_all():
    sent = [("Authorization", "Bearer forged"), ("X-Customer-Id", "mallory")]

    forwarded = upstream_request_headers(sent, None, "req-1")

    assert "authorization" not in names(forwarded)


def test_trace_context_and_the_request_id_are_propagated():
    sent = [
        ("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"),
        ("tracestate", "shopflow=1"),
        ("X-Request-ID", "client-chosen"),
        ("Host", "gateway.example"),
        ("Content-Length", "12"),
    ]

    forwarded = upstream_request_headers(sent, None, "gateway-chosen")

    assert forwarded == [sent[0], sent[1], ("X-Request-ID", "gateway-chosen")]


def test_responses_lose_hop_by_hop_and_server_headers_and_keep_the_rest():
    answered = [
        ("content-type", "application/problem+json"),
        ("connection", "close"),
        ("transfer-encoding", "chunked"),
        ("date", "Sun, 22 Nov 2026 02:00:00 GMT"),
        ("server", "uvicorn"),
        ("retry-after", "3"),
        ("link", '</products?after=A>; rel="next"'),
    ]

    assert names(client_response_headers(answered)) == ["content-type", "retry-after", "link"]
