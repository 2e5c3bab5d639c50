"""Browser sessions, CSRF and roles for pages: a session cookie (HttpOnly, SameSite=Lax) names a
server-side session; every unsafe request must echo that session's CSRF token (form field or the
X-CSRF-Token header htmx sends). Before login, a double-submit cookie protects the login form."""

import secrets
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, HTTPException, Request, status

from matcher.accounts.users import Session, User, session_for
from web.deps import Conn

SESSION_COOKIE = "matcher_session"
LOGIN_CSRF_COOKIE = "matcher_login_csrf"
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


class LoginRequired(Exception):
    """An anonymous browser asked for a page; it is sent to the login page."""

    def __init__(self, next_path: str) -> None:
        self.next_path = next_path


class Forbidden(Exception):
    """A signed-in person asked for a page their role may not see."""


def current_session(request: Request, conn: Conn) -> Session | None:
    """The browser's live session, or None."""
    token = request.cookies.get(SESSION_COOKIE)
    return session_for(conn, token) if token else None


async def check_csrf(request: Request, session: Session) -> None:
    """Refuses an unsafe request that does not carry the session's CSRF token."""
    if request.method not in UNSAFE:
        return
    sent = request.headers.get("x-csrf-token")
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("multipart/form-data"):
        refuse_oversized(request)
    if not sent and content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        sent = str((await request.form()).get("csrf_token", ""))
    if not sent or not secrets.compare_digest(sent, session.csrf_token):
        raise HTTPException(
            status.HTTP_403_FORBIDDEN, "フォームの有効期限が切れました。画面を読み込み直してください（CSRF）"
        )


def secure_cookies(request: Request) -> bool:
    """Whether cookies carry Secure: MATCHER_COOKIE_SECURE when set, else whether the request came over
    HTTPS (directly, or by X-Forwarded-Proto from a trusted proxy: web/proxies.py)."""
    configured = request.app.state.settings.cookie_secure
    return bool(configured) if configured is not None else request.url.scheme == "https"


def refuse_oversized(request: Request) -> None:
    """Refuses an upload larger than the limit before reading it (by its declared length)."""
    limit = request.app.state.settings.max_upload_bytes
    declared = request.headers.get("content-length", "")
    if not declared.isdigit():
        raise HTTPException(
            status.HTTP_411_LENGTH_REQUIRED, "ファイルの大きさが分かりません。もう一度送ってください"
        )
    if int(declared) > limit + 64 * 1024:
        raise HTTPException(
            status.HTTP_413_CONTENT_TOO_LARGE,
            f"ファイルが大きすぎます（上限 {limit // 2**20} MB）。分けて取り込んでください",
        )


def page_session(*roles: str):  # type: ignore[no-untyped-def]
    """A dependency: the signed-in session of one of these roles, CSRF-checked on unsafe requests."""

    async def dependency(
        request: Request, session: Annotated[Session | None, Depends(current_session)]
    ) -> Session:
        if session is None:
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            raise LoginRequired(quote(target))
        if roles and session.user.role not in roles:
            raise Forbidden()
        await check_csrf(request, session)
        request.state.session = session
        return session

    return dependency


AnySession = Annotated[Session, Depends(page_session())]
CoordinatorSession = Annotated[Session, Depends(page_session("coordinator"))]


def user_of(session: Session) -> User:
    """The person behind a session."""
    return session.user
