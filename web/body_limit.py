"""Request bodies are read whole, under a deadline and a size limit, before any route runs.

Routes take a database connection before they read their form, so a client that sent a body one byte
every few seconds held a pooled connection the whole time; a dozen such clients froze the app for
everybody. This pure ASGI middleware runs first: it buffers the body and answers

* 413 when the declared or received size passes the limit (`max_upload_bytes` for multipart uploads,
  `max_body_bytes`, 1 MB, for forms and JSON) — a declared size is refused before a byte is read;
* 408 when the body is not complete within `body_timeout_seconds` (plus one second per
  `body_min_bytes_per_second` of declared size, so a large upload on a slow line still gets through);
* 422 for a JSON body holding NaN, Infinity, a number too large for a float (1e999) or nesting too deep
  to parse: standard JSON has none of these, and they used to reach the database or the response
  encoder as a 500;

and then replays the buffered body to the app. A slow or stalled client holds a coroutine only: no
connection, no worker thread.
"""

import json
import math
from typing import Any

import anyio
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from matcher.config import Settings

MULTIPART_OVERHEAD = 64 * 1024  # boundaries and the other fields around an uploaded file
SLOW_BODY = "本文の受信が時間内に終わりませんでした。通信の状態を確かめて、もう一度送ってください"
NOT_FINITE = "JSON に NaN・Infinity や大きすぎる数（1e999 など）は使えません。有限の数で書いてください"
TOO_DEEP = "JSON の入れ子が深すぎます"


def _too_large(limit: int, upload: bool) -> str:
    if upload:
        return f"ファイルが大きすぎます（上限 {limit // 2**20} MB）。分けて取り込んでください"
    return f"送られた内容が大きすぎます（上限 {max(limit // 1024, 1)} KB）。項目を減らしてください"


class _NotFinite(ValueError):
    pass


def _reject_constant(name: str) -> Any:
    raise _NotFinite(name)


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _NotFinite(text)
    return value


def json_problem(body: bytes) -> str | None:
    """Why a JSON body cannot be taken although its syntax parses (None: fine, or left to FastAPI)."""
    try:
        json.loads(body, parse_constant=_reject_constant, parse_float=_finite_float)
    except _NotFinite:
        return NOT_FINITE
    except RecursionError:
        return TOO_DEEP
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None  # FastAPI answers these itself (422, json_invalid)
    except ValueError:  # an integer with more digits than Python converts
        return NOT_FINITE
    return None


def _is_json(content_type: str) -> bool:
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or media.endswith("+json")


class BodyLimit:
    """Pure ASGI middleware: the whole body, within limits, before the app sees the request."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        declared = headers.get("content-length")
        chunked = "chunked" in headers.get("transfer-encoding", "").lower()
        if declared is None and not chunked:  # no body (GET and the like)
            await self.app(scope, receive, send)
            return
        content_type = headers.get("content-type", "")
        upload = content_type.lower().startswith("multipart/form-data")
        settings = self.settings
        limit = settings.max_upload_bytes + MULTIPART_OVERHEAD if upload else settings.max_body_bytes
        size = 0
        if declared is not None:
            if not declared.strip().isdigit():
                await self._refuse(
                    scope, receive, send, 400, "本文の長さ（Content-Length）が正しくありません"
                )
                return
            size = int(declared)
            if size > limit:
                await self._refuse(scope, receive, send, 413, _too_large(settings.max_upload_bytes, upload))
                return
        deadline = settings.body_timeout_seconds + size / settings.body_min_bytes_per_second
        chunks: list[bytes] = []
        received = 0
        with anyio.move_on_after(deadline) as timer:
            while True:
                message = await receive()
                if message["type"] == "http.disconnect":
                    return  # the client left; nobody to answer
                chunk = message.get("body", b"")
                received += len(chunk)
                if received > limit:
                    await self._refuse(
                        scope, receive, send, 413, _too_large(settings.max_upload_bytes, upload)
                    )
                    return
                chunks.append(chunk)
                if not message.get("more_body", False):
                    break
        if timer.cancelled_caught:
            await self._refuse(scope, receive, send, 408, SLOW_BODY)
            return
        body = b"".join(chunks)
        if _is_json(content_type) and (problem := json_problem(body)):
            await self._refuse(scope, receive, send, 422, problem, close=False)
            return
        await self.app(scope, _replay(body, receive), send)

    async def _refuse(
        self, scope: Scope, receive: Receive, send: Send, status: int, message: str, *, close: bool = True
    ) -> None:
        request = Request(scope)
        response: Response
        if request.url.path.startswith("/api/"):
            detail: Any = message
            if status == 422:
                detail = [{"loc": ["body"], "msg": message, "type": "value_error"}]
            response = JSONResponse({"detail": detail}, status_code=status)
        else:
            response = _page(request, status, message)
        if close:  # the rest of the body is never read: the connection cannot be reused
            response.headers["connection"] = "close"
        await response(scope, receive, send)


def _page(request: Request, status: int, message: str) -> Response:
    titles = {408: "時間切れです", 413: "大きすぎます", 422: "入力が正しくありません"}
    title = titles.get(status, "送り直してください")
    try:
        from web.templating import render

        return render(request, "errors/page.html", {"title": title, "message": message}, status_code=status)
    except Exception:  # the page is a courtesy; the status and the message are what matter
        return HTMLResponse(f"<h1>{title}</h1><p>{message}</p>", status_code=status)


def _replay(body: bytes, receive: Receive) -> Receive:
    """A receive that gives the buffered body once, then waits on the client (for its disconnect)."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay
