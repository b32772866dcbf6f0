"""Forwarding: a client's request on to a service, and the service's answer back as it streams.

The request body is read whole (the kit caps it at `max_body_bytes`, 413 above) so that a
retried call can send it again; the answer is relayed chunk by chunk, its status and body
(problem+json included) unchanged, with hop-by-hop headers dropped and links made public.
An answer that says it is small (`Content-Length` up to `WHOLE_UP_TO_BYTES`, an order, a
problem) is read whole and answered as one body instead: streaming it would cost a task
to watch the client and another to close the answer, more than the read itself.
"""

import math
import uuid
from collections.abc import AsyncIterator, Collection, Sequence

import httpx
from fastapi import Request
from starlette.background import BackgroundTask
from starlette.responses import Response, StreamingResponse

from shopflow_gateway.headers import Headers, client_response_headers, upstream_request_headers
from shopflow_gateway.links import Mount, public_links
from shopflow_kit import Caller, Upstream, current_log_context
from shopflow_kit.identity import ServiceTokens

WHOLE_UP_TO_BYTES = 64 * 1024


async def call_upstream(
    request: Request,
    upstream: Upstream,
    target: str,
    caller: Caller | None,
    *,
    method: str | None = None,
    body: bytes | None = None,
    unavailable_statuses: Collection[int] | None = None,
) -> httpx.Response:
    """`request` sent on to `upstream` at `target` (path and query); the answer unread.

    Raises the kit's `UpstreamUnavailable` (503 with Retry-After) when there is no answer.
    `unavailable_statuses`: the answers the upstream's breaker counts, if not its own.
    """
    # The id this gateway answers with, kept or made by the kit's request id middleware.
    request_id = current_log_context().get("request_id") or uuid.uuid4().hex
    # Signed for this service alone, so that it cannot be replayed to another.
    tokens: ServiceTokens = request.app.state.service_tokens
    token = tokens.sign(caller, upstream.name) if caller is not None else None
    headers = upstream_request_headers(request.headers.items(), token, request_id)
    # As bytes: a value beyond ASCII (obs-text) crosses as it came, instead of failing to encode.
    outgoing = upstream.build_request(
        method or request.method, target, headers=_encoded(headers), content=body or None
    )
    return await upstream.stream(outgoing, unavailable_statuses=unavailable_statuses)


async def forward(
    request: Request,
    upstream: Upstream,
    path: str,
    caller: Caller | None,
    mounts: Sequence[Mount] = (),
    *,
    unavailable_statuses: Collection[int] | None = None,
) -> Response:
    """The route's request, body and query string included, answered by `upstream` at `path`."""
    target = f"{path}?{request.url.query}" if request.url.query else path
    answer = await call_upstream(
        request,
        upstream,
        target,
        caller,
        body=await request.body(),
        unavailable_statuses=unavailable_statuses,
    )
    if _declared_size(answer) <= WHOLE_UP_TO_BYTES:
        return respond(
            await read_whole(answer), answer.status_code, relayed_headers(answer, mounts)
        )
    return relay(answer, mounts)


def relay(answer: httpx.Response, mounts: Sequence[Mount] = ()) -> StreamingResponse:
    """The upstream's answer as the client's response, streamed; the answer is closed after."""
    response = StreamingResponse(
        _raw_chunks(answer), answer.status_code, background=BackgroundTask(answer.aclose)
    )
    response.raw_headers = _encoded(relayed_headers(answer, mounts))
    return response


def relayed_headers(answer: httpx.Response, mounts: Sequence[Mount] = ()) -> Headers:
    """The answer's headers as the client gets them: end-to-end ones, links made public."""
    return public_links(client_response_headers(answer.headers.multi_items()), mounts)


def respond(body: bytes, status: int, headers: Headers) -> Response:
    """A whole body with these headers, its Content-Length the body's own."""
    response = Response(body, status)
    kept = [(name, value) for name, value in headers if name.lower() != "content-length"]
    response.raw_headers += _encoded(kept)
    return response


async def read_whole(answer: httpx.Response) -> bytes:
    """The answer's body as sent (still encoded, if it was), its connection released."""
    try:
        return b"".join([chunk async for chunk in answer.aiter_raw()])
    finally:
        await answer.aclose()


def _declared_size(answer: httpx.Response) -> float:
    """The answer's Content-Length; infinite if it has none (chunked) or a bad one."""
    declared = answer.headers.get("content-length", "")
    return int(declared) if declared.isdigit() else math.inf


def _encoded(headers: Headers) -> list[tuple[bytes, bytes]]:
    return [(name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in headers]


async def _raw_chunks(answer: httpx.Response) -> AsyncIterator[bytes]:
    try:
        async for chunk in answer.aiter_raw():
            yield chunk
    finally:
        await answer.aclose()  # also when the client went away mid-stream
