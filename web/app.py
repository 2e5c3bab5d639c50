"""create_app(settings): the FastAPI application; the lifespan opens and closes the pool."""

import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import psycopg
from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler, request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from psycopg_pool import ConnectionPool, PoolClosed, PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

from matcher import db, embedding
from matcher.config import Settings, get_settings
from matcher.errors import DomainError, Invalid
from matcher.matching.propose import lexical_index
from matcher.notifications.mailer import Mailer
from web.body_limit import BodyLimit
from web.errors import status_and_title
from web.proxies import TrustedProxies
from web.routes import (
    admin,
    admin_listings,
    api_hsds,
    api_matching,
    api_placements,
    api_records,
    auth,
    batch,
    case_notes,
    development,
    home,
    host,
    listings,
    meetings,
    placements,
    plans,
    profiles,
    reports,
    sheets,
)
from web.routes.profiles import NotFoundPage
from web.security import Forbidden, LoginRequired
from web.templating import render

STATIC_DIR = Path(__file__).parent / "static"


def warm_up(settings: Settings, pool: ConnectionPool) -> None:
    """Loads the embedding model and fits the lexical index over the registry in the background, so the
    first proposal after a start does not wait for them (at 10,000 listings the index takes seconds,
    and every request behind the first one queued for it)."""
    spec = embedding.EmbeddingSpec.from_settings(settings)

    def work() -> None:
        embedding.load_model(spec.model, spec.device)
        try:
            with pool.connection() as conn:
                lexical_index(conn)
        except (psycopg.Error, PoolClosed, PoolTimeout):
            pass  # best effort: the first proposal fits it instead (the app may be stopping)

    threading.Thread(target=work, daemon=True).start()


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _error_page(request: Request, status: int, title: str, message: str) -> Response:
    return render(request, "errors/page.html", {"title": title, "message": message}, status_code=status)


SECURITY_HEADERS = {
    # only our own scripts (htmx and app.js from /static); inline style attributes are allowed
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
        "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
}


def install_security_headers(app: FastAPI) -> None:
    """Every response carries the security headers; pages are never cached by shared caches."""

    @app.middleware("http")
    async def headers(request: Request, call_next: Any) -> Response:
        response: Response = await call_next(request)
        response.headers.update(SECURITY_HEADERS)
        if not request.url.path.startswith("/static/"):
            response.headers.setdefault("Cache-Control", "no-store")
        return response


UNREADABLE_BODY = {
    "loc": ["body"],
    "msg": "本文を JSON として読めません（UTF-8 の JSON を送ってください）",
    "type": "json_invalid",
}


def install_error_pages(app: FastAPI) -> None:
    """Pages answer errors with a Japanese page; the API keeps JSON."""

    @app.exception_handler(LoginRequired)
    async def login_required(request: Request, exc: LoginRequired) -> Response:
        target = f"/login?next={exc.next_path}"
        if request.headers.get("hx-request") == "true":
            return Response(status_code=401, headers={"HX-Redirect": target})
        return RedirectResponse(target, status_code=303)

    @app.exception_handler(Forbidden)
    async def forbidden(request: Request, exc: Forbidden) -> Response:
        return _error_page(request, 403, "権限がありません", "この画面はあなたの役割では開けません。")

    @app.exception_handler(DomainError)
    async def refused(request: Request, exc: DomainError) -> Response:
        """The one translation of the domain's refusals into HTTP."""
        status, title = status_and_title(exc)
        if _is_api(request):
            if isinstance(exc, Invalid):
                where = ["body", exc.field] if exc.field else ["body"]
                detail = [{"type": "value_error", "loc": where, "msg": exc.message, "input": None}]
                return JSONResponse({"detail": detail}, status_code=status)
            return JSONResponse({"detail": exc.message}, status_code=status)
        return _error_page(request, status, title, exc.message)

    @app.exception_handler(NotFoundPage)
    async def not_found(request: Request, exc: NotFoundPage) -> Response:
        return _error_page(request, 404, "見つかりません", str(exc))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if _is_api(request):
            if exc.status_code == 400:
                # FastAPI's answer to a body it cannot read at all (not UTF-8): bad input, 422 like the rest
                return JSONResponse({"detail": [UNREADABLE_BODY]}, status_code=422)
            return await http_exception_handler(request, exc)
        titles = {403: "操作できません", 404: "見つかりません", 405: "操作できません"}
        message = (
            exc.detail if isinstance(exc.detail, str) and exc.status_code != 404 else "ページが見つかりません"
        )
        return _error_page(request, exc.status_code, titles.get(exc.status_code, "エラー"), message)

    @app.exception_handler(psycopg.DataError)
    async def unstorable(request: Request, exc: psycopg.DataError) -> Response:
        message = "保存できない文字（NUL など）や値が含まれています。入力を確かめてください"
        if _is_api(request):
            return JSONResponse({"detail": message}, status_code=422)
        return _error_page(request, 422, "入力が正しくありません", message)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        if _is_api(request):
            return await request_validation_exception_handler(request, exc)
        fields = "、".join(str(e["loc"][-1]) for e in exc.errors())
        return _error_page(request, 422, "入力が正しくありません", f"入力を確かめてください（{fields}）。")


def create_app(settings: Settings | None = None) -> FastAPI:
    """The application, bound to one settings object."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        pool = db.open_pool(settings)
        app.state.pool = pool
        app.state.connection_slots = anyio.Semaphore(settings.pool_max_size)
        warm_up(settings, pool)
        # Mail queued by a change is sent as soon as it commits (NOTIFY wakes the sender); off without SMTP.
        mailer = Mailer(settings) if settings.smtp_url else None
        if mailer:
            mailer.start()
        try:
            yield
        finally:
            if mailer:
                mailer.stop()
            pool.close()

    app = FastAPI(title="参加支援マッチング", lifespan=lifespan, docs_url=None, redoc_url=None)
    app.state.settings = settings
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.add_api_route(
        "/favicon.ico", lambda: RedirectResponse("/static/favicon.svg", 301), include_in_schema=False
    )
    routers = (
        auth,
        home,
        profiles,
        case_notes,
        placements,
        sheets,
        host,
        admin,
        admin_listings,
        listings,
        batch,
        api_matching,
        api_records,
        api_placements,
        api_hsds,
        meetings,
        plans,
        reports,
        development,
    )
    for module in routers:
        app.include_router(module.router)
    install_error_pages(app)
    # outermost last: the client and scheme are resolved first, then every answer gets the security
    # headers, and the body is read whole (deadline, size, finite JSON) before any route takes a
    # database connection
    app.add_middleware(BodyLimit, settings=settings)
    install_security_headers(app)
    app.add_middleware(TrustedProxies, trusted=settings.trusted_proxies)
    return app
