"""Refuses request bodies larger than the service accepts, without buffering them first."""

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shopflow_kit.problems import PAYLOAD_TOO_LARGE, Problem


class PayloadTooLarge(HTTPException):
    """Raised from `receive` once a streamed body passes the limit; answered as a 413 problem."""

    def __init__(self, max_body_bytes: int) -> None:
        super().__init__(413, f"Request body exceeds {max_body_bytes} bytes")


class BodyLimitMiddleware:
    """Answers 413 `payload-too-large` for a declared or streamed body over `max_body_bytes`."""

    def __init__(self, app: ASGIApp, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_body_bytes:
            refusal = Problem(PAYLOAD_TOO_LARGE, PayloadTooLarge(self.max_body_bytes).detail)
            await refusal.response(instance=scope["path"])(scope, receive, send)
            return
        received = 0

        async def receive_within_limit() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body_bytes:
                    raise PayloadTooLarge(self.max_body_bytes)
            return message

        await self.app(scope, receive_within_limit, send)
