"""What crosses the gateway in headers: hop-by-hop ones never, the caller as a service token.

Pure functions on header lists, so that the rules can be read and tested without I/O.
"""

from collections.abc import Iterable

# RFC 9110 §7.6.1, plus the Proxy-* family: they describe one connection, not the message.
HOP_BY_HOP = frozenset(
    {"connection", "keep-alive", "te", "trailer", "transfer-encoding", "upgrade"}
)
# The client's token stays at the edge (a service gets one the gateway signs for it);
# the body is re-framed; the host is the upstream's.
_NOT_FORWARDED = frozenset({"authorization", "content-length", "host"})
# The gateway's server sets its own date and server headers.
_NOT_RELAYED = frozenset({"date", "server"})

Headers = list[tuple[str, str]]


def _connection_scoped(headers: Iterable[tuple[str, str]]) -> frozenset[str]:
    """Hop-by-hop names, including any the Connection header lists."""
    named = {
        token.strip().lower()
        for name, value in headers
        if name.lower() == "connection"
        for token in value.split(",")
    }
    return HOP_BY_HOP | named


def _end_to_end(headers: Iterable[tuple[str, str]]) -> Headers:
    headers = list(headers)
    scoped = _connection_scoped(headers)
    return [
        (name, value)
        for name, value in headers
        if name.lower() not in scoped and not name.lower().startswith("proxy-")
    ]


def upstream_request_headers(
    headers: Iterable[tuple[str, str]], service_token: str | None, request_id: str
) -> Headers:
    """The client's headers as a service gets them: the caller as a service token signed for
    it, the request id the gateway answers with, trace context (`traceparent`) kept."""
    forwarded = [
        (name, value)
        for name, value in _end_to_end(headers)
        if name.lower() not in _NOT_FORWARDED and name.lower() != "x-request-id"
    ]
    forwarded.append(("X-Request-ID", request_id))
    if service_token is not None:
        forwarded.append(("Authorization", f"Bearer {service_token}"))
    return forwarded


def client_response_headers(headers: Iterable[tuple[str, str]]) -> Headers:
    """A service's response headers as the client gets them (links rewritten separately)."""
    return [(n, v) for n, v in _end_to_end(headers) if n.lower() not in _NOT_RELAYED]
