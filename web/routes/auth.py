"""Login and logout."""

import secrets
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from matcher.accounts.demo import is_demo_password
from matcher.accounts.users import (
    LoginLimits,
    authenticate,
    begin_login,
    end_login,
    end_session,
    start_session,
)
from web.deps import Conn, CurrentSettings
from web.security import LOGIN_CSRF_COOKIE, SESSION_COOKIE, AnySession, secure_cookies
from web.templating import render

router = APIRouter()


def safe_next(value: str | None) -> str:
    """A local path to go to after login (never another site)."""
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return "/"


def _login_page(
    request: Request, *, name: str = "", message: str = "", next_path: str = "/", status: int = 200
) -> Response:
    token = request.cookies.get(LOGIN_CSRF_COOKIE) or secrets.token_urlsafe(24)
    response = render(
        request,
        "auth/login.html",
        {"csrf_token": token, "name": name, "message": message, "next_path": next_path},
        status_code=status,
    )
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        max_age=3600,
        secure=secure_cookies(request),
    )
    return response


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str = "/") -> Response:
    """ログイン画面."""
    return _login_page(request, next_path=safe_next(next))


@router.post("/login", response_class=HTMLResponse)
def login(
    request: Request,
    conn: Conn,
    settings: CurrentSettings,
    name: Annotated[str, Form(max_length=100)],
    password: Annotated[str, Form(max_length=200)],
    csrf_token: Annotated[str, Form(max_length=200)] = "",
    next: Annotated[str, Form(max_length=500)] = "/",
) -> Response:
    """アカウント名とパスワードで入ります。"""
    cookie = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not cookie or not secrets.compare_digest(cookie, csrf_token):
        return _login_page(
            request, name=name, message="画面の有効期限が切れました。もう一度入力してください", status=403
        )
    address = request.client.host if request.client else "unknown"  # see web/proxies.py
    login_name = name.strip()
    limits = LoginLimits(
        per_account=settings.login_attempts,
        per_address=settings.login_address_attempts,
        window=timedelta(minutes=settings.login_window_minutes),
    )
    # counted before the password is checked, so a burst of tries cannot check more than the limit
    if not begin_login(conn, name=login_name, address=address, limits=limits):
        message = (
            f"ログインの失敗が続いたため、しばらく受け付けません。{settings.login_window_minutes}分ほど待ってから"
            "もう一度お試しください"
        )
        return _login_page(request, name=name, message=message, next_path=safe_next(next), status=429)
    if not settings.demo and is_demo_password(password):
        # The demo's passwords are printed in the README: outside the demo they open nothing.
        end_login(conn, name=login_name, address=address, succeeded=False)
        message = "デモ用のパスワードはデモ以外では使えません。管理者にパスワードの再設定を頼んでください"
        return _login_page(request, name=name, message=message, next_path=safe_next(next), status=401)
    user = authenticate(conn, name=login_name, password=password)
    end_login(conn, name=login_name, address=address, succeeded=user is not None)
    if user is None:
        return _login_page(
            request,
            name=name,
            message="アカウント名またはパスワードが違います",
            next_path=safe_next(next),
            status=401,
        )
    token, _session = start_session(conn, user, hours=settings.session_hours)
    response = RedirectResponse(safe_next(next), status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        httponly=True,
        samesite="lax",
        secure=secure_cookies(request),
        max_age=int(settings.session_hours * 3600),
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE)
    return response


@router.post("/logout")
def logout(request: Request, conn: Conn, session: AnySession) -> Response:
    """ログアウトします。"""
    end_session(conn, request.cookies.get(SESSION_COOKIE, ""))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response
