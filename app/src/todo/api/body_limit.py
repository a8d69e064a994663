"""Refuse request bodies over ``MAX_BODY_BYTES`` with 413, before anything parses them.

``MAX_BODY_BYTES`` is the one home of the limit: nginx in front of the API refuses the same size
(``frontend/nginx/body-limit.conf`` is generated from it; tests/app/test_api_contract.py keeps it so).
The largest valid body, a chat message of ``MESSAGE_MAX`` characters each JSON-escaped to at most six
bytes, is about 24 KB, so every valid request fits with room to spare.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from todo.core.http import error_body, header, send_json
from todo.core.models import MESSAGE_MAX

MAX_BODY_BYTES = 64 * 1024
assert MAX_BODY_BYTES > 6 * MESSAGE_MAX + 1024, "a valid chat message must fit in a request body"

TOO_LARGE_DETAIL = (
    f"request body is larger than {MAX_BODY_BYTES} bytes; send less "
    f"(the longest field, a chat message, takes at most {MESSAGE_MAX} characters)"
)


class BodyLimit:
    """Read the body (at most ``limit`` bytes, declared or chunked) before the app sees it; 413 beyond.

    A ``Content-Length`` over the limit is refused before a byte of the body is read; a chunked body
    is counted as it arrives and refused as soon as it passes the limit. The app then reads the
    buffered body as usual.
    """

    def __init__(self, app: ASGIApp, limit: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.limit:
            await _too_large(send)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                # The client went away while sending: let the app see the disconnect as it would.
                first: Message | None = message
                break
            chunk = bytes(message.get("body", b""))
            size += len(chunk)
            if size > self.limit:
                await _too_large(send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                first = {"type": "http.request", "body": b"".join(chunks), "more_body": False}
                break

        async def replay() -> Message:
            nonlocal first
            if first is not None:
                message, first = first, None
                return message
            return await receive()

        await self.app(scope, replay, send)


def _content_length(scope: Scope) -> int | None:
    text = (header(scope, b"content-length") or "").strip()
    return int(text) if text.isdecimal() else None


async def _too_large(send: Send) -> None:
    # The rest of the body is not read: the connection cannot carry another request.
    await send_json(send, 413, error_body(TOO_LARGE_DETAIL), ((b"connection", b"close"),))
